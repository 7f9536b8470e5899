// Package connection turns a stored connection (one Intercom workspace paired
// with one Salesforce org) into working API clients, and keeps its health:
// tokens are read from the encrypted store, refreshed under a row lock, and a
// connection-breaking error (revoked token, API disabled, API limit reached)
// marks the connection disconnected with its cause (F1.1–F1.3).
package connection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
)

// Purpose labels what an API call was for, for the API budget (F8.1).
type Purpose string

// Purposes of API calls, in the order the budget sheds them.
const (
	PurposeBackfill   Purpose = "backfill"
	PurposeBackground Purpose = "background"
	PurposeInbox      Purpose = "inbox"
	PurposeSetup      Purpose = "setup"
)

type purposeKey struct{}

// WithPurpose tags ctx so that Salesforce calls made with it are counted
// under p.
func WithPurpose(ctx context.Context, p Purpose) context.Context {
	return context.WithValue(ctx, purposeKey{}, p)
}

type callCounterKey struct{}

// CountCalls returns ctx that adds each Salesforce call made with it (that
// got an answer) to n, e.g. to report the calls of one sync round.
func CountCalls(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, callCounterKey{}, n)
}

// PurposeOf returns the purpose ctx carries, PurposeBackground by default.
func PurposeOf(ctx context.Context) Purpose {
	if p, ok := ctx.Value(purposeKey{}).(Purpose); ok {
		return p
	}
	return PurposeBackground
}

// Options configure a Manager.
type Options struct {
	Store  store.Store
	Logger *slog.Logger
	// Salesforce is ferry's connected app (login URL, client id and
	// secret, callback, API version).
	Salesforce salesforce.Config
	// SalesforceAPIVersion is the REST API version, e.g. "62.0".
	SalesforceAPIVersion string
	// IntercomURL is the Intercom API base URL.
	IntercomURL string
	// HTTPClient is used for both APIs; default a client with a 60 s timeout.
	HTTPClient *http.Client
	// Now is the clock for usage days; default time.Now.
	Now func() time.Time
	// OnConnected, if set, runs in the transaction that finds both sides
	// of a connection connected (after an OAuth flow or a stored token),
	// e.g. to enqueue the initial sync. It must be idempotent: it also runs
	// on every reconnect.
	OnConnected func(ctx context.Context, tx store.Tx, connID int64) error
}

// Manager hands out API clients for connections. It is safe for concurrent
// use; clients are built once per connection and reused.
type Manager struct {
	opts   Options
	health *Health

	mu sync.Mutex
	sf map[int64]*sfEntry
	ic map[int64]*intercom.Client

	reach reachability
}

type sfEntry struct {
	client *salesforce.Client
	source *salesforceSource
}

// NewManager returns a Manager.
func NewManager(opts Options) *Manager {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Salesforce.HTTPClient = opts.HTTPClient
	return &Manager{
		opts:   opts,
		health: &Health{Store: opts.Store, Logger: opts.Logger},
		sf:     map[int64]*sfEntry{},
		ic:     map[int64]*intercom.Client{},
		reach:  reachability{down: map[int64]bool{}},
	}
}

// Health returns the manager's health recorder.
func (m *Manager) Health() *Health { return m.health }

// OAuth returns ferry's Salesforce connected app configuration.
func (m *Manager) OAuth() *salesforce.Config { return &m.opts.Salesforce }

// Salesforce returns the Salesforce client of a connection. Every call it
// makes is counted in the store's API usage under the purpose carried by its
// context, and a connection-breaking error disconnects the connection.
func (m *Manager) Salesforce(ctx context.Context, connID int64) (*salesforce.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.sf[connID]; ok {
		return e.client, nil
	}
	if _, err := m.opts.Store.GetCredential(ctx, connID, store.CredentialSalesforce); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("connection %d: Salesforce: %w", connID, ErrNotConnected)
		}
		return nil, fmt.Errorf("connection %d: Salesforce credential: %w", connID, err)
	}
	// The client name comes from the connection row alone: it exists
	// before either side connects, so the name never depends on Intercom.
	conn, err := m.opts.Store.GetConnection(ctx, connID)
	if err != nil {
		return nil, fmt.Errorf("connection %d: %w", connID, err)
	}
	src := &salesforceSource{connID: connID, store: m.opts.Store, oauth: &m.opts.Salesforce, health: m.health}
	client := salesforce.NewClient(src, salesforce.ClientOptions{
		ClientName: SalesforceClientName(conn),
		APIVersion: m.opts.SalesforceAPIVersion,
		HTTPClient: m.opts.HTTPClient,
		Logger:     m.opts.Logger,
		OnCall: func(ctx context.Context, c salesforce.Call) {
			m.observeReach(ctx, connID, c)
			m.countCall(ctx, connID, c)
		},
	})
	m.sf[connID] = &sfEntry{client: client, source: src}
	return client, nil
}

