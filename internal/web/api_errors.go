package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// syncErrorView is a sync error as the API shows it (F8.2).
type syncErrorView struct {
	ID           int64      `json:"id"`
	ConnectionID int64      `json:"connection_id"`
	Object       string     `json:"object"`
	RecordID     string     `json:"record_id"`
	Operation    string     `json:"operation"`
	Code         string     `json:"code"`
	Message      string     `json:"message"`
	Details      string     `json:"details,omitempty"`
	RequestBody  string     `json:"request_body,omitempty"`
	Attempts     int        `json:"attempts"`
	JobID        *int64     `json:"job_id,omitempty"`
	Retryable    bool       `json:"retryable"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
}

func viewSyncError(e store.SyncError, detail bool) syncErrorView {
	v := syncErrorView{
		ID: e.ID, ConnectionID: e.ConnectionID, Object: e.Object, RecordID: e.RecordID, Operation: e.Operation,
		Code: e.Code, Message: e.Message, Attempts: e.Attempts, JobID: e.JobID,
		Retryable: e.JobID != nil && e.ResolvedAt == nil,
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), ResolvedAt: e.ResolvedAt,
	}
	if detail {
		v.Details, v.RequestBody = e.Details, e.RequestBody
	}
	return v
}

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
	if limit == 0 || limit > 1000 {
		s.writeFailure(w, r, badRequest("limit must be between 1 and 1000"))
		return
	}
	q := r.URL.Query()
	list, total, err := s.store.ListSyncErrors(r.Context(), store.SyncErrorFilter{
		ConnectionID: conn.ID, Object: q.Get("object"), Code: q.Get("code"), RecordID: q.Get("record"),
		IncludeResolved: truthy(q.Get("resolved")), Limit: int(limit), Offset: int(offset),
	})
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	out := make([]syncErrorView, 0, len(list))
	for _, e := range list {
		out = append(out, viewSyncError(e, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"sync_errors": out, "total": total, "limit": limit, "offset": offset})
}

func truthy(v string) bool { return v == "1" || v == "true" || v == "yes" }

// getSyncError is GET /api/v1/sync-errors/{id}, with details and the
// request that failed.
func (s *Server) getSyncError(w http.ResponseWriter, r *http.Request) {
	e, err := s.syncErrorParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewSyncError(e, true))
}

func (s *Server) syncErrorParam(r *http.Request) (store.SyncError, error) {
	id, err := pathID(r)
	if err != nil {
		return store.SyncError{}, err
	}
	e, err := s.store.GetSyncError(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return store.SyncError{}, notFound("sync error %d does not exist", id)
	}
	return e, err
}

// retrySyncError is POST /api/v1/sync-errors/{id}/retry: the job that
// writes the record runs again now. A success resolves the error.
func (s *Server) retrySyncError(w http.ResponseWriter, r *http.Request) {
	e, err := s.syncErrorParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	switch {
	case e.ResolvedAt != nil:
		s.writeFailure(w, r, conflict("sync error %d is already resolved", e.ID))
		return
	case e.JobID == nil:
		s.writeFailure(w, r, conflict("sync error %d has no job to retry; it is retried when the record changes again", e.ID))
		return
	}
	job, err := s.store.RetryJob(r.Context(), *e.JobID)
	if errors.Is(err, store.ErrNotFound) {
		s.writeFailure(w, r, conflict("the job of sync error %d no longer exists; it is retried when the record changes again", e.ID))
		return
	}
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	s.log.InfoContext(r.Context(), "sync error retried", "sync_error", e.ID, "job", job.ID)
	writeJSON(w, http.StatusAccepted, map[string]any{"sync_error": viewSyncError(e, false), "job": map[string]any{"id": job.ID, "state": job.State}})
}

// retrySyncErrors is POST /api/v1/sync-errors/retry?connection=ID: retry
// every open error of the connection that has a job.
func (s *Server) retrySyncErrors(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	var jobIDs []int64
	skipped := 0
	for offset := 0; ; {
		list, _, err := s.store.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: conn.ID, Limit: 1000, Offset: offset})
		if err != nil {
			s.writeFailure(w, r, err)
			return
		}
		for _, e := range list {
			if e.JobID == nil {
				skipped++
				continue
			}
			jobIDs = append(jobIDs, *e.JobID)
		}
		if len(list) < 1000 {
			break
		}
		offset += len(list)
	}
	retried, gone := 0, 0
	for _, id := range jobIDs {
		_, err := s.store.RetryJob(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			gone++
		case err != nil:
			s.writeFailure(w, r, err)
			return
		default:
			retried++
		}
	}
	s.log.InfoContext(ctx, "sync errors retried", "connection", conn.ID, "retried", retried, "without_job", skipped+gone)
	writeJSON(w, http.StatusAccepted, map[string]any{"retried": retried, "without_job": skipped + gone})
}
