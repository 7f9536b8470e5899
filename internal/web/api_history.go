package web

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// historyView is one entry of a record's history (F8.3).
type historyView struct {
	ID           int64           `json:"id"`
	Object       string          `json:"object"`
	IntercomID   string          `json:"intercom_id,omitempty"`
	SalesforceID string          `json:"salesforce_id,omitempty"`
	Origin       string          `json:"origin"`
	Rule         string          `json:"rule,omitempty"`
	Changes      json.RawMessage `json:"changes,omitempty"`
	Outcome      string          `json:"outcome"`
	Message      string          `json:"message,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
}

// listHistory is GET /api/v1/history?record=ID[&connection=][&limit=][&before=]:
// what changed on a record (Intercom or Salesforce id), newest first;
// before= continues after the last entry's id.
func (s *Server) listHistory(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	record := r.URL.Query().Get("record")
	if record == "" {
		s.writeFailure(w, r, badRequest("record is required: an Intercom or Salesforce record id"))
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
	if limit == 0 || limit > 1000 {
		s.writeFailure(w, r, badRequest("limit must be between 1 and 1000"))
		return
	}
	list, err := s.store.ListHistory(r.Context(), conn.ID, record, store.Page{Limit: int(limit), BeforeID: before})
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	out := make([]historyView, 0, len(list))
	for _, e := range list {
		v := historyView{ID: e.ID, Object: e.Object, IntercomID: e.IntercomID, SalesforceID: e.SalesforceID,
			Origin: string(e.Origin), Rule: e.Rule, Outcome: e.Outcome, Message: e.Message, CreatedAt: e.CreatedAt.UTC()}
		if json.Valid([]byte(e.Changes)) {
			v.Changes = json.RawMessage(e.Changes)
		} else if e.Changes != "" {
			v.Changes, _ = json.Marshal(e.Changes)
		}
		out = append(out, v)
	}
	resp := map[string]any{"record": record, "history": out}
	if len(list) == int(limit) {
		resp["next_before"] = list[len(list)-1].ID
	}
	writeJSON(w, http.StatusOK, resp)
}
