package salesforce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Token is a Salesforce OAuth token. Salesforce sends no expiry: an access
// token lives as long as the org's session timeout, so the client refreshes
// when a call answers 401 INVALID_SESSION_ID.
//
// Token marshals to JSON with all fields (for encrypted storage) but redacts
// its secrets when formatted with fmt or logged with slog.
type Token struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	InstanceURL  string    `json:"instance_url"`
	ID           string    `json:"id"` // identity URL: https://login…/id/{orgID}/{userID}
	IssuedAt     time.Time `json:"issued_at"`
	Scope        string    `json:"scope,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
}

// OrgID returns the organization id from the identity URL, or "".
func (t *Token) OrgID() string {
	org, _ := t.idParts()
	return org
}

// UserID returns the user id from the identity URL, or "".
func (t *Token) UserID() string {
	_, user := t.idParts()
	return user
}

func (t *Token) idParts() (org, user string) {
	u, err := url.Parse(t.ID)
	if err != nil {
		return "", ""
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) >= 3 && parts[len(parts)-3] == "id" {
		return parts[len(parts)-2], parts[len(parts)-1]
	}
	return "", ""
}

// String describes the token without its secrets.
func (t *Token) String() string {
	if t == nil {
		return "<nil token>"
	}
	return fmt.Sprintf("salesforce.Token{InstanceURL:%q ID:%q IssuedAt:%s AccessToken:[redacted] RefreshToken:%s}",
		t.InstanceURL, t.ID, t.IssuedAt.Format(time.RFC3339), redacted(t.RefreshToken))
}

// GoString is String, so that %#v cannot leak secrets either.
func (t *Token) GoString() string { return t.String() }

// LogValue keeps secrets out of slog output.
func (t *Token) LogValue() slog.Value {
	if t == nil {
		return slog.StringValue("<nil>")
	}
	return slog.GroupValue(
		slog.String("instance_url", t.InstanceURL),
		slog.String("id", t.ID),
		slog.Time("issued_at", t.IssuedAt),
		slog.Bool("has_refresh_token", t.RefreshToken != ""),
	)
}

func redacted(s string) string {
	if s == "" {
		return "none"
	}
	return "[redacted]"
}

// tokenResponse is the token endpoint's JSON.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Signature    string `json:"signature"`
	Scope        string `json:"scope"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"`
}

// errBadSignature is wrapped when a token response's signature does not
// match; it means a wrong client secret or a tampered response.
var errBadSignature = errors.New("token signature mismatch")

// toToken validates a token response. With a client secret, the signature
// (Base64 HMAC-SHA256 of id+issued_at) must match when present; Salesforce
// always sends it, so a missing one is tolerated only to stay compatible
// with proxies that strip it.
func (r *tokenResponse) toToken(clientSecret string) (*Token, error) {
	if r.AccessToken == "" {
		return nil, errors.New("token response has no access_token")
	}
	if r.InstanceURL == "" {
		return nil, errors.New("token response has no instance_url")
	}
	if _, err := url.ParseRequestURI(r.InstanceURL); err != nil {
		return nil, fmt.Errorf("token response has a bad instance_url: %w", err)
	}
	if clientSecret != "" && r.Signature != "" {
		mac := hmac.New(sha256.New, []byte(clientSecret))
		mac.Write([]byte(r.ID + r.IssuedAt))
		got, err := base64.StdEncoding.DecodeString(r.Signature)
		if err != nil || !hmac.Equal(got, mac.Sum(nil)) {
			return nil, errBadSignature
		}
	}
	tok := &Token{
		AccessToken:  r.AccessToken,
		RefreshToken: r.RefreshToken,
		InstanceURL:  strings.TrimRight(r.InstanceURL, "/"),
		ID:           r.ID,
		Scope:        r.Scope,
		TokenType:    r.TokenType,
	}
	if r.IssuedAt != "" {
		ms, err := strconv.ParseInt(r.IssuedAt, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("token response has a bad issued_at %q", r.IssuedAt)
		}
		tok.IssuedAt = time.UnixMilli(ms).UTC()
	}
	return tok, nil
}
