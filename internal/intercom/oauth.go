package intercom

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// AuthorizeURL returns the page where an admin approves ferry's app:
// base (DefaultAuthorizeURL in production) with client_id, state and, if
// given, redirect_uri, which must be one of the app's registered URLs.
// Scopes are configured on the app, not in the URL.
func AuthorizeURL(base, clientID, state, redirectURI string) string {
	if base == "" {
		base = DefaultAuthorizeURL
	}
	q := url.Values{"client_id": {clientID}, "state": {state}}
	if redirectURI != "" {
		q.Set("redirect_uri", redirectURI)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + q.Encode()
}

// ExchangeCode trades the code from the OAuth callback for an access token
// (POST /auth/eagle/token). Keep the code exactly as received: it may end
// in "=". A bad code gives a 401 (ErrUnauthorized). Intercom tokens do not
// expire and there is no refresh token.
func (c *Client) ExchangeCode(ctx context.Context, code string) (string, error) {
	if c.cfg.ClientID == "" || c.cfg.ClientSecret == "" {
		return "", errors.New("intercom: exchange code: client id and secret are required")
	}
	form := url.Values{"code": {code}, "client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}}
	var out struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	err := c.call(ctx, request{method: http.MethodPost, route: "/auth/eagle/token", path: "/auth/eagle/token", form: form}, &out)
	if err != nil {
		return "", err
	}
	tok := out.AccessToken
	if tok == "" {
		tok = out.Token
	}
	if tok == "" {
		return "", fmt.Errorf("intercom: exchange code: no token in response")
	}
	return tok, nil
}

// Uninstall uninstalls the app from the workspace (POST /auth/uninstall),
// which revokes the client's access token: every later call with it
// answers 401. A token already revoked answers 401 too (ErrUnauthorized).
func (c *Client) Uninstall(ctx context.Context) error {
	return c.call(ctx, request{method: http.MethodPost, route: "/auth/uninstall", path: "/auth/uninstall", auth: true}, nil)
}
