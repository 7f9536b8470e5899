package salesforce

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Lifetimes of OAuth artifacts.
const (
	sessionTimeout  = 2 * time.Hour    // the org's default session timeout
	codeLifetime    = 15 * time.Minute // authorization codes
	maxApprovals    = 5                // refresh tokens per connected app per user
	defaultScope    = "api refresh_token"
	tokenAlphabet   = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	oauthFormAction = "/services/oauth2/authorize"
)

// authCode is an issued, not yet exchanged authorization code.
type authCode struct {
	clientID    string
	redirectURI string
	userID      string
	scope       string
	challenge   string
	expires     time.Time
}

// session is a live access token.
type session struct {
	userID   string
	clientID string
	issued   time.Time
	grant    *grant // nil for the password flow
}

// grant is one approval: a refresh token.
type grant struct {
	token    string
	clientID string
	userID   string
	scope    string
	seq      int64
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = tokenAlphabet[int(b[i])%len(tokenAlphabet)]
	}
	return string(b)
}

// authenticate returns the session of the request's bearer token, or nil.
func (s *Server) authenticate(r *http.Request) *session {
	h := r.Header.Get("Authorization")
	var tok string
	switch {
	case strings.HasPrefix(h, "Bearer "):
		tok = strings.TrimSpace(h[len("Bearer "):])
	case strings.HasPrefix(h, "OAuth "):
		tok = strings.TrimSpace(h[len("OAuth "):])
	default:
		return nil
	}
	return s.tokenSession(tok)
}

// tokenSession returns the live session of an access token, or nil.
func (s *Server) tokenSession(tok string) *session {
	s.authMu.Lock()
	defer s.authMu.Unlock()
	sess := s.access[tok]
	if sess == nil {
		return nil
	}
	if s.now().Sub(sess.issued) >= sessionTimeout {
		delete(s.access, tok)
		return nil
	}
	return sess
}

// oauthError writes a token-endpoint error.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	body := map[string]string{"error": code}
	if desc != "" {
		body["error_description"] = desc
	}
	writeJSON(w, status, body)
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !s.checkAuthorizeParams(w, q) {
		return
	}
	if s.opts.AutoApprove {
		s.redirectWithCode(w, r, q, s.userID)
		return
	}
	s.renderLogin(w, q, "")
}

// checkAuthorizeParams validates an authorize request and answers it if bad.
func (s *Server) checkAuthorizeParams(w http.ResponseWriter, q url.Values) bool {
	if q.Get("client_id") != s.opts.ClientID {
		http.Error(w, "OAuth Error: error=invalid_client_id&error_description=client identifier invalid", http.StatusBadRequest)
		return false
	}
	ru, err := url.Parse(q.Get("redirect_uri"))
	if q.Get("redirect_uri") == "" || err != nil || !ru.IsAbs() {
		http.Error(w, "OAuth Error: error=redirect_uri_mismatch&error_description=redirect_uri must match configuration", http.StatusBadRequest)
		return false
	}
	fail := func(code, desc string) bool {
		v := ru.Query()
		v.Set("error", code)
		v.Set("error_description", desc)
		if st := q.Get("state"); st != "" {
			v.Set("state", st)
		}
		ru.RawQuery = v.Encode()
		w.Header().Set("Location", ru.String())
		w.WriteHeader(http.StatusFound)
		return false
	}
	if q.Get("response_type") != "code" {
		return fail("unsupported_response_type", "response type not supported")
	}
	if m := q.Get("code_challenge_method"); m != "" && m != "S256" {
		return fail("invalid_request", "invalid code_challenge_method")
	}
	return true
}

