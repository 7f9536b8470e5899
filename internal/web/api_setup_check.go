package web

import "net/http"

// setupCheck is GET /api/v1/setup-check[?connection=ID]: run the
// connection's setup check now (F1.4) and answer with every problem, its
// exact message and fix, and the features off because of it.
func (s *Server) setupCheck(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	v, err := s.app.SetupCheck(r.Context(), conn.ID)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
