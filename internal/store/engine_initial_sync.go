package store

import (
	"context"
	"fmt"
	"time"
)

// InitialSync is the progress of the initial sync at connect for one kind
// of object (F3.8): how far it got, so it resumes after a restart, and the
// counts shown to the admin.
type InitialSync struct {
	ConnectionID int64
	// Object is what is being synced, e.g. "contacts" or "companies".
	Object string
	// State is "running", "paused" (waiting for the API budget or a
	// reconnect) or "done".
	State string
	// Cursor is where to resume; its meaning belongs to the engine.
	Cursor    string
	Processed int64
	Matched   int64
	Ambiguous int64
	// Message says why the sync is paused, if it is.
	Message    string
	StartedAt  time.Time
	FinishedAt *time.Time
	UpdatedAt  time.Time
}

// ListInitialSyncs returns the initial sync progress rows of a connection.
func (r *reader) ListInitialSyncs(ctx context.Context, connID int64) ([]InitialSync, error) {
	rs, err := r.q.query(ctx, `SELECT object, state, cursor, processed, matched, ambiguous, message, started_at,
		finished_at, updated_at FROM initial_syncs WHERE connection_id = $1 ORDER BY object`, connID)
	out, err := collect(rs, err, func(rs rows) (InitialSync, error) {
		s := InitialSync{ConnectionID: connID}
		err := rs.Scan(&s.Object, &s.State, &s.Cursor, &s.Processed, &s.Matched, &s.Ambiguous, &s.Message,
			timeCol{&s.StartedAt}, nullTimeCol{&s.FinishedAt}, timeCol{&s.UpdatedAt})
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list initial syncs of connection %d: %w", connID, err)
	}
	return out, nil
}

// PutInitialSync creates or replaces one progress row.
func (w *writer) PutInitialSync(ctx context.Context, s InitialSync) error {
	if s.Object == "" || s.State == "" {
		return fmt.Errorf("store: put initial sync: object and state are required: %w", ErrInvalid)
	}
	t := now()
	started := normTime(s.StartedAt)
	if started.IsZero() {
		started = t
	}
	_, err := w.q.exec(ctx, `INSERT INTO initial_syncs (connection_id, object, state, cursor, processed, matched,
		ambiguous, message, started_at, finished_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (connection_id, object) DO UPDATE SET state = excluded.state, cursor = excluded.cursor,
			processed = excluded.processed, matched = excluded.matched, ambiguous = excluded.ambiguous,
			message = excluded.message, started_at = excluded.started_at, finished_at = excluded.finished_at,
			updated_at = excluded.updated_at`,
		s.ConnectionID, s.Object, s.State, s.Cursor, s.Processed, s.Matched, s.Ambiguous, s.Message, started,
		nullTime(s.FinishedAt), t)
	if err != nil {
		return w.wrapWrite(err, "store: put initial sync %s", s.Object)
	}
	return nil
}
