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
// encrypted in the store, and a refresh happens under the credential's row
// lock after re-reading it, so that several instances never refresh the same
// token twice (with refresh-token rotation, replaying an old refresh token
// revokes it).
type salesforceSource struct {
	connID int64
	store  store.Store
	oauth  *salesforce.Config
	health *Health

	mu  sync.Mutex
	tok *salesforce.Token // cached; nil until first read
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

// Refresh replaces stale. Inside one transaction it locks and re-reads the
// stored credential: if another instance already refreshed, that token is
// used; otherwise the refresh token is spent and the result stored before the
// lock is released. A revoked refresh token disconnects the connection.
func (s *salesforceSource) Refresh(ctx context.Context, stale *salesforce.Token) (*salesforce.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var fresh *salesforce.Token
	var refreshErr error
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		cred, err := tx.LockCredential(ctx, s.connID, store.CredentialSalesforce)
		if err != nil {
			return fmt.Errorf("lock Salesforce credential: %w", err)
		}
		current, err := decodeSalesforceToken(cred)
		if err != nil {
			return err
		}
		if stale == nil || current.AccessToken != stale.AccessToken {
			fresh = current
			return nil
		}
		if current.RefreshToken == "" {
			refreshErr = salesforce.ErrNoRefreshToken
			return nil
		}
		got, err := refreshConfig(s.oauth, current).RefreshToken(ctx, current.RefreshToken)
		if err != nil {
			refreshErr = err
			return nil
		}
		if got.RefreshToken == "" {
			got.RefreshToken = current.RefreshToken // no rotation: keep the old one
		}
		c, err := store.SalesforceCredential(s.connID, storedToken(got))
		if err != nil {
			return err
		}
		if err := tx.PutCredential(ctx, c); err != nil {
			return fmt.Errorf("store refreshed token: %w", err)
		}
		fresh = got
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("connection %d: refresh Salesforce token: %w", s.connID, err)
	}
	if refreshErr != nil {
		if cause := SalesforceCause(refreshErr); cause != "" {
			s.health.Disconnect(ctx, s.connID, SideSalesforce, cause, refreshErr)
		}
		return nil, fmt.Errorf("connection %d: refresh Salesforce token: %w", s.connID, refreshErr)
	}
	s.tok = fresh
	return fresh, nil
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
