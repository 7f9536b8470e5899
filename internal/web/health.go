package web

import (
	"context"
	"net/http"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
)

// healthz says the process is up (F8.5).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz says whether this process can serve: the store answers a cheap
// read. A disconnected connection does not make the process unready (it
// could not fix that by restarting), but its state is listed.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	conns, err := s.store.ListConnections(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "readiness: store unreachable", "error", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "store": "unreachable"})
		return
	}
	type connState struct {
		ID      int64  `json:"id"`
		Name    string `json:"name"`
		State   string `json:"state"`
		Cause   string `json:"cause,omitempty"`
		Message string `json:"cause_message,omitempty"`
	}
	list := make([]connState, 0, len(conns))
	for _, c := range conns {
		list = append(list, connState{ID: c.ID, Name: c.Name, State: string(c.State), Cause: c.Cause, Message: connection.CauseMessage(c.Cause)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "store": "ok", "connections": list})
}
