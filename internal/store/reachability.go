package store

import (
	"context"
	"fmt"
	"time"
)

// Reachability says whether one side of a connection answered ferry's
// last calls. UnreachableSince is nil while it does.
type Reachability struct {
	ConnectionID     int64
	Side             Side
	UnreachableSince *time.Time
	// LastError is the failure that made it unreachable, without secrets.
	LastError string
	UpdatedAt time.Time
}

// GetReachability returns one side's reachability; ErrNotFound before
// anything was recorded.
func (r *reader) GetReachability(ctx context.Context, connID int64, side Side) (Reachability, error) {
	re := Reachability{ConnectionID: connID, Side: side}
	var since *time.Time
	err := r.q.queryRow(ctx, `SELECT unreachable_since, last_error, updated_at FROM reachability
		WHERE connection_id = $1 AND side = $2`, connID, string(side)).
		Scan(nullTimeCol{&since}, &re.LastError, timeCol{&re.UpdatedAt})
	if err != nil {
		return Reachability{}, notFound(err, "store: get reachability")
	}
	re.UnreachableSince = since
	return re, nil
}

// PutReachability records a side as reachable (UnreachableSince nil) or
// not. A side already unreachable keeps its first UnreachableSince.
func (w *writer) PutReachability(ctx context.Context, re Reachability) error {
	since := nullTime(re.UnreachableSince)
	_, err := w.q.exec(ctx, `INSERT INTO reachability (connection_id, side, unreachable_since, last_error, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (connection_id, side) DO UPDATE SET
		unreachable_since = CASE WHEN excluded.unreachable_since IS NULL THEN NULL
			ELSE COALESCE(reachability.unreachable_since, excluded.unreachable_since) END,
		last_error = excluded.last_error, updated_at = excluded.updated_at`,
		re.ConnectionID, string(re.Side), since, re.LastError, now())
	if err != nil {
		return w.wrapWrite(err, "store: put reachability")
	}
	return nil
}

// PendingSummary is how many received webhook events of a connection wait
// to be processed, and when the oldest arrived.
type PendingSummary struct {
	Count  int
	Oldest *time.Time
}

// SummarizePendingWebhookEvents counts a connection's unprocessed events
// whose topic starts with one of topicPrefixes (all topics without).
func (r *reader) SummarizePendingWebhookEvents(ctx context.Context, connID int64, topicPrefixes ...string) (PendingSummary, error) {
	args, topics := topicFilter([]any{connID}, topicPrefixes)
	var s PendingSummary
	where := ` FROM webhook_events WHERE connection_id = $1 AND processed_at IS NULL` + topics
	if err := r.q.queryRow(ctx, `SELECT COUNT(*)`+where, args...).Scan(&s.Count); err != nil {
		return PendingSummary{}, fmt.Errorf("store: summarize pending webhook events: %w", err)
	}
	if s.Count == 0 {
		return s, nil
	}
	// Events are stored as they arrive: the lowest id is the oldest (and
	// this compares ids, not SQLite's time text).
	var oldest time.Time
	if err := r.q.queryRow(ctx, `SELECT received_at`+where+` ORDER BY id LIMIT 1`, args...).Scan(timeCol{&oldest}); err != nil {
		return PendingSummary{}, notFound(err, "store: oldest pending webhook event")
	}
	s.Oldest = &oldest
	return s, nil
}
