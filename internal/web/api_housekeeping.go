package web

import "net/http"

// resyncConnection is POST /api/v1/connections/{id}/resync: match again
// every record without a mapping. It answers the connection, whose
// initial_sync shows the run's progress.
func (s *Server) resyncConnection(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	v, err := s.app.Resync(r.Context(), id)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, v)
}

// accountDiagnostics is GET /api/v1/diagnostics/accounts[?connection=ID]:
// why account sync does or does not work, each problem with its fix, and
// the Account field that would match the most sampled companies.
func (s *Server) accountDiagnostics(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	d, err := s.app.DiagnoseAccounts(r.Context(), conn.ID)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
