package salesforce

import (
	"context"
	"fmt"
	"sync"
)

// TokenSource supplies the Client's token. ferry's daemon implements its own
// source that keeps tokens encrypted in its database and, with several
// instances, refreshes under a row lock after re-reading the row; the
// RefreshingSource here is the single-process default.
type TokenSource interface {
	// Token returns the current token.
	Token(ctx context.Context) (*Token, error)
	// Refresh is called when a call with stale was refused with 401
	// INVALID_SESSION_ID. It returns a working token: a new one, or one
	// another caller already refreshed. An invalid_grant answer must come
	// back as an error satisfying errors.Is(err, ErrTokenRevoked).
	Refresh(ctx context.Context, stale *Token) (*Token, error)
}

// RefreshingSource holds a token in memory and refreshes it with the token
// endpoint. Concurrent Refresh calls for the same stale token result in one
// request to Salesforce: with refresh-token rotation, replaying an old
// refresh token would revoke it.
type RefreshingSource struct {
	cfg       *Config
	onRefresh func(ctx context.Context, tok *Token) error

	mu  sync.Mutex
	tok *Token
}

// NewRefreshingSource returns a source starting with tok. onRefresh, if not
// nil, is called with every refreshed token (under the source's lock) so it
// can be persisted; if it fails, Refresh fails and the new token is not
// used, because a token that was not stored would be lost on restart.
func NewRefreshingSource(cfg *Config, tok *Token, onRefresh func(ctx context.Context, tok *Token) error) *RefreshingSource {
	return &RefreshingSource{cfg: cfg, tok: tok, onRefresh: onRefresh}
}

// Token returns the current token.
func (s *RefreshingSource) Token(ctx context.Context) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil {
		return nil, fmt.Errorf("salesforce: no token")
	}
	return s.tok, nil
}

// Refresh refreshes the token unless it changed since stale was handed out.
func (s *RefreshingSource) Refresh(ctx context.Context, stale *Token) (*Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil {
		return nil, fmt.Errorf("salesforce: no token")
	}
	if stale != nil && s.tok.AccessToken != stale.AccessToken {
		return s.tok, nil
	}
	tok, err := s.cfg.RefreshToken(ctx, s.tok.RefreshToken)
	if err != nil {
		return nil, err
	}
	if s.onRefresh != nil {
		if err := s.onRefresh(ctx, tok); err != nil {
			return nil, fmt.Errorf("salesforce: persist refreshed token: %w", err)
		}
	}
	s.tok = tok
	return tok, nil
}

// StaticSource is a TokenSource for a bare access token that cannot be
// refreshed (tools, tests, tokens obtained elsewhere).
type StaticSource struct {
	Tok *Token
}

// Token returns the fixed token.
func (s StaticSource) Token(context.Context) (*Token, error) { return s.Tok, nil }

// Refresh fails with ErrNoRefreshToken.
func (s StaticSource) Refresh(context.Context, *Token) (*Token, error) {
	return nil, fmt.Errorf("salesforce: refresh: %w", ErrNoRefreshToken)
}
