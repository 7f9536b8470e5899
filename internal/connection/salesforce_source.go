package connection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
)

// salesforceSource is the daemon's salesforce.TokenSource: tokens live
// encrypted in the store. A refresh calls the token endpoint outside any
// store transaction (SQLite has one writer: a slow token endpoint inside a
// transaction would stall webhook intake) and stores the result with a
// compare-and-swap on the credential's version; an instance that lost the
// race uses the winner's token. Within one process refreshes are
// serialised, so one stale token is refreshed once.
type salesforceSource struct {
	connID int64
	store  store.Store
	oauth  *salesforce.Config
	health *Health

	// refreshing serialises this process's refreshes; mu guards tok only,
	// so calls with the current token are not held up by a slow refresh.
	refreshing sync.Mutex
	mu         sync.Mutex
	tok        *salesforce.Token // cached; nil until first read
}

var _ salesforce.TokenSource = (*salesforceSource)(nil)

// Token returns the cached token, reading it from the store the first time.
func (s *salesforceSource) Token(ctx context.Context) (*salesforce.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil {
		return s.tok, nil
	}
	cred, err := s.store.GetCredential(ctx, s.connID, store.CredentialSalesforce)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("connection %d: Salesforce is not connected: %w", s.connID, ErrNotConnected)
		}
		return nil, fmt.Errorf("connection %d: read Salesforce token: %w", s.connID, err)
	}
	tok, err := decodeSalesforceToken(cred)
	if err != nil {
		return nil, fmt.Errorf("connection %d: %w", s.connID, err)
	}
	s.tok = tok
	return tok, nil
}

// Refresh replaces stale. It re-reads the stored credential: if another
// caller or instance already refreshed, that token is used. Otherwise the
// refresh token is spent, with no transaction open, and the result swapped
// in only if the credential did not change meanwhile; if it did, the token
// stored by the winner is used. A revoked refresh token disconnects the
// connection.
func (s *salesforceSource) Refresh(ctx context.Context, stale *salesforce.Token) (*salesforce.Token, error) {
	s.refreshing.Lock()
	defer s.refreshing.Unlock()
	fresh, err := s.refresh(ctx, stale)
	if err != nil {
		if cause := SalesforceCause(err); cause != "" {
			s.health.Disconnect(context.WithoutCancel(ctx), s.connID, SideSalesforce, cause, err)
		}
		return nil, fmt.Errorf("connection %d: refresh Salesforce token: %w", s.connID, err)
	}
	s.mu.Lock()
	s.tok = fresh
	s.mu.Unlock()
	return fresh, nil
}

func (s *salesforceSource) refresh(ctx context.Context, stale *salesforce.Token) (*salesforce.Token, error) {
	cred, err := s.store.GetCredential(ctx, s.connID, store.CredentialSalesforce)
	if err != nil {
		return nil, fmt.Errorf("read Salesforce credential: %w", err)
	}
	current, err := decodeSalesforceToken(cred)
	if err != nil {
		return nil, err
	}
	if stale == nil || current.AccessToken != stale.AccessToken {
		return current, nil
	}
	if current.RefreshToken == "" {
		return nil, salesforce.ErrNoRefreshToken
	}
	got, err := refreshConfig(s.oauth, current).RefreshToken(ctx, current.RefreshToken)
	if err != nil {
		return nil, err
	}
	if got.RefreshToken == "" {
		got.RefreshToken = current.RefreshToken // no rotation: keep the old one
	}
	next, err := store.SalesforceCredential(s.connID, storedToken(got))
	if err != nil {
		return nil, err
	}
	next.Version = cred.Version
	var swapped bool
	if err := s.store.InTx(ctx, func(tx store.Tx) error {
		swapped, err = tx.SwapCredential(ctx, next)
		return err
	}); err != nil {
		return nil, fmt.Errorf("store refreshed token: %w", err)
	}
	if swapped {
		return got, nil
	}
	// Another instance stored a token (or a reconnect did) since it was
	// read: that one is the connection's token now.
	won, err := s.store.GetCredential(ctx, s.connID, store.CredentialSalesforce)
	if err != nil {
		return nil, fmt.Errorf("read Salesforce credential stored by another refresh: %w", err)
	}
	return decodeSalesforceToken(won)
}

// refreshConfig returns the connected app's configuration aimed at the login
// host that issued tok. A connection made through a sandbox
// (test.salesforce.com) or a My Domain must refresh there, not at the
// configured default; the identity URL Salesforce returned names that host.
func refreshConfig(app *salesforce.Config, tok *salesforce.Token) *salesforce.Config {
	u, err := url.Parse(tok.ID)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return app
	}
	c := *app
	c.LoginURL = u.Scheme + "://" + u.Host
	return &c
}

// forget drops the cached token so the next call re-reads the store (after a
// reconnect stored a new one).
func (s *salesforceSource) forget() {
	s.mu.Lock()
	s.tok = nil
	s.mu.Unlock()
}

func decodeSalesforceToken(cred store.Credential) (*salesforce.Token, error) {
	var st store.SalesforceToken
	if err := json.Unmarshal(cred.Data, &st); err != nil {
		return nil, fmt.Errorf("decode stored Salesforce token: %w", err)
	}
	return &salesforce.Token{
		AccessToken:  st.AccessToken,
		RefreshToken: st.RefreshToken,
		InstanceURL:  st.InstanceURL,
		ID:           st.IdentityURL,
		IssuedAt:     st.IssuedAt,
	}, nil
}

func storedToken(t *salesforce.Token) store.SalesforceToken {
	return store.SalesforceToken{
		RefreshToken: t.RefreshToken,
		AccessToken:  t.AccessToken,
		InstanceURL:  t.InstanceURL,
		IdentityURL:  t.ID,
		IssuedAt:     t.IssuedAt,
	}
}
