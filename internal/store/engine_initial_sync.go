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
	// Cursor identifies the run (the engine starts a new one when matching
	// must run again); its meaning belongs to the engine.
	Cursor    string
	Processed int64
	// Total is how many records the run goes through, as Intercom's
	// listing counts them; 0 while unknown.
	Total     int64
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
	rs, err := r.q.query(ctx, `SELECT object, state, cursor, processed, total, matched, ambiguous, message, started_at,
		finished_at, updated_at FROM initial_syncs WHERE connection_id = $1 ORDER BY object`, connID)
	out, err := collect(rs, err, func(rs rows) (InitialSync, error) {
		s := InitialSync{ConnectionID: connID}
		err := rs.Scan(&s.Object, &s.State, &s.Cursor, &s.Processed, &s.Total, &s.Matched, &s.Ambiguous, &s.Message,
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
		ambiguous, message, started_at, finished_at, updated_at, total) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (connection_id, object) DO UPDATE SET state = excluded.state, cursor = excluded.cursor,
			processed = excluded.processed, total = excluded.total, matched = excluded.matched, ambiguous = excluded.ambiguous,
			message = excluded.message, started_at = excluded.started_at, finished_at = excluded.finished_at,
			updated_at = excluded.updated_at`,
		s.ConnectionID, s.Object, s.State, s.Cursor, s.Processed, s.Matched, s.Ambiguous, s.Message, started,
		nullTime(s.FinishedAt), t, s.Total)
	if err != nil {
		return w.wrapWrite(err, "store: put initial sync %s", s.Object)
	}
	return nil
}

// PutInitialSyncProgress updates one progress row if its run is still the
// stored one (same Cursor): a run superseded by a restart (the settings
// changed what matching needs) must not write over the new run's progress.
func (w *writer) PutInitialSyncProgress(ctx context.Context, s InitialSync) (bool, error) {
	if s.Object == "" || s.State == "" {
		return false, fmt.Errorf("store: put initial sync progress: object and state are required: %w", ErrInvalid)
	}
	n, err := w.q.exec(ctx, `UPDATE initial_syncs SET state = $4, processed = $5, matched = $6, ambiguous = $7,
		message = $8, finished_at = $9, updated_at = $10, total = $11 WHERE connection_id = $1 AND object = $2 AND cursor = $3`,
		s.ConnectionID, s.Object, s.Cursor, s.State, s.Processed, s.Matched, s.Ambiguous, s.Message,
		nullTime(s.FinishedAt), now(), s.Total)
	if err != nil {
		return false, w.wrapWrite(err, "store: put initial sync progress %s", s.Object)
	}
	return n > 0, nil
}
