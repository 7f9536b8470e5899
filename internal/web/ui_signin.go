package web

import (
	"net/http"
	"strings"
)

// nextPath returns next if it is a path on this server, else "/": the
// sign-in never redirects to another site.
func nextPath(next string) string {
	if !localPath(next) {
		return "/"
	}
	return next
}

// signinPage is GET /signin: the admin token form.
func (s *Server) signinPage(w http.ResponseWriter, r *http.Request) {
	if s.sessionFrom(r) {
		http.Redirect(w, r, nextPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "signin", uiPage{Title: "Sign in", Data: nextPath(r.URL.Query().Get("next"))})
}

// signinSubmit is POST /signin: the admin token for a session. The form
// has no CSRF token (there is no session yet); the Origin check still
// applies, so another site cannot sign a browser in.
func (s *Server) signinSubmit(w http.ResponseWriter, r *http.Request) {
	next := nextPath(r.PostFormValue("next"))
	if o := r.Header.Get("Origin"); o != "" && !s.ownOrigin(r, o) {
		s.render(w, r, http.StatusForbidden, "signin", uiPage{Title: "Sign in", FlashError: "Sign-in from another site was refused.", Data: next})
		return
	}
	if _, err := s.signIn(w, r, strings.TrimSpace(r.PostFormValue("token"))); err != nil {
		msg, ok := failedMessage(err)
		if !ok {
			s.log.ErrorContext(r.Context(), "sign-in failed", "error", err)
			msg = "Signing in failed inside ferry; the server log has the details."
		}
		status := http.StatusUnauthorized
		if he, isHE := err.(*httpError); isHE {
			status = he.status
		}
		s.render(w, r, status, "signin", uiPage{Title: "Sign in", FlashError: msg, Data: next})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signinLink is GET /signin/link?token=…: the one-click sign-in link the
// demo prints. A wrong token shows the form.
func (s *Server) signinLink(w http.ResponseWriter, r *http.Request) {
	if _, err := s.signIn(w, r, r.URL.Query().Get("token")); err != nil {
		msg, _ := failedMessage(err)
		s.render(w, r, http.StatusUnauthorized, "signin", uiPage{Title: "Sign in", FlashError: msg, Data: "/"})
		return
	}
	// Drop the token from the address bar and history.
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// signout is POST /signout: the session ends and the browser goes to the
// sign-in form.
func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	if s.sessionFrom(r) {
		if err := s.checkCSRF(r); err != nil {
			http.Error(w, "sign-out refused: "+err.Error(), http.StatusForbidden)
			return
		}
	}
	if err := s.endSession(w, r); err != nil {
		s.log.ErrorContext(r.Context(), "sign-out", "error", err)
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
