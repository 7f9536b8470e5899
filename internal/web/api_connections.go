package web

import (
	"net/http"
	"strconv"

	"github.com/ferrysync/ferry/internal/store"
)

// connectionParam returns the connection named by ?connection=, or the
// default connection.
func (s *Server) connectionParam(r *http.Request) (store.Connection, error) {
	var id int64
	if v := r.URL.Query().Get("connection"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return store.Connection{}, badRequest("connection=%q is not a connection id", v)
		}
		id = n
	}
	return s.app.Connection(r.Context(), id)
}

// listConnections is GET /api/v1/connections.
func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) {
	list, err := s.app.ListConnections(r.Context())
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": list})
}

// getConnection is GET /api/v1/connections/{id}.
func (s *Server) getConnection(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	v, err := s.app.GetConnection(r.Context(), id)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// createConnection is POST /api/v1/connections {"name": …}: a new, pending
// connection for another workspace and org, connected with /connect/….
func (s *Server) createConnection(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &in, false); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	v, err := s.app.CreateConnection(r.Context(), in.Name)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/connections/"+strconv.FormatInt(v.ID, 10))
	writeJSON(w, http.StatusCreated, v)
}

// disconnectConnection is POST /api/v1/connections/{id}/disconnect
// {"purge": bool}: revoke the tokens, forget them and, with purge, delete
// every row of the connection (F1.5).
func (s *Server) disconnectConnection(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	var in struct {
		Purge bool `json:"purge"`
	}
	if err := decodeJSON(w, r, &in, true); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	if err := s.app.Disconnect(ctx, id, in.Purge); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	if in.Purge {
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "purged": true})
		return
	}
	v, err := s.app.GetConnection(ctx, id)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
