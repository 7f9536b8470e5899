package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	sessionCookie = "ferry_session"
	sessionTTL    = 12 * time.Hour
)

// requireAdmin lets the request through when it carries the admin token as
// a bearer header or a valid session cookie; otherwise 401.
func (s *Server) requireAdmin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.isAdmin(r) {
			next(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="ferry"`)
		writeError(w, http.StatusUnauthorized, "unauthorized",
			"admin authentication required: send Authorization: Bearer $FERRY_ADMIN_TOKEN, or sign in with POST /api/v1/session")
	}
}

func (s *Server) isAdmin(r *http.Request) bool {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, tok, ok := strings.Cut(auth, " ")
		return ok && strings.EqualFold(scheme, "Bearer") && s.checkToken(strings.TrimSpace(tok))
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return s.checkSession(c.Value)
	}
	return false
}

// checkToken compares tok with the admin token in constant time. Hashing
// both first keeps the comparison's time independent of their lengths.
// Without a configured admin token nobody is admin.
func (s *Server) checkToken(tok string) bool {
	if s.cfg.AdminToken == "" || tok == "" {
		return false
	}
	a := sha256.Sum256([]byte(tok))
	b := sha256.Sum256([]byte(s.cfg.AdminToken))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// sessionValue is "expiryUnix.signature": nothing secret inside, and the
// signature's key changes with the admin token, so rotating the token ends
// every session.
func (s *Server) sessionValue(expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	return exp + "." + s.sign(s.sessionKey, "session", exp)
}

func (s *Server) checkSession(v string) bool {
	exp, sig, ok := strings.Cut(v, ".")
	if !ok || s.cfg.AdminToken == "" {
		return false
	}
	if !hmac.Equal([]byte(sig), []byte(s.sign(s.sessionKey, "session", exp))) {
		return false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && s.now().Before(time.Unix(unix, 0))
}

// sign returns the base64url HMAC-SHA256 of the parts under key.
func (s *Server) sign(key []byte, parts ...string) string {
	mac := hmac.New(sha256.New, key)
	for _, p := range parts {
		mac.Write([]byte(p))
		mac.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// createSession exchanges the admin token (JSON body {"token": …}) for an
// HttpOnly session cookie, so a browser can follow /connect/… links.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(w, r, &in, false); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	if !s.checkToken(in.Token) {
		writeError(w, http.StatusUnauthorized, "unauthorized", "wrong admin token")
		return
	}
	expires := s.now().Add(sessionTTL)
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    s.sessionValue(expires),
		Path:     "/",
		Expires:  expires,
		MaxAge:   int(sessionTTL / time.Second),
		HttpOnly: true,
		Secure:   strings.HasPrefix(s.cfg.PublicURL, "https://"),
		// Lax: the cookie rides along top-level navigations (the OAuth
		// start) but not cross-site POSTs, which guards the API from CSRF.
		SameSite: http.SameSiteLaxMode,
	})
	writeJSON(w, http.StatusOK, map[string]any{"expires_at": expires.UTC()})
}

// deleteSession clears the session cookie.
func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: strings.HasPrefix(s.cfg.PublicURL, "https://"), SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
}
