package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
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
	if r.Header.Get("Authorization") != "" {
		return s.bearerIs(r, s.cfg.AdminToken)
	}
	return s.sessionFrom(r)
}

// bearerIs reports whether r carries want as its bearer token; never for
// an empty want.
func (s *Server) bearerIs(r *http.Request, want string) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && sameToken(strings.TrimSpace(tok), want)
}

// checkToken compares tok with the admin token in constant time. Without a
// configured admin token nobody is admin.
func (s *Server) checkToken(tok string) bool { return sameToken(tok, s.cfg.AdminToken) }

// sameToken compares in constant time; hashing both first keeps the time
// independent of their lengths. An empty token matches nothing.
func sameToken(tok, want string) bool {
	if want == "" || tok == "" {
		return false
	}
	a := sha256.Sum256([]byte(tok))
	b := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
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
// Failed attempts are limited per client (see signInLimiter).
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(w, r, &in, false); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	expires, err := s.signIn(w, r, in.Token)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"expires_at": expires.UTC()})
}

// deleteSession signs out: the session ends in the store (on every
// instance) and the cookie is cleared.
func (s *Server) deleteSession(w http.ResponseWriter, r *http.Request) {
	if err := s.endSession(w, r); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
