package web

import "net/http"

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
