package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// RequestDrain sets a connection's drain request of one kind of webhook
// events (the queue's drain job names the kind) unless it is set already,
// and reports whether it set it: the caller then enqueues the drain job in
// the same transaction. A request set before staleBefore counts as not set
// (its job is presumed lost with a process that died while it ran), so it
// is set again and gets a new job.
//
// The statement locks the request's row whether or not it changes it
// (INSERT … ON CONFLICT DO UPDATE locks the conflicting row even when its
// WHERE leaves it as it is): on PostgreSQL, ClearDrainRequest waits for the
// transaction that found the request set to commit, so the events that
// transaction stored are visible to the drain that follows the clear. On
// SQLite the write transaction is exclusive anyway.
func (w *writer) RequestDrain(ctx context.Context, connID int64, kind string, staleBefore time.Time) (bool, error) {
	if kind == "" {
		return false, fmt.Errorf("store: request drain: kind is empty: %w", ErrInvalid)
	}
	var got int64
	err := w.q.queryRow(ctx, `INSERT INTO drain_requests (connection_id, kind, requested_at) VALUES ($1, $2, $3)
		ON CONFLICT (connection_id, kind) DO UPDATE SET requested_at = excluded.requested_at
		WHERE drain_requests.requested_at IS NULL OR drain_requests.requested_at < $4
		RETURNING connection_id`, connID, kind, now(), normTime(staleBefore)).Scan(&got)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, w.wrapWrite(err, "store: request drain of connection %d %s", connID, kind)
	}
	return true, nil
}

// ClearDrainRequest clears a connection's drain request of one kind: the
// drain job calls it, in a transaction of its own, before it reads the
// pending events. Events stored after the clear set the request again and
// get a job of their own.
func (w *writer) ClearDrainRequest(ctx context.Context, connID int64, kind string) error {
	if _, err := w.q.exec(ctx, `UPDATE drain_requests SET requested_at = NULL WHERE connection_id = $1 AND kind = $2`,
		connID, kind); err != nil {
		return fmt.Errorf("store: clear drain request of connection %d %s: %w", connID, kind, err)
	}
	return nil
}

// DrainRequested reports whether a connection's drain request of one kind
// is set, and since when.
func (r *reader) DrainRequested(ctx context.Context, connID int64, kind string) (*time.Time, error) {
	var at *time.Time
	err := r.q.queryRow(ctx, `SELECT requested_at FROM drain_requests WHERE connection_id = $1 AND kind = $2`,
		connID, kind).Scan(nullTimeCol{&at})
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: read drain request of connection %d %s: %w", connID, kind, err)
	}
	return at, nil
}

// FirstPendingWebhookEvent returns the lowest id among a connection's
// unprocessed events of the given topic prefixes (all topics without), 0
// when there is none; LastPendingWebhookEvent the highest.
func (r *reader) FirstPendingWebhookEvent(ctx context.Context, connID int64, topicPrefixes ...string) (int64, error) {
	return r.pendingEnd(ctx, connID, "", topicPrefixes)
}

// LastPendingWebhookEvent: see FirstPendingWebhookEvent.
func (r *reader) LastPendingWebhookEvent(ctx context.Context, connID int64, topicPrefixes ...string) (int64, error) {
	return r.pendingEnd(ctx, connID, " DESC", topicPrefixes)
}

func (r *reader) pendingEnd(ctx context.Context, connID int64, order string, topicPrefixes []string) (int64, error) {
	args, topics := topicFilter([]any{connID}, topicPrefixes)
	var id int64
	err := r.q.queryRow(ctx, `SELECT id FROM webhook_events WHERE connection_id = $1 AND processed_at IS NULL`+topics+
		` ORDER BY id`+order+` LIMIT 1`, args...).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("store: pending webhook events of connection %d: %w", connID, err)
	}
	return id, nil
}
