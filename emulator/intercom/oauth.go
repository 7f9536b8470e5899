package intercom

import (
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

var authorizePage = template.Must(template.New("oauth").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Authorize app — Intercom (emulated)</title></head>
<body style="font-family:sans-serif;max-width:32em;margin:4em auto">
<h1>Connect to your Intercom workspace</h1>
<p>The app <b>{{.ClientID}}</b> wants access to workspace <b>{{.AppID}}</b>.</p>
<form method="post" action="/oauth">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<button type="submit" name="decision" value="authorize">Authorize</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form></body></html>`))

// handleAuthorizePage is GET /oauth: the consent page (or, with
// AutoApprove, the redirect straight away).
func (s *Server) handleAuthorizePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	clientID, state, redirect := q.Get("client_id"), q.Get("state"), q.Get("redirect_uri")
	if clientID == "" || (s.opts.ClientID != "" && clientID != s.opts.ClientID) {
		http.Error(w, "Unknown app: check client_id", http.StatusBadRequest)
		return
	}
	if redirect == "" {
		http.Error(w, "redirect_uri is required by this emulator (it has no registered redirect URLs)", http.StatusBadRequest)
		return
	}
	if s.opts.AutoApprove {
		s.redirectWithCode(w, r, redirect, state)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	authorizePage.Execute(w, map[string]string{"ClientID": clientID, "AppID": s.appID, "State": state, "RedirectURI": redirect})
}

// handleAuthorizeSubmit is the consent form's POST.
func (s *Server) handleAuthorizeSubmit(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	redirect, state := r.PostForm.Get("redirect_uri"), r.PostForm.Get("state")
	if _, err := url.Parse(redirect); err != nil || redirect == "" {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	if r.PostForm.Get("decision") != "authorize" {
		u, _ := url.Parse(redirect)
		v := u.Query()
		v.Set("error", "access_denied")
		v.Set("state", state)
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
		return
	}
	s.redirectWithCode(w, r, redirect, state)
}

func (s *Server) redirectWithCode(w http.ResponseWriter, r *http.Request, redirect, state string) {
	u, err := url.Parse(redirect)
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	code := randomToken(18) // base64 that may end in "=", as Intercom's codes can
	s.mu.Lock()
	s.st.oauthCodes[code] = true
	s.mu.Unlock()
	v := u.Query()
	v.Set("code", code)
	v.Set("state", state)
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// handleToken is POST /auth/eagle/token: exchange a single-use code for a
// token that never expires.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	var code, clientID, secret string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			Code         string `json:"code"`
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		if err := decodeInto(r, &body); err != nil {
			respond(w, nil, err)
			return
		}
		code, clientID, secret = body.Code, body.ClientID, body.ClientSecret
	} else {
		if err := r.ParseForm(); err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "could not parse form body")
			return
		}
		code, clientID, secret = r.Form.Get("code"), r.Form.Get("client_id"), r.Form.Get("client_secret")
	}
	if clientID != s.opts.ClientID || secret != s.opts.ClientSecret {
		writeError(w, http.StatusUnauthorized, "unauthorized", "Unauthorized Client")
		return
	}
	s.mu.Lock()
	ok := s.st.oauthCodes[code]
	delete(s.st.oauthCodes, code)
	var tok string
	if ok {
		tok = "dG9rOj" + strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(newUUID())), "=")
		s.st.tokens[tok] = true
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusUnauthorized, "unauthorized", "Unauthorized Code")
		return
	}
	s.log.Info("intercom: issued OAuth token", "token", tokenHint(tok))
	writeJSON(w, http.StatusOK, map[string]string{"token_type": "Bearer", "token": tok, "access_token": tok})
}

// RevokeToken makes tok stop working (as uninstalling the app would); it
// reports whether tok was accepted before.
func (s *Server) RevokeToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := s.st.tokens[tok]
	delete(s.st.tokens, tok)
	return ok
}

// AddToken makes tok an accepted access token.
func (s *Server) AddToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.tokens[tok] = true
}
