package salesforce_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/ferrysync/ferry/internal/salesforce"
)

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()

	cfg := &salesforce.Config{ClientID: "cid", RedirectURL: "https://ferry.test/cb", LoginURL: "https://test.salesforce.com/"}
	verifier := salesforce.GenerateVerifier()
	u, err := url.Parse(cfg.AuthCodeURL("st&ate", verifier, salesforce.WithPrompt("login consent"), salesforce.WithScope("api refresh_token")))
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "test.salesforce.com" || u.Path != "/services/oauth2/authorize" {
		t.Fatalf("authorize URL = %s", u)
	}
	q := u.Query()
	want := map[string]string{
		"response_type": "code", "client_id": "cid", "redirect_uri": "https://ferry.test/cb", "state": "st&ate",
		"code_challenge": salesforce.S256Challenge(verifier), "code_challenge_method": "S256",
		"prompt": "login consent", "scope": "api refresh_token",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if len(verifier) != 43 || verifier == salesforce.GenerateVerifier() {
		t.Fatalf("verifier %q is not a fresh 43-character value", verifier)
	}
	if strings.Contains(cfg.AuthCodeURL("s", ""), "code_challenge") {
		t.Fatal("empty verifier must disable PKCE")
	}
}

func TestWebServerFlow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("ExchangeGivesFullToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tok := b.tok
		if tok.AccessToken == "" || tok.RefreshToken == "" || tok.InstanceURL != b.srv.URL || tok.IssuedAt.IsZero() {
			t.Fatalf("token = %v", tok)
		}
		if tok.OrgID() != b.emu.OrgID() || tok.UserID() != b.emu.LoginUserID() {
			t.Fatalf("org/user = %s/%s, want %s/%s", tok.OrgID(), tok.UserID(), b.emu.OrgID(), b.emu.LoginUserID())
		}
		id, err := b.client.UserInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if id.UserID != b.emu.LoginUserID() || id.OrgID != b.emu.OrgID() || !strings.EqualFold(id.Username, testUsername) {
			t.Fatalf("identity = %+v", id)
		}
	})

	t.Run("WrongVerifierRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		q := b.redirect(t, b.cfg.AuthCodeURL("s", salesforce.GenerateVerifier()))
		_, err := b.cfg.Exchange(ctx, q.Get("code"), salesforce.GenerateVerifier())
		var oerr *salesforce.OAuthError
		if !errors.As(err, &oerr) || oerr.Code != "invalid_grant" || oerr.StatusCode != 400 {
			t.Fatalf("err = %v, want 400 invalid_grant", err)
		}
		if errors.Is(err, salesforce.ErrTokenRevoked) {
			t.Fatal("a bad code is not a revoked token")
		}
	})

	t.Run("CodeIsSingleUse", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		verifier := salesforce.GenerateVerifier()
		q := b.redirect(t, b.cfg.AuthCodeURL("s", verifier))
		if _, err := b.cfg.Exchange(ctx, q.Get("code"), verifier); err != nil {
			t.Fatal(err)
		}
		if _, err := b.cfg.Exchange(ctx, q.Get("code"), verifier); err == nil {
			t.Fatal("second exchange of the same code succeeded")
		}
	})

	t.Run("WrongSecretRejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		bad := *b.cfg
		bad.ClientSecret = "wrong"
		_, err := bad.PasswordLogin(ctx, testUsername, testPassword)
		var oerr *salesforce.OAuthError
		if !errors.As(err, &oerr) || oerr.Code != "invalid_client" {
			t.Fatalf("err = %v, want invalid_client", err)
		}
		if strings.Contains(err.Error(), testPassword) || strings.Contains(err.Error(), "wrong") {
			t.Fatalf("error leaks a secret: %v", err)
		}
	})
}

func TestPasswordLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)

	tok, err := b.cfg.PasswordLogin(ctx, testUsername, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	c := salesforce.NewClient(salesforce.StaticSource{Tok: tok}, salesforce.ClientOptions{HTTPClient: b.srv.Client()})
	if _, err := c.Limits(ctx); err != nil {
		t.Fatalf("call with password token: %v", err)
	}

	_, err = b.cfg.PasswordLogin(ctx, testUsername, "wrong password")
	var oerr *salesforce.OAuthError
	if !errors.As(err, &oerr) || oerr.Code != "invalid_grant" || errors.Is(err, salesforce.ErrTokenRevoked) {
		t.Fatalf("err = %v, want invalid_grant that is not ErrTokenRevoked", err)
	}
	if strings.Contains(err.Error(), "wrong password") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("On401RefreshesOnceAndRetries", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if _, err := b.client.Limits(ctx); err != nil {
			t.Fatal(err)
		}
		// An expired session looks like a revoked access token.
		if err := b.cfg.Revoke(ctx, b.tok.AccessToken); err != nil {
			t.Fatal(err)
		}
		before := b.calls.len()
		if _, err := b.client.Limits(ctx); err != nil {
			t.Fatalf("call after session expiry: %v", err)
		}
		calls := b.calls.snapshot()[before:]
		if len(calls) != 2 || calls[0].StatusCode != 401 || calls[1].StatusCode != 200 {
			t.Fatalf("calls = %+v, want 401 then 200", calls)
		}
		b.refreshMu.Lock()
		defer b.refreshMu.Unlock()
		if len(b.refreshed) != 1 {
			t.Fatalf("OnRefresh called %d times, want 1", len(b.refreshed))
		}
		fresh := b.refreshed[0]
		if fresh.AccessToken == b.tok.AccessToken || fresh.RefreshToken != b.tok.RefreshToken || fresh.InstanceURL != b.srv.URL {
			t.Fatalf("refreshed token = %v", fresh)
		}
	})

	t.Run("UserInfoRefreshesToo", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if err := b.cfg.Revoke(ctx, b.tok.AccessToken); err != nil {
			t.Fatal(err)
		}
		id, err := b.client.UserInfo(ctx)
		if err != nil || id.UserID != b.emu.LoginUserID() {
			t.Fatalf("UserInfo after session expiry = %+v, %v", id, err)
		}
	})

	t.Run("RevokedRefreshTokenIsErrTokenRevoked", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if err := b.cfg.Revoke(ctx, b.tok.RefreshToken); err != nil {
			t.Fatal(err)
		}
		_, err := b.client.Limits(ctx)
		if !errors.Is(err, salesforce.ErrTokenRevoked) {
			t.Fatalf("err = %v, want ErrTokenRevoked", err)
		}
		var apiErr *salesforce.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != salesforce.CodeInvalidSessionID {
			t.Fatalf("err = %v, want the 401 INVALID_SESSION_ID kept", err)
		}
		for _, secret := range []string{b.tok.AccessToken, b.tok.RefreshToken} {
			if strings.Contains(err.Error(), secret) {
				t.Fatal("error leaks a token")
			}
		}
	})

	t.Run("SixthApprovalRevokesOldest", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for range 5 {
			b.authorize(t)
		}
		_, err := b.cfg.RefreshToken(ctx, b.tok.RefreshToken)
		if !errors.Is(err, salesforce.ErrTokenRevoked) {
			t.Fatalf("err = %v, want ErrTokenRevoked for the oldest approval", err)
		}
	})

	t.Run("StaticSourceCannotRefresh", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		bogus := *b.tok
		bogus.AccessToken = "00Dbogus!token"
		c := salesforce.NewClient(salesforce.StaticSource{Tok: &bogus}, salesforce.ClientOptions{HTTPClient: b.srv.Client()})
		_, err := c.Limits(ctx)
		if !errors.Is(err, salesforce.ErrNoRefreshToken) || !errors.Is(err, salesforce.ErrSessionInvalid) {
			t.Fatalf("err = %v, want ErrNoRefreshToken and ErrSessionInvalid", err)
		}
		if strings.Contains(err.Error(), bogus.AccessToken) {
			t.Fatal("error leaks the token")
		}
	})

	t.Run("StillInvalidAfterRefreshGivesUp", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		src := &staleSource{tok: b.tok}
		b.emu.RevokeAllTokens()
		c := salesforce.NewClient(src, salesforce.ClientOptions{HTTPClient: b.srv.Client(), OnCall: b.calls.add})
		before := b.calls.len()
		_, err := c.Limits(ctx)
		if !errors.Is(err, salesforce.ErrSessionInvalid) {
			t.Fatalf("err = %v, want ErrSessionInvalid", err)
		}
		if src.refreshes != 1 || b.calls.len()-before != 2 {
			t.Fatalf("refreshes = %d, calls = %d; want one refresh and one retry", src.refreshes, b.calls.len()-before)
		}
	})

	t.Run("OnRefreshFailureKeepsOldToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		persistErr := errors.New("disk full")
		src := salesforce.NewRefreshingSource(b.cfg, b.tok, func(context.Context, *salesforce.Token) error { return persistErr })
		if _, err := src.Refresh(ctx, b.tok); !errors.Is(err, persistErr) {
			t.Fatalf("err = %v, want the persistence error", err)
		}
		cur, _ := src.Token(ctx)
		if cur.AccessToken != b.tok.AccessToken {
			t.Fatal("a token that could not be stored was put in use")
		}
	})

	t.Run("ConcurrentCallsRefreshOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if err := b.cfg.Revoke(ctx, b.tok.AccessToken); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() {
				_, err := b.client.Limits(ctx)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		b.refreshMu.Lock()
		defer b.refreshMu.Unlock()
		if len(b.refreshed) != 1 {
			t.Fatalf("%d refreshes for one expired session, want 1", len(b.refreshed))
		}
	})

	t.Run("ConcurrentRefreshesShareOne", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		src := salesforce.NewRefreshingSource(b.cfg, b.tok, nil)
		first, err := src.Refresh(ctx, b.tok)
		if err != nil {
			t.Fatal(err)
		}
		// With the refresh token gone, any further token request would fail:
		// a second caller holding the same stale token must get the new one
		// without one.
		if err := b.cfg.Revoke(ctx, b.tok.RefreshToken); err != nil {
			t.Fatal(err)
		}
		second, err := src.Refresh(ctx, b.tok)
		if err != nil || second != first {
			t.Fatalf("second refresh = %v, %v; want the first result", second, err)
		}
	})
}

// staleSource refreshes to the same (revoked) token, as a broken store would.
type staleSource struct {
	tok       *salesforce.Token
	refreshes int
}

func (s *staleSource) Token(context.Context) (*salesforce.Token, error) { return s.tok, nil }

func (s *staleSource) Refresh(context.Context, *salesforce.Token) (*salesforce.Token, error) {
	s.refreshes++
	return s.tok, nil
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)

	if err := b.cfg.Revoke(ctx, b.tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	// Revoking the refresh token also ends its access tokens.
	c := salesforce.NewClient(salesforce.StaticSource{Tok: b.tok}, salesforce.ClientOptions{HTTPClient: b.srv.Client()})
	if _, err := c.Limits(ctx); !errors.Is(err, salesforce.ErrSessionInvalid) {
		t.Fatalf("err = %v, want ErrSessionInvalid after revoke", err)
	}
	err := b.cfg.Revoke(ctx, "not-a-token")
	var oerr *salesforce.OAuthError
	if !errors.As(err, &oerr) || oerr.StatusCode != 400 || oerr.Code != "invalid_token" {
		t.Fatalf("err = %v, want 400 invalid_token", err)
	}
}
