package store

import (
	"context"
	"fmt"
	"time"
)

// Backfill states.
const (
	BackfillRunning  = "running"
	BackfillPaused   = "paused" // waiting for the API budget's next day or a reconnect
	BackfillDone     = "done"
	BackfillCanceled = "canceled"
	BackfillFailed   = "failed"
)

// Backfill is one admin-started backfill of mapped values for matched pairs
// (F3.8): what was asked, how far it got and what it did. Object and AfterID
// name the last finished page (the Salesforce object and the id of its last
// mapping), so a restarted run resumes after it without redoing it.
type Backfill struct {
	ID           int64
	ConnectionID int64
	// Request is the backfill's request as JSON; its meaning belongs to
	// the engine.
	Request string
	// Plan is the dry-run plan it was started from, as JSON.
	Plan       string
	State      string
	Object     string
	AfterID    int64
	PairsTotal int64
	PairsDone  int64
	// SFChanges and ICChanges count the records written on each side.
	SFChanges int64
	ICChanges int64
	// SFCalls and ICCalls count the API calls the run made.
	SFCalls int64
	ICCalls int64
	// Failed counts the pairs whose write failed (each is a sync error).
	Failed     int64
	Message    string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

const backfillColumns = `id, connection_id, request, plan, state, object, after_id, pairs_total, pairs_done, sf_changes,
	ic_changes, sf_calls, ic_calls, failed, message, created_at, updated_at, finished_at`

func scanBackfill(r row) (Backfill, error) {
	var b Backfill
	err := r.Scan(&b.ID, &b.ConnectionID, &b.Request, &b.Plan, &b.State, &b.Object, &b.AfterID, &b.PairsTotal,
		&b.PairsDone, &b.SFChanges, &b.ICChanges, &b.SFCalls, &b.ICCalls, &b.Failed, &b.Message,
		timeCol{&b.CreatedAt}, timeCol{&b.UpdatedAt}, nullTimeCol{&b.FinishedAt})
	return b, err
}

// GetBackfill returns one backfill of a connection.
func (r *reader) GetBackfill(ctx context.Context, connID, id int64) (Backfill, error) {
	b, err := scanBackfill(r.q.queryRow(ctx, `SELECT `+backfillColumns+` FROM backfills
		WHERE connection_id = $1 AND id = $2`, connID, id))
	if err != nil {
		return Backfill{}, notFound(err, "store: get backfill %d", id)
	}
	return b, nil
}

// ListMappingsAfter returns up to limit mappings of a connection to records
// of one Salesforce object with ids above afterID, in id order: a
// backfill's pages.
func (r *reader) ListMappingsAfter(ctx context.Context, connID int64, sfObject SalesforceObject, afterID int64, limit int) ([]Mapping, error) {
	rs, err := r.q.query(ctx, `SELECT `+mappingColumns+` FROM mappings
		WHERE connection_id = $1 AND sf_object = $2 AND id > $3 ORDER BY id LIMIT $4`, connID, string(sfObject), afterID, limit)
	out, err := collect(rs, err, func(rs rows) (Mapping, error) { return scanMapping(rs) })
	if err != nil {
		return nil, fmt.Errorf("store: list %s mappings: %w", sfObject, err)
	}
	return out, nil
}

// CreateBackfill inserts a backfill and returns it with its id.
func (w *writer) CreateBackfill(ctx context.Context, b Backfill) (Backfill, error) {
	if b.Request == "" || b.State == "" {
		return Backfill{}, fmt.Errorf("store: create backfill: request and state are required: %w", ErrInvalid)
	}
	t := now()
	b.CreatedAt, b.UpdatedAt = t, t
	err := w.q.queryRow(ctx, `INSERT INTO backfills (connection_id, request, plan, state, object, after_id, pairs_total,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id`,
		b.ConnectionID, b.Request, b.Plan, b.State, b.Object, b.AfterID, b.PairsTotal, t).Scan(&b.ID)
	if err != nil {
		return Backfill{}, w.wrapWrite(err, "store: create backfill")
	}
	return b, nil
}

// PutBackfillProgress saves a backfill's state, position and counts. A
// canceled backfill stays canceled: a page that finishes after the cancel
// saves its counts but not a state other than canceled. It reports the
// state stored.
func (w *writer) PutBackfillProgress(ctx context.Context, b Backfill) (string, error) {
	_, err := w.q.exec(ctx, `UPDATE backfills SET state = CASE WHEN state = 'canceled' THEN state ELSE $3 END,
		object = $4, after_id = $5, pairs_done = $6, sf_changes = $7, ic_changes = $8, sf_calls = $9,
		ic_calls = $10, failed = $11, message = $12, updated_at = $13, finished_at = $14
		WHERE connection_id = $1 AND id = $2`,
		b.ConnectionID, b.ID, b.State, b.Object, b.AfterID, b.PairsDone, b.SFChanges, b.ICChanges, b.SFCalls,
		b.ICCalls, b.Failed, b.Message, now(), nullTime(b.FinishedAt))
	if err != nil {
		return "", w.wrapWrite(err, "store: put backfill %d progress", b.ID)
	}
	got, err := scanBackfill(w.q.queryRow(ctx, `SELECT `+backfillColumns+` FROM backfills WHERE connection_id = $1 AND id = $2`, b.ConnectionID, b.ID))
	if err != nil {
		return "", fmt.Errorf("store: read backfill %d: %w", b.ID, err)
	}
	return got.State, nil
}

// CancelBackfill marks a running or paused backfill canceled and reports
// whether it was one.
func (w *writer) CancelBackfill(ctx context.Context, connID, id int64) (bool, error) {
	t := now()
	n, err := w.q.exec(ctx, `UPDATE backfills SET state = 'canceled', updated_at = $3, finished_at = $3
		WHERE connection_id = $1 AND id = $2 AND state IN ('running', 'paused')`, connID, id, t)
	if err != nil {
		return false, w.wrapWrite(err, "store: cancel backfill %d", id)
	}
	return n > 0, nil
}
