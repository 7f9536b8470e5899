package salesforce

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DefaultLoginURL is production Salesforce; sandboxes use
// https://test.salesforce.com, and My Domain URLs work too.
const DefaultLoginURL = "https://login.salesforce.com"

// DefaultAPIVersion is the REST API version used when none is configured.
const DefaultAPIVersion = "62.0"

// Config describes ferry's connected app and talks to the OAuth endpoints.
// It is safe for concurrent use. The REST API version is a ClientOptions
// setting, because it belongs to the calls, not to the app.
type Config struct {
	LoginURL     string       // default DefaultLoginURL
	ClientID     string       // the connected app's consumer key
	ClientSecret string       // the consumer secret; also validates token signatures
	RedirectURL  string       // the callback registered with the connected app
	HTTPClient   *http.Client // default http.DefaultClient; set a Timeout
}

func (c *Config) loginURL() string {
	if c.LoginURL == "" {
		return DefaultLoginURL
	}
	return strings.TrimRight(c.LoginURL, "/")
}

func (c *Config) httpClient() *http.Client {
	if c.HTTPClient == nil {
		return http.DefaultClient
	}
	return c.HTTPClient
}

// AuthOption adds a parameter to the authorize URL.
type AuthOption func(url.Values)

// WithScope requests scopes, e.g. "api refresh_token". Without it the
// connected app's configured scopes apply.
func WithScope(scope string) AuthOption {
	return func(v url.Values) { v.Set("scope", scope) }
}

// WithPrompt sets prompt, e.g. "login consent" to force the user to pick an
// account again when reconnecting.
func WithPrompt(prompt string) AuthOption {
	return func(v url.Values) { v.Set("prompt", prompt) }
}

// WithLoginHint pre-fills the username on the login page.
func WithLoginHint(username string) AuthOption {
	return func(v url.Values) { v.Set("login_hint", username) }
}

// GenerateVerifier returns a fresh PKCE code verifier (32 random bytes,
// base64url, 43 characters), to be kept server-side with the state until the
// callback.
func GenerateVerifier() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// S256Challenge returns the PKCE S256 code challenge for verifier.
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthCodeURL returns the URL to send the user's browser to. state must be
// unguessable and checked on the callback; verifier (from GenerateVerifier)
// is sent as an S256 challenge, and an empty verifier disables PKCE.
func (c *Config) AuthCodeURL(state, verifier string, opts ...AuthOption) string {
	v := url.Values{
		"response_type": {"code"},
		"client_id":     {c.ClientID},
		"redirect_uri":  {c.RedirectURL},
		"state":         {state},
	}
	if verifier != "" {
		v.Set("code_challenge", S256Challenge(verifier))
		v.Set("code_challenge_method", "S256")
	}
	for _, o := range opts {
		o(v)
	}
	return c.loginURL() + "/services/oauth2/authorize?" + v.Encode()
}

// Exchange trades the authorization code from the callback for a token.
func (c *Config) Exchange(ctx context.Context, code, verifier string) (*Token, error) {
	v := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {c.RedirectURL},
	}
	if verifier != "" {
		v.Set("code_verifier", verifier)
	}
	tok, err := c.tokenRequest(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("salesforce: exchange code: %w", err)
	}
	return tok, nil
}

// PasswordLogin uses the username-password grant. Salesforce blocks it by
// default in new orgs; ferry uses it only in tools and tests.
func (c *Config) PasswordLogin(ctx context.Context, username, password string) (*Token, error) {
	v := url.Values{
		"grant_type": {"password"},
		"username":   {username},
		"password":   {password},
	}
	tok, err := c.tokenRequest(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("salesforce: password login: %w", err)
	}
	return tok, nil
}

// RefreshToken gets a new access token with a refresh token. Salesforce
// returns no new refresh token unless rotation is enabled; the returned
// Token then carries the old one, so callers can always store the result.
// An invalid_grant answer satisfies errors.Is(err, ErrTokenRevoked).
func (c *Config) RefreshToken(ctx context.Context, refreshToken string) (*Token, error) {
	if refreshToken == "" {
		return nil, ErrNoRefreshToken
	}
	tok, err := c.tokenRequest(ctx, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	})
	if err != nil {
		return nil, fmt.Errorf("salesforce: refresh token: %w", err)
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	return tok, nil
}

// Revoke revokes an access or refresh token; revoking a refresh token also
// revokes the access tokens issued from it.
func (c *Config) Revoke(ctx context.Context, token string) error {
	body := url.Values{"token": {token}}.Encode()
	resp, err := c.postForm(ctx, "/services/oauth2/revoke", body)
	if err != nil {
		return fmt.Errorf("salesforce: revoke: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("salesforce: revoke: %w", parseOAuthError(resp.StatusCode, data))
	}
	return nil
}

func (c *Config) tokenRequest(ctx context.Context, v url.Values) (*Token, error) {
	v.Set("client_id", c.ClientID)
	if c.ClientSecret != "" {
		v.Set("client_secret", c.ClientSecret)
	}
	resp, err := c.postForm(ctx, "/services/oauth2/token", v.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read token response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		oerr := parseOAuthError(resp.StatusCode, data)
		oerr.Grant = v.Get("grant_type")
		return nil, oerr
	}
	var tr tokenResponse
	if err := json.Unmarshal(data, &tr); err != nil {
		return nil, fmt.Errorf("decode token response: %w", err)
	}
	return tr.toToken(c.ClientSecret)
}

func (c *Config) postForm(ctx context.Context, path, body string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.loginURL()+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		// url.Error repeats the URL only, never the form body, so no secret
		// leaks; strip it anyway to keep messages short.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			return nil, fmt.Errorf("POST %s: %w", path, uerr.Err)
		}
		return nil, err
	}
	return resp, nil
}

func parseOAuthError(status int, body []byte) *OAuthError {
	e := &OAuthError{StatusCode: status}
	if err := json.Unmarshal(body, e); err != nil || e.Code == "" {
		e.Description = shorten(strings.TrimSpace(string(body)), 300)
	}
	return e
}