// SalesforceClientName is the client name ferry's calls to a connection's
// org carry (Sforce-Call-Options: client=…). Salesforce puts it in the
// changeOrigin of the change events those writes cause, which is how ferry
// recognises its own writes coming back without reading anything (F3.5).
// Every call and every changeOrigin comparison uses this one function.
//
// It names the connection and the random id made with it, so another
// connection, or another ferry deployment whose connection has the same
// id, writing to the same org still sees this one's writes as changes.
// "ferry_" + id + "_" + 12 hex digits stays well under 40 characters.
func SalesforceClientName(c store.Connection) string {
	return fmt.Sprintf("ferry_%d_%s", c.ID, c.SalesforceClient)
}

// SalesforceTokens returns the token source of a connection's Salesforce
// client: the change stream authenticates with the same tokens, refreshed
// the same way.
func (m *Manager) SalesforceTokens(ctx context.Context, connID int64) (salesforce.TokenSource, error) {
	if _, err := m.Salesforce(ctx, connID); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.sf[connID]
	if !ok {
		return nil, fmt.Errorf("connection %d: Salesforce: %w", connID, ErrNotConnected)
	}
	return e.source, nil
}

// countCall records one Salesforce API call against the day's usage (F8.1).
// Calls the server refused before counting them (no response) are skipped.
func (m *Manager) countCall(ctx context.Context, connID int64, c salesforce.Call) {
	if c.StatusCode == 0 {
		return
	}
	if n, ok := ctx.Value(callCounterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	day := m.opts.Now().UTC()
	err := m.opts.Store.InTx(context.WithoutCancel(ctx), func(tx store.Tx) error {
		_, err := tx.IncrementUsage(ctx, connID, day, string(PurposeOf(ctx)), 1)
		return err
	})
	if err != nil {
		m.opts.Logger.WarnContext(ctx, "count Salesforce API call", "connection", connID, "error", err)
	}
}

// Intercom returns the Intercom client of a connection.
func (m *Manager) Intercom(ctx context.Context, connID int64) (*intercom.Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.ic[connID]; ok {
		return c, nil
	}
	cred, err := m.opts.Store.GetCredential(ctx, connID, store.CredentialIntercom)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("connection %d: Intercom: %w", connID, ErrNotConnected)
		}
		return nil, fmt.Errorf("connection %d: Intercom credential: %w", connID, err)
	}
	var tok store.IntercomToken
	if err := json.Unmarshal(cred.Data, &tok); err != nil {
		return nil, fmt.Errorf("connection %d: decode Intercom token: %w", connID, err)
	}
	c := intercom.New(intercom.Config{
		BaseURL:    m.opts.IntercomURL,
		Token:      tok.AccessToken,
		HTTPClient: m.opts.HTTPClient,
		Logger:     m.opts.Logger,
	})
	m.ic[connID] = c
	return c, nil
}

// StoreSalesforceToken saves a token obtained by OAuth for the connection,
// records which org it reached and marks the connection connected. Sync
// resumes from its stored watermarks: nothing is re-imported (F1.3).
func (m *Manager) StoreSalesforceToken(ctx context.Context, connID int64, tok *salesforce.Token) error {
	cred, err := store.SalesforceCredential(connID, storedToken(tok))
	if err != nil {
		return err
	}
	err = m.opts.Store.InTx(ctx, func(tx store.Tx) error {
		c, err := tx.GetConnection(ctx, connID)
		if err != nil {
			return err
		}
		if err := tx.PutCredential(ctx, cred); err != nil {
			return err
		}
		if err := tx.UpdateConnectionIdentity(ctx, connID, c.IntercomWorkspaceID, tok.OrgID(), tok.InstanceURL); err != nil {
			return err
		}
		return m.updateState(ctx, tx, connID)
	})
	if err != nil {
		return fmt.Errorf("connection %d: store Salesforce token: %w", connID, err)
	}
	m.mu.Lock()
	if e, ok := m.sf[connID]; ok {
		e.source.forget()
	}
	m.mu.Unlock()
	return nil
}