// redirectWithCode issues an authorization code for userID and sends the
// browser back to redirect_uri.
func (s *Server) redirectWithCode(w http.ResponseWriter, r *http.Request, q url.Values, userID string) {
	code := "aPrx" + randomToken(60)
	scope := q.Get("scope")
	if scope == "" {
		scope = defaultScope
	}
	s.authMu.Lock()
	s.codes[code] = &authCode{
		clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), userID: userID,
		scope: scope, challenge: q.Get("code_challenge"), expires: s.now().Add(codeLifetime),
	}
	s.authMu.Unlock()
	ru, _ := url.Parse(q.Get("redirect_uri"))
	v := ru.Query()
	v.Set("code", code)
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	ru.RawQuery = v.Encode()
	http.Redirect(w, r, ru.String(), http.StatusFound)
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Login | Salesforce (emulator)</title></head>
<body>
<h1>Log in to Salesforce</h1>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<form method="POST" action="{{.Action}}">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">
{{end}}<label>Username <input type="email" name="username" autocomplete="username"></label>
<label>Password <input type="password" name="password" autocomplete="current-password"></label>
<p>{{.App}} is asking to access your basic information and manage your data at any time.</p>
<button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>
</body></html>
`))

func (s *Server) renderLogin(w http.ResponseWriter, q url.Values, msg string) {
	params := map[string]string{}
	for _, k := range []string{"response_type", "client_id", "redirect_uri", "state", "scope", "code_challenge", "code_challenge_method", "prompt"} {
		if v := q.Get(k); v != "" {
			params[k] = v
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = loginPage.Execute(w, map[string]any{"Action": oauthFormAction, "Params": params, "Error": msg, "App": s.opts.ClientID})
}

// handleAuthorizeForm is the login-and-approve form's submission.
func (s *Server) handleAuthorizeForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	q := r.PostForm
	if !s.checkAuthorizeParams(w, q) {
		return
	}
	if q.Get("action") == "deny" {
		ru, _ := url.Parse(q.Get("redirect_uri"))
		v := ru.Query()
		v.Set("error", "access_denied")
		v.Set("error_description", "end-user denied authorization")
		if st := q.Get("state"); st != "" {
			v.Set("state", st)
		}
		ru.RawQuery = v.Encode()
		http.Redirect(w, r, ru.String(), http.StatusFound)
		return
	}
	if !s.checkPassword(q.Get("username"), q.Get("password")) {
		w.WriteHeader(http.StatusOK)
		s.renderLogin(w, q, "Please check your username and password. If you still can't log in, contact your Salesforce administrator.")
		return
	}
	s.redirectWithCode(w, r, q, s.userID)
}

func (s *Server) checkPassword(user, pass string) bool {
	okUser := strings.EqualFold(user, s.opts.Username)
	okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.Password)) == 1
	return okUser && okPass
}

// tokenResponse is the token endpoint's success body.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Signature    string `json:"signature"`
	Scope        string `json:"scope"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"`
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.authMu.Lock()
	latency := s.faults.TokenLatencyMs
	s.authMu.Unlock()
	sleepFor(r, latency)
	w.Header().Set("Cache-Control", "no-store")
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed request body")
		return
	}
	f := r.PostForm
	clientID, secret := f.Get("client_id"), f.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		clientID, secret = u, p
	}
	grantType := f.Get("grant_type")
	switch grantType {
	case "authorization_code", "refresh_token", "password":
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
		return
	}
	if clientID != s.opts.ClientID {
		oauthError(w, http.StatusBadRequest, "invalid_client_id", "client identifier invalid")
		return
	}
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) == 1
	if secret != "" && !secretOK {
		oauthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
		return
	}
	now := s.now()
	s.authMu.Lock()
	defer s.authMu.Unlock()
	var (
		userID, scope string
		g             *grant
		newRefresh    bool
	)
	switch grantType {
	case "authorization_code":
		code := s.codes[f.Get("code")]
		delete(s.codes, f.Get("code")) // single use, whatever happens next
		switch {
		case code == nil || code.clientID != clientID:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid authorization code")
			return
		case now.After(code.expires):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "expired authorization code")
			return
		case code.redirectURI != f.Get("redirect_uri"):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri must match configuration")
			return
		}
		if code.challenge != "" {
			sum := sha256.Sum256([]byte(f.Get("code_verifier")))
			if f.Get("code_verifier") == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != code.challenge {
				oauthError(w, http.StatusBadRequest, "invalid_grant", "invalid code verifier")
				return
			}
		} else if !secretOK {
			oauthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
			return
		}
		userID, scope = code.userID, code.scope
		if hasScope(scope, "refresh_token") || hasScope(scope, "offline_access") || hasScope(scope, "full") {
			g = s.approve(clientID, userID, scope)
			newRefresh = true
		}
	case "refresh_token":
		g = s.refresh[f.Get("refresh_token")]
		if g == nil || g.clientID != clientID {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "expired access/refresh token")
			return
		}
		userID, scope = g.userID, g.scope
	case "password":
		if !secretOK {
			oauthError(w, http.StatusBadRequest, "invalid_client", "invalid client credentials")
			return
		}
		if !s.checkPassword(f.Get("username"), f.Get("password")) {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "authentication failure")
			return
		}
		userID, scope = s.userID, "api"
	}
	access := s.orgID[:15] + "!AQ" + randomToken(3) + "." + randomToken(96)
	s.access[access] = &session{userID: userID, clientID: clientID, issued: now, grant: g}
	id := baseURL(r) + "/id/" + s.orgID + "/" + userID
	issued := strconv.FormatInt(now.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(s.opts.ClientSecret))
	mac.Write([]byte(id + issued))
	resp := tokenResponse{
		AccessToken: access, Signature: base64.StdEncoding.EncodeToString(mac.Sum(nil)), Scope: scope,
		InstanceURL: baseURL(r), ID: id, TokenType: "Bearer", IssuedAt: issued,
	}
	if newRefresh {
		resp.RefreshToken = g.token
	}
	s.log.Info("salesforce emulator: token issued", "grant_type", grantType, "user", userID)
	writeJSON(w, http.StatusOK, resp)
}

func hasScope(scope, want string) bool {
	for _, s := range strings.Fields(scope) {
		if s == want {
			return true
		}
	}
	return false
}

