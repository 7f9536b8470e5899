package web

import (
	"context"
	"net/http"

	"github.com/ferrysync/ferry/internal/app"
)

// inboxAction is the POST handler of an inbox action of the admin API
// ([?connection=ID] and a JSON request): POST /api/v1/leads creates the
// Salesforce Lead of an Intercom contact (F4.1–F4.3), POST /api/v1/tasks
// logs a conversation, or one message or note, as a completed Task
// (F6.2), POST /api/v1/cases creates a Case from a conversation (F6.4,
// F6.5). It answers 201 when the record was created, 200 when it existed
// already (the person was in Salesforce, or the same request made it).
func inboxAction[Req, Res any](s *Server, act func(context.Context, int64, Req) (Res, error), existed func(Res) bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, err := s.connectionParam(r)
		if err != nil {
			s.writeFailure(w, r, err)
			return
		}
		var req Req
		if err := decodeJSON(w, r, &req, false); err != nil {
			s.writeFailure(w, r, err)
			return
		}
		res, err := act(r.Context(), conn.ID, req)
		if err != nil {
			s.writeInboxFailure(w, r, err)
			return
		}
		status := http.StatusCreated
		if existed(res) {
			status = http.StatusOK
		}
		writeJSON(w, status, res)
	}
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
