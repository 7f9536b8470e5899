package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/store"
)

// connectionView is a connection as the API shows it: state and cause
// (F1.3), identities, which sides have credentials (never the credentials)
// and how many records are mapped.
type connectionView struct {
	ID           int64          `json:"id"`
	Name         string         `json:"name"`
	Default      bool           `json:"default"`
	State        string         `json:"state"`
	Cause        string         `json:"cause,omitempty"`
	CauseMessage string         `json:"cause_message,omitempty"`
	Since        time.Time      `json:"since"`
	Salesforce   sideView       `json:"salesforce"`
	Intercom     sideView       `json:"intercom"`
	Mappings     map[string]int `json:"mappings"`
	// InitialSync is the progress of the initial sync at connect, per
	// object (F3.8); empty until both sides are connected.
	InitialSync []initialSyncView `json:"initial_sync"`
	CreatedAt   time.Time         `json:"created_at"`
}

type initialSyncView struct {
	Object     string     `json:"object"`
	State      string     `json:"state"`
	Processed  int64      `json:"processed"`
	Matched    int64      `json:"matched"`
	Ambiguous  int64      `json:"ambiguous"`
	Message    string     `json:"message,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

type sideView struct {
	HasCredentials bool   `json:"has_credentials"`
	OrgID          string `json:"org_id,omitempty"`
	InstanceURL    string `json:"instance_url,omitempty"`
	WorkspaceID    string `json:"workspace_id,omitempty"`
}

func (s *Server) viewConnection(ctx context.Context, c store.Connection) (connectionView, error) {
	v := connectionView{
		ID: c.ID, Name: c.Name, Default: c.ID == s.defConn, State: string(c.State), Cause: c.Cause,
		CauseMessage: connection.CauseMessage(c.Cause), Since: c.StateChangedAt.UTC(), CreatedAt: c.CreatedAt.UTC(),
		Salesforce: sideView{OrgID: c.SalesforceOrgID, InstanceURL: c.SalesforceInstanceURL},
		Intercom:   sideView{WorkspaceID: c.IntercomWorkspaceID},
		Mappings:   map[string]int{},
	}
	for kind, side := range map[store.CredentialKind]*sideView{store.CredentialSalesforce: &v.Salesforce, store.CredentialIntercom: &v.Intercom} {
		_, err := s.store.GetCredential(ctx, c.ID, kind)
		switch {
		case err == nil:
			side.HasCredentials = true
		case errors.Is(err, store.ErrNotFound):
		case errors.Is(err, store.ErrNoSecret):
			// Without the key the credential cannot be read but exists.
			side.HasCredentials = true
		default:
			return connectionView{}, fmt.Errorf("connection %d: %s credential: %w", c.ID, kind, err)
		}
	}
	for _, kind := range []store.MappingKind{store.MappingPerson, store.MappingCompany} {
		n, err := s.store.CountMappings(ctx, c.ID, kind)
		if err != nil {
			return connectionView{}, fmt.Errorf("connection %d: count mappings: %w", c.ID, err)
		}
		v.Mappings[string(kind)] = n
	}
	syncs, err := s.store.ListInitialSyncs(ctx, c.ID)
	if err != nil {
		return connectionView{}, fmt.Errorf("connection %d: initial sync: %w", c.ID, err)
	}
	v.InitialSync = make([]initialSyncView, 0, len(syncs))
	for _, is := range syncs {
		v.InitialSync = append(v.InitialSync, initialSyncView{
			Object: is.Object, State: is.State, Processed: is.Processed, Matched: is.Matched, Ambiguous: is.Ambiguous,
			Message: is.Message, StartedAt: is.StartedAt.UTC(), FinishedAt: is.FinishedAt,
		})
	}
	return v, nil
}

// connectionParam returns the connection named by ?connection=, or the
// default connection.
func (s *Server) connectionParam(r *http.Request) (store.Connection, error) {
	id := s.defConn
	if v := r.URL.Query().Get("connection"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return store.Connection{}, badRequest("connection=%q is not a connection id", v)
		}
		id = n
	}
	if id == 0 {
		return store.Connection{}, badRequest("no connection given: add ?connection=ID (this server has no default connection)")
	}
	return s.getConn(r.Context(), id)
}

func (s *Server) getConn(ctx context.Context, id int64) (store.Connection, error) {
	c, err := s.store.GetConnection(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, notFound("connection %d does not exist", id)
	}
	return c, err
}

// listConnections is GET /api/v1/connections.
func (s *Server) listConnections(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	conns, err := s.store.ListConnections(ctx)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	out := make([]connectionView, 0, len(conns))
	for _, c := range conns {
		v, err := s.viewConnection(ctx, c)
		if err != nil {
			s.writeFailure(w, r, err)
			return
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": out})
}

// getConnection is GET /api/v1/connections/{id}.
func (s *Server) getConnection(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	c, err := s.getConn(r.Context(), id)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	v, err := s.viewConnection(r.Context(), c)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// createConnection is POST /api/v1/connections {"name": …}: a new, pending
// connection for another workspace and org, connected with /connect/….
func (s *Server) createConnection(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &in, false); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 200 {
		writeError(w, http.StatusBadRequest, "bad_request", "name is required (at most 200 characters)")
		return
	}
	var c store.Connection
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		c, err = tx.CreateConnection(ctx, store.Connection{Name: in.Name})
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		s.writeFailure(w, r, conflict("a connection named %q already exists", in.Name))
		return
	}
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "connection created", "connection", c.ID, "name", c.Name)
	v, err := s.viewConnection(ctx, c)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/connections/"+strconv.FormatInt(c.ID, 10))
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
	if _, err := s.getConn(ctx, id); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	if err := s.manager.Disconnect(ctx, id, in.Purge); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "connection disconnected by admin", "connection", id, "purge", in.Purge)
	if in.Purge {
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "purged": true})
		return
	}
	c, err := s.getConn(ctx, id)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	v, err := s.viewConnection(ctx, c)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
