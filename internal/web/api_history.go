package web

import (
	"net/http"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
)

// listHistory is GET /api/v1/history?record=ID[&connection=][&limit=][&before=]:
// what changed on a record (Intercom or Salesforce id), newest first;
// before= continues after the last entry's id. With ?q=EMAIL|ID instead of
// record=, it answers {"q": …, "records": [page, …]}: one page per record
// matched on the email (or the one record named).
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
	pg := store.Page{Limit: int(min(limit, 1<<20)), BeforeID: before}
	if q := r.URL.Query().Get("q"); q != "" {
		// ?q= is an email (every record matched on it) or a record id.
		ids, err := s.app.FindRecords(r.Context(), conn.ID, q)
		if err != nil {
			s.writeFailure(w, r, err)
			return
		}
		records := make([]app.HistoryPage, 0, len(ids))
		for _, id := range ids {
			page, err := s.app.History(r.Context(), conn.ID, id, pg)
			if err != nil {
				s.writeFailure(w, r, err)
				return
			}
			records = append(records, page)
		}
		writeJSON(w, http.StatusOK, map[string]any{"q": q, "records": records})
		return
	}
	page, err := s.app.History(r.Context(), conn.ID, r.URL.Query().Get("record"), pg)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}
