package web

import (
	"net/http"

	"github.com/ferrysync/ferry/internal/app"
)

// createTask is POST /api/v1/tasks[?connection=ID] with {"conversation_id",
// "part_id"?, "intercom_contact_id"?}: the conversation, or one message or
// note of it, as a completed Task on the person's Lead or Contact (F6.2);
// 201 when created, 200 when the same request logged it before.
func (s *Server) createTask(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	var req app.TaskRequest
	if err := decodeJSON(w, r, &req, false); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	res, err := s.app.LogToSalesforce(r.Context(), conn.ID, req)
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