// approve records a new approval (refresh token); the sixth for the same
// app and user silently revokes the oldest. Callers hold authMu.
func (s *Server) approve(clientID, userID, scope string) *grant {
	var mine []*grant
	for _, g := range s.refresh {
		if g.clientID == clientID && g.userID == userID {
			mine = append(mine, g)
		}
	}
	for len(mine) >= maxApprovals {
		oldest := 0
		for i, g := range mine {
			if g.seq < mine[oldest].seq {
				oldest = i
			}
		}
		s.revokeGrant(mine[oldest])
		mine = append(mine[:oldest], mine[oldest+1:]...)
	}
	g := &grant{token: "5Aep861" + randomToken(80), clientID: clientID, userID: userID, scope: scope, seq: s.grantSeq + 1}
	s.grantSeq++
	s.refresh[g.token] = g
	return g
}

// revokeGrant drops a refresh token and its access tokens; callers hold authMu.
func (s *Server) revokeGrant(g *grant) {
	delete(s.refresh, g.token)
	for tok, sess := range s.access {
		if sess.grant == g {
			delete(s.access, tok)
		}
	}
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	tok := r.Form.Get("token")
	if tok == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_token_type"})
		return
	}
	defer s.cdc.wakeAll() // open Pub/Sub streams check their token again
	s.authMu.Lock()
	defer s.authMu.Unlock()
	if g := s.refresh[tok]; g != nil {
		s.revokeGrant(g)
		w.WriteHeader(http.StatusOK)
		return
	}
	if _, ok := s.access[tok]; ok {
		delete(s.access, tok)
		w.WriteHeader(http.StatusOK)
		return
	}
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_token"})
}

// RevokeAllTokens revokes every access and refresh token, as an admin
// blocking the connected app would.
func (s *Server) RevokeAllTokens() {
	defer s.cdc.wakeAll() // open Pub/Sub streams check their token again
	s.authMu.Lock()
	defer s.authMu.Unlock()
	s.access = map[string]*session{}
	s.refresh = map[string]*grant{}
	s.codes = map[string]*authCode{}
}

// handleIdentity is the identity URL returned as "id" by the token endpoint.
func (s *Server) handleIdentity(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("oauth_token")
	if h := r.Header.Get("Authorization"); h != "" {
		tok = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(h, "Bearer "), "OAuth "))
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	sess := s.authenticate(r)
	if sess == nil {
		http.Error(w, "Bad_OAuth_Token", http.StatusForbidden)
		return
	}
	org, user := r.PathValue("org"), r.PathValue("user")
	if o, _ := normalizeID(org); o != s.orgID {
		http.Error(w, "Bad_Id", http.StatusNotFound)
		return
	}
	uid, _ := normalizeID(user)
	var u map[string]any
	s.mu.RLock()
	if rec := s.tables["user"].byID[uid]; rec != nil {
		u = rec.f
	}
	s.mu.RUnlock()
	if u == nil || uid != sess.userID {
		http.Error(w, "Bad_Id", http.StatusNotFound)
		return
	}
	base := baseURL(r)
	v := "62.0"
	urls := map[string]string{}
	for k, p := range map[string]string{
		"enterprise": "/services/Soap/c/{version}/" + s.orgID[:15], "metadata": "/services/Soap/m/{version}/" + s.orgID[:15],
		"partner": "/services/Soap/u/{version}/" + s.orgID[:15], "rest": "/services/data/v{version}/",
		"sobjects": "/services/data/v{version}/sobjects/", "search": "/services/data/v{version}/search/",
		"query": "/services/data/v{version}/query/", "recent": "/services/data/v{version}/recent/",
		"profile": "/" + uid, "limits": "/services/data/v{version}/limits",
	} {
		urls[k] = base + strings.ReplaceAll(p, "{version}", v)
	}
	str := func(k string) any { return u[k] }
	writeJSON(w, http.StatusOK, map[string]any{
		"id": base + "/id/" + s.orgID + "/" + uid, "asserted_user": true, "user_id": uid,
		"organization_id": s.orgID, "username": str("Username"), "nick_name": str("Alias"),
		"display_name": str("Name"), "email": str("Email"), "email_verified": true,
		"first_name": str("FirstName"), "last_name": str("LastName"), "timezone": str("TimeZoneSidKey"),
		"photos":      map[string]string{"picture": base + "/profilephoto/005/F", "thumbnail": base + "/profilephoto/005/T"},
		"addr_street": nil, "addr_city": nil, "addr_state": nil, "addr_country": "US", "addr_zip": nil,
		"mobile_phone": nil, "mobile_phone_verified": false, "is_lightning_login_user": false,
		"status": map[string]any{"created_date": nil, "body": nil}, "urls": urls, "active": true,
		"user_type": "STANDARD", "language": "en_US", "locale": "en_US", "utcOffset": -28800000,
		"last_modified_date": str("LastModifiedDate"), "is_app_installed": true,
	})
}
