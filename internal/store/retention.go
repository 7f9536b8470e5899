package store

import (
	"context"
	"fmt"
	"time"
)

// DeleteHistoryBefore deletes up to limit of a connection's history entries
// created before t, oldest first, and returns how many it deleted. History is
// kept for a settable period; callers delete in bounded steps so that no
// transaction holds SQLite's single writer for long.
func (w *writer) DeleteHistoryBefore(ctx context.Context, connID int64, t time.Time, limit int) (int64, error) {
	n, err := w.q.exec(ctx, `DELETE FROM history WHERE id IN (SELECT id FROM history
		WHERE connection_id = $1 AND created_at < $2 ORDER BY created_at LIMIT $3)`, connID, normTime(t), limit)
	if err != nil {
		return 0, w.wrapWrite(err, "store: delete history of connection %d before %s", connID, t.Format(time.RFC3339))
	}
	return n, nil
}

// DeleteProcessedWebhookEventsBefore deletes up to limit of a connection's
// webhook events processed before t and returns how many it deleted. An
// event is kept only to recognise a redelivery of its notification; past
// the redelivery window its payload is dead weight.
func (w *writer) DeleteProcessedWebhookEventsBefore(ctx context.Context, connID int64, t time.Time, limit int) (int64, error) {
	n, err := w.q.exec(ctx, `DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events
		WHERE connection_id = $1 AND processed_at IS NOT NULL AND processed_at < $2 ORDER BY processed_at LIMIT $3)`,
		connID, normTime(t), limit)
	if err != nil {
		return 0, w.wrapWrite(err, "store: delete webhook events of connection %d processed before %s", connID, t.Format(time.RFC3339))
	}
	return n, nil
}

// LatestHistoryOutcomes returns, for each of the Intercom ids that has
// history, the outcome of its newest entry: whether a record is already in
// a failure episode ("retrying"), so that a repeat round adds no row.
func (r *reader) LatestHistoryOutcomes(ctx context.Context, connID int64, intercomIDs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range chunks(intercomIDs) {
		rs, err := r.q.query(ctx, `SELECT h.intercom_id, h.outcome FROM history h
			WHERE h.connection_id = $1 AND `+r.d.inList("h.intercom_id", 2)+`
			AND h.id = (SELECT MAX(id) FROM history m WHERE m.connection_id = h.connection_id AND m.intercom_id = h.intercom_id)`,
			connID, r.d.listArg(part))
		pairs, err := collect(rs, err, func(rs rows) ([2]string, error) {
			var p [2]string
			return p, rs.Scan(&p[0], &p[1])
		})
		if err != nil {
			return nil, fmt.Errorf("store: latest history outcomes: %w", err)
		}
		for _, p := range pairs {
			out[p[0]] = p[1]
		}
	}
	return out, nil
}

// Retention defaults.
const (
	// DefaultHistoryRetention is how long history entries are kept.
	DefaultHistoryRetention = 90 * 24 * time.Hour
	// WebhookDedupeWindow is how long a processed webhook event is kept to
	// recognise a redelivery of its notification. Intercom retries a failed
	// delivery once, about a minute later; a day leaves ample room.
	WebhookDedupeWindow = 24 * time.Hour
	// cleanupStep bounds the rows one cleanup transaction deletes.
	cleanupStep = 5000
)

// Retention says how long the store keeps what only looks back.
type Retention struct {
	// History: entries older than this are deleted. Zero means
	// DefaultHistoryRetention.
	History time.Duration
	// WebhookEvents: processed events older than this are deleted. Zero
	// means WebhookDedupeWindow.
	WebhookEvents time.Duration
}

// Cleaned counts what Cleanup deleted.
type Cleaned struct {
	History       int64
	WebhookEvents int64
}

// Cleanup deletes, for every connection, the history entries older than the
// retention and the webhook events processed before the dedupe window, in
// transactions of at most a few thousand rows each so the store's writer is
// never held for long. Freed space is reused by later writes, so under a
// steady load the database stops growing.
func Cleanup(ctx context.Context, s Store, r Retention, now time.Time) (Cleaned, error) {
	if r.History <= 0 {
		r.History = DefaultHistoryRetention
	}
	if r.WebhookEvents <= 0 {
		r.WebhookEvents = WebhookDedupeWindow
	}
	var done Cleaned
	conns, err := s.ListConnections(ctx)
	if err != nil {
		return done, err
	}
	step := func(del func(tx Tx) (int64, error), count *int64) error {
		for {
			var n int64
			if err := s.InTx(ctx, func(tx Tx) (err error) {
				n, err = del(tx)
				return err
			}); err != nil {
				return err
			}
			*count += n
			if n < cleanupStep {
				return nil
			}
		}
	}
	for _, c := range conns {
		if err := step(func(tx Tx) (int64, error) {
			return tx.DeleteHistoryBefore(ctx, c.ID, now.Add(-r.History), cleanupStep)
		}, &done.History); err != nil {
			return done, err
		}
		if err := step(func(tx Tx) (int64, error) {
			return tx.DeleteProcessedWebhookEventsBefore(ctx, c.ID, now.Add(-r.WebhookEvents), cleanupStep)
		}, &done.WebhookEvents); err != nil {
			return done, err
		}
	}
	return done, nil
}
