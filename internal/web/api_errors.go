package web

import (
	"net/http"

	"github.com/ferrysync/ferry/internal/store"
)

// listSyncErrors is GET /api/v1/sync-errors?connection=&object=&code=&record=&resolved=1&limit=&offset=,
// newest first.
func (s *Server) listSyncErrors(w http.ResponseWriter, r *http.Request) {
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
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	q := r.URL.Query()
	page, err := s.app.ListSyncErrors(r.Context(), store.SyncErrorFilter{
		ConnectionID: conn.ID, Object: q.Get("object"), Code: q.Get("code"), RecordID: q.Get("record"),
		IncludeResolved: truthy(q.Get("resolved")), Limit: int(min(limit, 1<<20)), Offset: int(offset),
	})
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func truthy(v string) bool { return v == "1" || v == "true" || v == "yes" }

// getSyncError is GET /api/v1/sync-errors/{id}, with details and the
// request that failed.
func (s *Server) getSyncError(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	v, err := s.app.GetSyncError(r.Context(), id)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// retrySyncError is POST /api/v1/sync-errors/{id}/retry: the job that
// writes the record runs again now. A success resolves the error.
func (s *Server) retrySyncError(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	res, err := s.app.RetrySyncError(r.Context(), id)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"sync_error": res.SyncError, "job": map[string]any{"id": res.JobID, "state": res.JobState}})
}

// retrySyncErrors is POST /api/v1/sync-errors/retry?connection=ID[&code=]:
// retry every open error of the connection that has a job.
func (s *Server) retrySyncErrors(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	res, err := s.app.RetryAllSyncErrors(r.Context(), conn.ID, r.URL.Query().Get("code"))
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}
