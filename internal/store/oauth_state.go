package store

import (
	"context"
	"fmt"
	"time"
)

// OAuthState is a pending OAuth authorization: the state parameter sent to
// the provider and what the callback needs. It is single use.
type OAuthState struct {
	State        string
	ConnectionID int64
	// Provider is "salesforce" or "intercom".
	Provider string
	// Verifier is the PKCE code verifier.
	Verifier   string
	RedirectTo string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// CreateOAuthState stores a state until ExpiresAt.
func (w *writer) CreateOAuthState(ctx context.Context, s OAuthState) error {
	if len(s.State) < 16 || s.ExpiresAt.IsZero() {
		return fmt.Errorf("store: create oauth state: need a state of 16+ characters and an expiry: %w", ErrInvalid)
	}
	_, err := w.q.exec(ctx, `INSERT INTO oauth_states (state, connection_id, provider, verifier, redirect_to, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.State, s.ConnectionID, s.Provider, s.Verifier, s.RedirectTo, now(), normTime(s.ExpiresAt))
	if err != nil {
		return w.wrapWrite(err, "store: create oauth state")
	}
	return nil
}

// ConsumeOAuthState returns and deletes a state. A second consume, an
// unknown or an expired state gives ErrNotFound.
func (w *writer) ConsumeOAuthState(ctx context.Context, state string) (OAuthState, error) {
	t := now()
	// Expired states go too, so the table does not grow with abandoned flows.
	if _, err := w.q.exec(ctx, `DELETE FROM oauth_states WHERE expires_at <= $1 AND state <> $2`, t, state); err != nil {
		return OAuthState{}, fmt.Errorf("store: consume oauth state: purge expired: %w", err)
	}
	var s OAuthState
	err := w.q.queryRow(ctx, `DELETE FROM oauth_states WHERE state = $1
		RETURNING state, connection_id, provider, verifier, redirect_to, created_at, expires_at`, state).
		Scan(&s.State, &s.ConnectionID, &s.Provider, &s.Verifier, &s.RedirectTo, timeCol{&s.CreatedAt}, timeCol{&s.ExpiresAt})
	if err != nil {
		return OAuthState{}, notFound(err, "store: consume oauth state")
	}
	if !s.ExpiresAt.After(t) {
		return OAuthState{}, fmt.Errorf("store: consume oauth state: expired: %w", ErrNotFound)
	}
	return s, nil
}