// StoreIntercomToken saves an Intercom access token for the connection and
// the workspace it belongs to, and marks the connection connected when both
// sides are.
func (m *Manager) StoreIntercomToken(ctx context.Context, connID int64, token, workspaceID string) error {
	cred, err := store.IntercomCredential(connID, store.IntercomToken{AccessToken: token})
	if err != nil {
		return err
	}
	err = m.opts.Store.InTx(ctx, func(tx store.Tx) error {
		c, err := tx.GetConnection(ctx, connID)
		if err != nil {
			return err
		}
		if err := tx.PutCredential(ctx, cred); err != nil {
			return err
		}
		if err := tx.UpdateConnectionIdentity(ctx, connID, workspaceID, c.SalesforceOrgID, c.SalesforceInstanceURL); err != nil {
			return err
		}
		return m.updateState(ctx, tx, connID)
	})
	if err != nil {
		return fmt.Errorf("connection %d: store Intercom token: %w", connID, err)
	}
	m.mu.Lock()
	delete(m.ic, connID)
	m.mu.Unlock()
	return nil
}

// updateState marks the connection connected when it has credentials for
// both sides, pending otherwise.
func (m *Manager) updateState(ctx context.Context, tx store.Tx, connID int64) error {
	state := store.StateConnected
	for _, kind := range []store.CredentialKind{store.CredentialSalesforce, store.CredentialIntercom} {
		if _, err := tx.GetCredential(ctx, connID, kind); err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			state = store.StatePending
		}
	}
	if err := tx.UpdateConnectionState(ctx, connID, state, ""); err != nil {
		return err
	}
	if state == store.StateConnected && m.opts.OnConnected != nil {
		return m.opts.OnConnected(ctx, tx, connID)
	}
	return nil
}

// Disconnect revokes the connection's tokens at both systems (the
// Salesforce refresh token; the Intercom token by uninstalling the app;
// best effort: a token already revoked is fine), deletes the stored credentials and marks
// the connection disconnected by the user. With purge, every row of the
// connection is deleted too (F1.5).
func (m *Manager) Disconnect(ctx context.Context, connID int64, purge bool) error {
	if cred, err := m.opts.Store.GetCredential(ctx, connID, store.CredentialSalesforce); err == nil {
		if tok, err := decodeSalesforceToken(cred); err == nil {
			revoke := tok.RefreshToken
			if revoke == "" {
				revoke = tok.AccessToken
			}
			if err := refreshConfig(&m.opts.Salesforce, tok).Revoke(ctx, revoke); err != nil {
				m.opts.Logger.WarnContext(ctx, "revoke Salesforce token", "connection", connID, "error", err)
			}
		}
	}
	if ic, err := m.Intercom(ctx, connID); err == nil {
		if err := ic.Uninstall(ctx); err != nil && !errors.Is(err, intercom.ErrUnauthorized) {
			m.opts.Logger.WarnContext(ctx, "revoke Intercom token", "connection", connID, "error", err)
		}
	}
	m.mu.Lock()
	delete(m.sf, connID)
	delete(m.ic, connID)
	m.mu.Unlock()
	err := m.opts.Store.InTx(ctx, func(tx store.Tx) error {
		if purge {
			return tx.DeleteConnection(ctx, connID)
		}
		for _, kind := range []store.CredentialKind{store.CredentialSalesforce, store.CredentialIntercom} {
			if err := tx.DeleteCredential(ctx, connID, kind); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return tx.UpdateConnectionState(ctx, connID, store.StateDisconnected, store.CauseUserDisconnected)
	})
	if err != nil {
		return fmt.Errorf("connection %d: disconnect: %w", connID, err)
	}
	return nil
}
