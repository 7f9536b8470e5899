package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SyncError is a failed write that the admin can see and retry (F8.2). There
// is at most one open error per connection, record and operation; a repeat
// failure updates it and counts the attempt.
type SyncError struct {
	ID           int64
	ConnectionID int64
	// Object is the record's type, e.g. "Lead" or "contact".
	Object   string
	RecordID string
	// Operation is what failed, e.g. "create_lead" or "update_contact".
	Operation string
	// Code and Message are the remote system's own (e.g.
	// REQUIRED_FIELD_MISSING).
	Code    string
	Message string
	Details string
	// RequestBody is the request that failed, kept for the admin to see.
	RequestBody string
	Attempts    int
	// JobID is the River job that retries the write, if any.
	JobID      *int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ResolvedAt *time.Time
}

// SyncErrorFilter selects sync errors. Zero fields do not filter.
type SyncErrorFilter struct {
	ConnectionID    int64
	Object          string
	Code            string
	RecordID        string
	IncludeResolved bool
	// Limit (default 50, at most 1000) and Offset page through the list,
	// newest first.
	Limit  int
	Offset int
}

const syncErrorColumns = `id, connection_id, object, record_id, operation, code, message, details, request_body,
	attempts, job_id, created_at, updated_at, resolved_at`

func scanSyncError(r row) (SyncError, error) {
	var e SyncError
	err := r.Scan(&e.ID, &e.ConnectionID, &e.Object, &e.RecordID, &e.Operation, &e.Code, &e.Message, &e.Details,
		&e.RequestBody, &e.Attempts, &e.JobID, timeCol{&e.CreatedAt}, timeCol{&e.UpdatedAt}, nullTimeCol{&e.ResolvedAt})
	return e, err
}

// GetSyncError returns one sync error.
func (r *reader) GetSyncError(ctx context.Context, id int64) (SyncError, error) {
	e, err := scanSyncError(r.q.queryRow(ctx, `SELECT `+syncErrorColumns+` FROM sync_errors WHERE id = $1`, id))
	if err != nil {
		return SyncError{}, notFound(err, "store: get sync error %d", id)
	}
	return e, nil
}

// ListSyncErrors returns one page of sync errors, most recently failed first,
// and how many match in total.
func (r *reader) ListSyncErrors(ctx context.Context, f SyncErrorFilter) ([]SyncError, int, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.ConnectionID != 0 {
		add("connection_id = $%d", f.ConnectionID)
	}
	if f.Object != "" {
		add("object = $%d", f.Object)
	}
	if f.Code != "" {
		add("code = $%d", f.Code)
	}
	if f.RecordID != "" {
		add("record_id = $%d", f.RecordID)
	}
	if !f.IncludeResolved {
		where = append(where, "resolved_at IS NULL")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := r.q.queryRow(ctx, `SELECT count(*) FROM sync_errors`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count sync errors: %w", err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	rs, err := r.q.query(ctx, `SELECT `+syncErrorColumns+` FROM sync_errors`+cond+
		fmt.Sprintf(` ORDER BY updated_at DESC, id DESC LIMIT %d OFFSET %d`, limit, max(f.Offset, 0)), args...)
	out, err := collect(rs, err, func(rs rows) (SyncError, error) { return scanSyncError(rs) })
	if err != nil {
		return nil, 0, fmt.Errorf("store: list sync errors: %w", err)
	}
	return out, total, nil
}

// UpsertSyncError records a failure: a new open error, or the open one of
// the same record and operation updated with the new cause and one more
// attempt.
func (w *writer) UpsertSyncError(ctx context.Context, e SyncError) (SyncError, error) {
	if e.RecordID == "" || e.Operation == "" {
		return SyncError{}, fmt.Errorf("store: upsert sync error: record id and operation are required: %w", ErrInvalid)
	}
	t := now()
	var jobID any
	if e.JobID != nil {
		jobID = *e.JobID
	}
	got, err := scanSyncError(w.q.queryRow(ctx, `INSERT INTO sync_errors (connection_id, object, record_id, operation,
		code, message, details, request_body, attempts, job_id, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10)
		ON CONFLICT (connection_id, record_id, operation) WHERE resolved_at IS NULL DO UPDATE SET
			object = excluded.object, code = excluded.code, message = excluded.message, details = excluded.details,
			request_body = excluded.request_body, attempts = sync_errors.attempts + 1,
			job_id = coalesce(excluded.job_id, sync_errors.job_id), updated_at = excluded.updated_at
		RETURNING `+syncErrorColumns,
		e.ConnectionID, e.Object, e.RecordID, e.Operation, e.Code, e.Message, e.Details, e.RequestBody, jobID, t))
	if err != nil {
		return SyncError{}, w.wrapWrite(err, "store: upsert sync error of %s %s", e.Operation, e.RecordID)
	}
	return got, nil
}

// ResolveSyncErrors marks the open error of a record and operation resolved
// after a success ("" operation: all of the record's) and says how many.
func (w *writer) ResolveSyncErrors(ctx context.Context, connID int64, recordID, operation string) (int, error) {
	n, err := w.q.exec(ctx, `UPDATE sync_errors SET resolved_at = $4, updated_at = $4
		WHERE connection_id = $1 AND record_id = $2 AND ($3 = '' OR operation = $3) AND resolved_at IS NULL`,
		connID, recordID, operation, now())
	if err != nil {
		return 0, fmt.Errorf("store: resolve sync errors of %s: %w", recordID, err)
	}
	return int(n), nil
}

// DeleteSyncError deletes one sync error (the admin dismissed it).
func (w *writer) DeleteSyncError(ctx context.Context, id int64) error {
	n, err := w.q.exec(ctx, `DELETE FROM sync_errors WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete sync error %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: delete sync error %d: %w", id, ErrNotFound)
	}
	return nil
}
