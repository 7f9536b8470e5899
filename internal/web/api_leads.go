package web

import (
	"net/http"

	"github.com/ferrysync/ferry/internal/app"
)

// createLead is POST /api/v1/leads[?connection=ID] with {"intercom_contact_id",
// "name"?, "email"?, "phone"?, "company"?}: the Salesforce Lead of an
// Intercom contact (F4.1–F4.3), 201 when created, 200 when the person was
// already in Salesforce or the same request made it before.
func (s *Server) createLead(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	var req app.LeadRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	res, err := s.app.CreateLead(r.Context(), conn.ID, req)
	if err != nil {
		s.writeInboxFailure(w, r, err)
		return
	}
	status := http.StatusCreated
	if res.Existed {
		status = http.StatusOK
	}
	writeJSON(w, status, res)
}

// writeInboxFailure answers an inbox action's failure: a Salesforce that
// cannot be used now is 503 with what to do, anything else as writeFailure.
func (s *Server) writeInboxFailure(w http.ResponseWriter, r *http.Request, err error) {
	if app.KindOf(err) == 0 {
		if title, advice, known := inboxProblem(err); known {
			s.log.WarnContext(r.Context(), "inbox action failed", "route", r.Pattern, "error", err)
			writeError(w, http.StatusServiceUnavailable, "salesforce_unavailable", title+". "+advice)
			return
		}
	}
	s.writeFailure(w, r, err)
}
