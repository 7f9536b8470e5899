package web

import (
	"net/http"
)

// listUsage is GET /api/v1/usage?connection=&days=N: Salesforce API calls
// per UTC day and purpose over the last N days (default 30), and the org's
// own usage from the latest Sforce-Limit-Info header when this process has
// made a call (free: no extra API call) (F8.1).
func (s *Server) listUsage(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	days, err := queryInt(r, "days", 30)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	v, err := s.app.Usage(r.Context(), conn.ID, int(min(days, 1<<20)))
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
