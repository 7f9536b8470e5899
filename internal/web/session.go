package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// Admin sessions are server-side: the cookie holds a random value, the
// store holds a keyed hash of it (so a copy of the database holds no usable
// cookie), and signing out deletes the row, which ends the session on every
// instance at once. The hash key derives from the admin token, so rotating
// the token ends every session too.
//
// These functions are what every sign-in and sign-out goes through, the
// JSON API's and the web UI's alike.

// signIn checks a sign-in attempt with the admin token: refused with 429
// while the client has too many recent failures, 401 for a wrong token
// (counted as a failure), otherwise a new session is started. It returns
// when the session expires.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, token string) (time.Time, error) {
	client := clientAddr(r)
	if wait := s.limiter.blocked(client, s.now()); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Round(time.Second)/time.Second)))
		s.log.WarnContext(r.Context(), "sign-in refused: too many failures", "client", client)
		return time.Time{}, &httpError{status: http.StatusTooManyRequests, code: "too_many_attempts", msg: fmt.Sprintf("too many failed sign-ins from this address; try again in %s", wait.Round(time.Second))}
	}
	if !s.checkToken(token) {
		s.limiter.fail(client, s.now())
		s.log.WarnContext(r.Context(), "sign-in failed: wrong admin token", "client", client)
		return time.Time{}, &httpError{status: http.StatusUnauthorized, code: "unauthorized", msg: "wrong admin token"}
	}
	s.limiter.succeed(client)
	return s.startSession(w, r)
}

// startSession starts an admin session for the browser of r: a row in the
// store and an HttpOnly cookie. Callers must have authenticated the admin.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request) (time.Time, error) {
	value := rand.Text() + rand.Text()
	expires := s.now().Add(sessionTTL)
	err := s.store.InTx(r.Context(), func(tx store.Tx) error {
		return tx.CreateAdminSession(r.Context(), store.AdminSession{ID: s.sessionID(value), ExpiresAt: expires})
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("web: start session: %w", err)
	}
	http.SetCookie(w, s.sessionCookie(value, expires, int(sessionTTL/time.Second)))
	return expires, nil
}

// endSession ends the session of r's browser, if any, in the store and
// clears its cookie. A copy of the cookie kept elsewhere no longer works.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		err := s.store.InTx(r.Context(), func(tx store.Tx) error {
			return tx.DeleteAdminSession(r.Context(), s.sessionID(c.Value))
		})
		if err != nil {
			return fmt.Errorf("web: end session: %w", err)
		}
	}
	http.SetCookie(w, s.sessionCookie("", time.Time{}, -1))
	return nil
}

// sessionFrom reports whether r carries the cookie of a live admin session.
func (s *Server) sessionFrom(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || s.cfg.AdminToken == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	sess, err := s.store.GetAdminSession(ctx, s.sessionID(c.Value))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.WarnContext(ctx, "session lookup failed", "error", err)
		}
		return false
	}
	return s.now().Before(sess.ExpiresAt)
}

// sessionID is the stored id of a cookie value.
func (s *Server) sessionID(value string) string { return s.sign(s.sessionKey, "session", value) }

// sessionCookie is the session cookie with the given value and lifetime
// (maxAge -1 deletes it).
func (s *Server) sessionCookie(value string, expires time.Time, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", Expires: expires, MaxAge: maxAge,
		HttpOnly: true,
		Secure:   strings.HasPrefix(s.cfg.PublicURL, "https://"),
		// Lax: the cookie rides along top-level navigations (the OAuth
		// start) but not cross-site POSTs, which guards the API from CSRF.
		SameSite: http.SameSiteLaxMode,
	}
}
