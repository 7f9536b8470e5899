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
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

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
	// errStateOtherBrowser: the callback came without the cookie of the
	// browser that started the flow (another browser, or cookies blocked).
	errStateOtherBrowser = errors.New("OAuth callback from another browser")
)

// newState starts an OAuth flow: a random nonce plus extra (the Salesforce
// login URL, which must come back unaltered), signed with the state key and
// stored single-use with the PKCE verifier. The state travels through the
// provider and the user's browser, so it holds nothing secret.
//
// The flow is bound to the browser that starts it: a random value goes into
// an HttpOnly cookie and into the state's signature, so a state that leaked
// (it is in URLs) completes nothing from another client: the callback
// checks the signature with the cookie the browser sends back.
func (s *Server) newState(ctx context.Context, w http.ResponseWriter, provider string, connID int64, verifier, extra, redirectTo string) (string, error) {
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("web: oauth state: %w", err)
	}
	browser := rand.Text() + rand.Text()
	n := base64.RawURLEncoding.EncodeToString(nonce)
	x := base64.RawURLEncoding.EncodeToString([]byte(extra))
	state := n + "." + x + "." + s.sign(s.stateKey, provider, n, x, browser)
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
	http.SetCookie(w, s.flowCookie(provider, browser, int(stateTTL/time.Second)))
	return state, nil
}

// flowCookie is the cookie binding a provider's OAuth flow to the browser.
// It is sent only to that provider's callback; SameSite Lax lets it ride
// along the provider's top-level redirect back to ferry.
func (s *Server) flowCookie(provider, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: flowCookiePrefix + provider, Value: value, Path: "/oauth/" + provider + "/callback", MaxAge: maxAge,
		HttpOnly: true, Secure: strings.HasPrefix(s.cfg.PublicURL, "https://"), SameSite: http.SameSiteLaxMode,
	}
}

// flowCookiePrefix names the per-provider browser binding cookies.
const flowCookiePrefix = "ferry_oauth_"

// consumeState checks the state's signature, with the browser binding
// cookie of r, then uses it up. It returns the stored flow and the signed
// extra.
func (s *Server) consumeState(r *http.Request, provider, state string) (store.OAuthState, string, error) {
	ctx := r.Context()
	parts := strings.Split(state, ".")
	if len(parts) != 3 {
		return store.OAuthState{}, "", errStateInvalid
	}
	c, err := r.Cookie(flowCookiePrefix + provider)
	if err != nil || c.Value == "" {
		return store.OAuthState{}, "", errStateOtherBrowser
	}
	if !hmac.Equal([]byte(parts[2]), []byte(s.sign(s.stateKey, provider, parts[0], parts[1], c.Value))) {
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
	case errors.Is(err, errStateOtherBrowser):
		s.metrics.oauth.WithLabelValues(provider, "other_browser").Inc()
		s.oauthFail(w, r, http.StatusBadRequest, "other_browser",
			"This sign-in response reached a different browser from the one that started it, or the browser refused ferry's cookie. Start again from /connect/"+provider+" in this browser, with cookies allowed.")
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

// redirectTarget validates the optional ?redirect_to= of a connect request
// (see localPath), so the flow cannot be turned into an open redirect.
func redirectTarget(r *http.Request) (string, error) {
	to := r.URL.Query().Get("redirect_to")
	if to == "" {
		return "", nil
	}
	if !localPath(to) {
		return "", badRequest("redirect_to must be a path on this server, such as /ui/connections")
	}
	return to, nil
}

// localPath accepts only a clean absolute path on this server: it starts
// with one "/", holds no control characters, spaces or backslashes (which
// browsers strip or read as "/", turning "/<TAB>/evil.example" or "/\evil.example"
// into "//evil.example", another host), no scheme, host or user, and no
// "." or ".." segments.
func localPath(p string) bool {
	if len(p) > 2048 || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return false
	}
	for _, c := range p {
		if c <= ' ' || c == 0x7f || c == '\\' || !unicode.IsPrint(c) || unicode.IsSpace(c) {
			return false
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	// Percent-encoded slashes or backslashes could be decoded by a proxy
	// or the next hop into a second leading slash.
	lower := strings.ToLower(u.EscapedPath())
	if strings.HasPrefix(lower, "/%2f") || strings.HasPrefix(lower, "/%5c") {
		return false
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
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
<style>{{.Style}}</style></head>
<body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>
`))

// page writes a minimal HTML page.
func page(w http.ResponseWriter, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, struct {
		Title, Message string
		Style          template.CSS
	}{title, message, pageStyle})
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
	st, login, err := s.consumeState(r, provider, q.Get("state"))
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
