package app

import (
	"context"
	"errors"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// SyncErrorView is a sync error as admins see it (F8.2): the record, the
// cause in Salesforce's own code and message and, in detail, the request
// that failed.
type SyncErrorView struct {
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

// ViewSyncError returns the view of e, with its details and request when
// detail is set.
func ViewSyncError(e store.SyncError, detail bool) SyncErrorView {
	v := SyncErrorView{
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

// MaxPage is the most rows one list request returns.
const MaxPage = 1000

// SyncErrorPage is one page of sync errors and how many match in all.
type SyncErrorPage struct {
	SyncErrors []SyncErrorView `json:"sync_errors"`
	Total      int             `json:"total"`
	Limit      int             `json:"limit"`
	Offset     int             `json:"offset"`
}

// ListSyncErrors returns a page of a connection's sync errors, newest
// first. Limit must be 1..MaxPage.
func (a *App) ListSyncErrors(ctx context.Context, f store.SyncErrorFilter) (SyncErrorPage, error) {
	if f.Limit <= 0 || f.Limit > MaxPage {
		return SyncErrorPage{}, errorf(Invalid, "limit must be between 1 and %d", MaxPage)
	}
	if f.Offset < 0 {
		return SyncErrorPage{}, errorf(Invalid, "offset must not be negative")
	}
	list, total, err := a.store.ListSyncErrors(ctx, f)
	if err != nil {
		return SyncErrorPage{}, err
	}
	out := make([]SyncErrorView, 0, len(list))
	for _, e := range list {
		out = append(out, ViewSyncError(e, false))
	}
	return SyncErrorPage{SyncErrors: out, Total: total, Limit: f.Limit, Offset: f.Offset}, nil
}

// GetSyncError returns one sync error with its details.
func (a *App) GetSyncError(ctx context.Context, id int64) (SyncErrorView, error) {
	e, err := a.syncError(ctx, id)
	if err != nil {
		return SyncErrorView{}, err
	}
	return ViewSyncError(e, true), nil
}

func (a *App) syncError(ctx context.Context, id int64) (store.SyncError, error) {
	e, err := a.store.GetSyncError(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.SyncError{}, errorf(NotFound, "sync error %d does not exist", id)
	}
	return e, err
}

// Retried is the job a retry made run again.
type Retried struct {
	SyncError SyncErrorView `json:"sync_error"`
	JobID     int64         `json:"job_id"`
	JobState  string        `json:"job_state"`
}

// RetrySyncError runs the job that writes the record again now; a success
// resolves the error.
func (a *App) RetrySyncError(ctx context.Context, id int64) (Retried, error) {
	e, err := a.syncError(ctx, id)
	if err != nil {
		return Retried{}, err
	}
	switch {
	case e.ResolvedAt != nil:
		return Retried{}, errorf(Conflict, "sync error %d is already resolved", e.ID)
	case e.JobID == nil:
		return Retried{}, errorf(Conflict, "sync error %d has no job to retry; it is retried when the record changes again", e.ID)
	}
	job, err := a.store.RetryJob(ctx, *e.JobID)
	if errors.Is(err, store.ErrNotFound) {
		return Retried{}, errorf(Conflict, "the job of sync error %d no longer exists; it is retried when the record changes again", e.ID)
	}
	if err != nil {
		return Retried{}, err
	}
	a.log.InfoContext(ctx, "sync error retried", "sync_error", e.ID, "job", job.ID)
	return Retried{SyncError: ViewSyncError(e, false), JobID: job.ID, JobState: string(job.State)}, nil
}

// RetriedAll says what retrying every open error did.
type RetriedAll struct {
	// Retried errors had a job, which runs again now.
	Retried int `json:"retried"`
	// WithoutJob errors are retried when their record changes again.
	WithoutJob int `json:"without_job"`
}

// RetryAllSyncErrors retries every open error of a connection that has a
// job (optionally only those with code).
func (a *App) RetryAllSyncErrors(ctx context.Context, connID int64, code string) (RetriedAll, error) {
	var jobIDs []int64
	var out RetriedAll
	for offset := 0; ; {
		list, _, err := a.store.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: connID, Code: code, Limit: MaxPage, Offset: offset})
		if err != nil {
			return out, err
		}
		for _, e := range list {
			if e.JobID == nil {
				out.WithoutJob++
				continue
			}
			jobIDs = append(jobIDs, *e.JobID)
		}
		if len(list) < MaxPage {
			break
		}
		offset += len(list)
	}
	for _, id := range jobIDs {
		_, err := a.store.RetryJob(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			out.WithoutJob++
		case err != nil:
			return out, err
		default:
			out.Retried++
		}
	}
	a.log.InfoContext(ctx, "sync errors retried", "connection", connID, "retried", out.Retried, "without_job", out.WithoutJob)
	return out, nil
}

// SyncErrorCodes returns the distinct causes (Salesforce codes) of a
// connection's open sync errors, to filter by.
func (a *App) SyncErrorCodes(ctx context.Context, connID int64) ([]string, error) {
	return a.store.ListSyncErrorCodes(ctx, connID)
}
