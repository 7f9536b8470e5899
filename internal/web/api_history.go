package web

import (
	"net/http"

	"github.com/ferrysync/ferry/internal/store"
)

// listHistory is GET /api/v1/history?record=ID[&connection=][&limit=][&before=]:
// what changed on a record (Intercom or Salesforce id), newest first;
// before= continues after the last entry's id.
func (s *Server) listHistory(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	before, err := queryInt(r, "before", 0)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	page, err := s.app.History(r.Context(), conn.ID, r.URL.Query().Get("record"),
		store.Page{Limit: int(min(limit, 1<<20)), BeforeID: before})
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}
