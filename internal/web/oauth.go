package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// stateTTL is how long a started OAuth flow may take to come back.
const stateTTL = 10 * time.Minute

// Providers, as stored in OAuthState.Provider and signed into the state.
const (
	providerSalesforce = "salesforce"
	providerIntercom   = "intercom"
)

var (
	// errStateInvalid: the state was not made by ferry (tampered, truncated,
	// or for the other provider). Rejected before the database is asked.
	errStateInvalid = errors.New("invalid OAuth state")
	// errStateUsed: a genuine state that was already used or expired.
	errStateUsed = errors.New("OAuth state already used or expired")
)

// newState starts an OAuth flow: a random nonce plus extra (the Salesforce
// login URL, which must come back unaltered), signed with the state key and
// stored single-use with the PKCE verifier. The state travels through the
// provider and the user's browser, so it holds nothing secret.
func (s *Server) newState(ctx context.Context, provider string, connID int64, verifier, extra, redirectTo string) (string, error) {
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("web: oauth state: %w", err)
	}
	n := base64.RawURLEncoding.EncodeToString(nonce)
	x := base64.RawURLEncoding.EncodeToString([]byte(extra))
	state := n + "." + x + "." + s.sign(s.stateKey, provider, n, x)
	now := s.now()
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		return tx.CreateOAuthState(ctx, store.OAuthState{
			State: state, ConnectionID: connID, Provider: provider, Verifier: verifier,
			RedirectTo: redirectTo, CreatedAt: now, ExpiresAt: now.Add(stateTTL),
		})
	})
	if err != nil {
		return "", fmt.Errorf("web: oauth state: %w", err)
	}
	return state, nil
}

// consumeState checks the state's signature, then uses it up. It returns
// the stored flow and the signed extra.
func (s *Server) consumeState(ctx context.Context, provider, state string) (store.OAuthState, string, error) {
	parts := strings.Split(state, ".")
	if len(parts) != 3 || !hmac.Equal([]byte(parts[2]), []byte(s.sign(s.stateKey, provider, parts[0], parts[1]))) {
		return store.OAuthState{}, "", errStateInvalid
	}
	extra, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return store.OAuthState{}, "", errStateInvalid
	}
	var st store.OAuthState
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		st, err = tx.ConsumeOAuthState(ctx, state)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.OAuthState{}, "", errStateUsed
	case err != nil:
		return store.OAuthState{}, "", fmt.Errorf("web: consume oauth state: %w", err)
	case st.Provider != provider:
		return store.OAuthState{}, "", errStateInvalid
	}
	return st, string(extra), nil
}

// stateFailure answers a callback whose state did not check out.
func (s *Server) stateFailure(w http.ResponseWriter, r *http.Request, provider string, err error) {
	switch {
	case errors.Is(err, errStateInvalid):
		s.metrics.oauth.WithLabelValues(provider, "invalid_state").Inc()
		s.oauthFail(w, r, http.StatusBadRequest, "invalid_state",
			"This sign-in response was not started by ferry or was altered on the way. Start again from /connect/"+provider+".")
	case errors.Is(err, errStateUsed):
		s.metrics.oauth.WithLabelValues(provider, "state_used").Inc()
		s.oauthFail(w, r, http.StatusBadRequest, "state_used",
			"This sign-in response was already used or has expired (flows last 10 minutes). Start again from /connect/"+provider+".")
	default:
		s.metrics.oauth.WithLabelValues(provider, "error").Inc()
		s.log.ErrorContext(r.Context(), "oauth callback", "provider", provider, "error", err)
		s.oauthFail(w, r, http.StatusInternalServerError, "internal", "ferry could not check the sign-in response; see the server log.")
	}
}

// connectionGone answers a callback whose connection could not be read:
// most likely it was purged while the admin was signing in.
func (s *Server) connectionGone(w http.ResponseWriter, r *http.Request, provider string, connID int64, err error) {
	if errors.Is(err, store.ErrNotFound) {
		s.metrics.oauth.WithLabelValues(provider, "no_connection").Inc()
		s.oauthFail(w, r, http.StatusNotFound, "not_found",
			fmt.Sprintf("Connection %d no longer exists (it was removed while you were signing in). Nothing was stored.", connID))
		return
	}
	s.stateFailure(w, r, provider, fmt.Errorf("connection %d: %w", connID, err))
}

// redirectTarget validates the optional ?redirect_to= of a connect request:
// only a path on this server, so the flow cannot be turned into an open
// redirect.
func redirectTarget(r *http.Request) (string, error) {
	to := r.URL.Query().Get("redirect_to")
	if to == "" {
		return "", nil
	}
	if !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "//") || strings.Contains(to, `\`) {
		return "", badRequest("redirect_to must be a path on this server, such as /ui/connections")
	}
	return to, nil
}

// finishFlow sends the browser on after a successful callback.
func finishFlow(w http.ResponseWriter, r *http.Request, st store.OAuthState, provider string) {
	to := st.RedirectTo
	if to == "" {
		to = "/connected?provider=" + provider + "&connection=" + strconv.FormatInt(st.ConnectionID, 10)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// wantsJSON reports a client that asked for JSON rather than a page.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ferry: {{.Title}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

// page writes a minimal HTML page.
func page(w http.ResponseWriter, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, struct{ Title, Message string }{title, message})
}

// oauthFail answers a failed OAuth step as a page for browsers and as an
// API error for clients asking for JSON.
func (s *Server) oauthFail(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	if wantsJSON(r) {
		writeError(w, status, code, message)
		return
	}
	page(w, status, "Connection failed", message)
}

// connectedPage is where a finished flow lands without a redirect_to.
func (s *Server) connectedPage(w http.ResponseWriter, r *http.Request) {
	name := "The system"
	switch r.URL.Query().Get("provider") {
	case providerSalesforce:
		name = "Salesforce"
	case providerIntercom:
		name = "Intercom"
	}
	page(w, http.StatusOK, "Connected", name+" is connected to ferry. You can close this page.")
}

// callbackStart does what both OAuth callbacks begin with: check and use up
// the state, then read the provider's refusal or the code. On failure it has
// answered the browser and returns ok false. name is the provider as people
// read it ("Salesforce"); login is the login host the flow started at.
func (s *Server) callbackStart(w http.ResponseWriter, r *http.Request, provider, name string) (st store.OAuthState, login, code string, ok bool) {
	q := r.URL.Query()
	again := ". Start again from /connect/" + provider + "."
	if q.Get("state") == "" {
		s.metrics.oauth.WithLabelValues(provider, "invalid_state").Inc()
		s.oauthFail(w, r, http.StatusBadRequest, "invalid_state", "The sign-in response has no state"+again)
		return st, "", "", false
	}
	st, login, err := s.consumeState(r.Context(), provider, q.Get("state"))
	if err != nil {
		s.stateFailure(w, r, provider, err)
		return st, "", "", false
	}
	if e := q.Get("error"); e != "" {
		s.metrics.oauth.WithLabelValues(provider, "denied").Inc()
		msg := name + " did not authorize ferry (" + e + ")"
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		s.oauthFail(w, r, http.StatusBadRequest, "access_denied", msg+again)
		return st, "", "", false
	}
	if code = q.Get("code"); code == "" {
		s.metrics.oauth.WithLabelValues(provider, "no_code").Inc()
		s.oauthFail(w, r, http.StatusBadRequest, "missing_code", "The sign-in response has no authorization code"+again)
		return st, "", "", false
	}
	return st, login, code, true
}
