package web

import (
	"fmt"
	"net/http"
)

// overviewPage is GET /: the selected connection's health, initial sync,
// lag, today's syncs and API budget.
func (s *Server) overviewPage(w http.ResponseWriter, r *http.Request, p uiPage) {
	o, err := s.app.Overview(r.Context(), p.Conn.ID)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	p.Title, p.Data = "Overview", o
	s.render(w, r, http.StatusOK, "overview", p)
}

// setupCheckRun is POST /setup-check: the setup check runs now and the
// overview shows its result.
func (s *Server) setupCheckRun(w http.ResponseWriter, r *http.Request, p uiPage) {
	res, err := s.app.SetupCheck(r.Context(), p.Conn.ID)
	if msg, ok := failedMessage(err); ok {
		s.redirectBack(w, r, p, "/", "", msg)
		return
	}
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	done := "Setup check: every field ferry needs is there."
	if !res.OK {
		done = fmt.Sprintf("Setup check: %d problem(s); see below.", len(res.Problems))
	}
	s.redirectBack(w, r, p, "/", done, "")
}
