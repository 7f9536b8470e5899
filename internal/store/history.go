package store

import (
	"context"
	"fmt"
	"time"
)

// HistoryEntry is one change to one record: what changed, from which side, by
// which rule, and the outcome of the API request (F8.3).
type HistoryEntry struct {
	ID           int64
	ConnectionID int64
	Object       string
	IntercomID   string
	SalesforceID string
	Origin       Origin
	Rule         string
	// Changes is JSON, typically {"field": {"old": …, "new": …}}.
	Changes   string
	Outcome   string
	Message   string
	CreatedAt time.Time
}

const historyColumns = `id, connection_id, object, intercom_id, salesforce_id, origin, rule, changes, outcome, message, created_at`

// ListHistory returns a record's history, newest first. recordID matches
// either the Intercom or the Salesforce id.
func (r *reader) ListHistory(ctx context.Context, connID int64, recordID string, page Page) ([]HistoryEntry, error) {
	before := page.BeforeID
	if before <= 0 {
		before = 1<<63 - 1
	}
	rs, err := r.q.query(ctx, `SELECT `+historyColumns+` FROM history
		WHERE connection_id = $1 AND (intercom_id = $2 OR salesforce_id = $2) AND id < $3
		ORDER BY id DESC LIMIT `+fmt.Sprint(page.limit()), connID, recordID, before)
	out, err := collect(rs, err, func(rs rows) (HistoryEntry, error) {
		var e HistoryEntry
		err := rs.Scan(&e.ID, &e.ConnectionID, &e.Object, &e.IntercomID, &e.SalesforceID, &e.Origin, &e.Rule,
			&e.Changes, &e.Outcome, &e.Message, timeCol{&e.CreatedAt})
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list history of %s: %w", recordID, err)
	}
	return out, nil
}

// AppendHistory adds an entry.
func (w *writer) AppendHistory(ctx context.Context, e HistoryEntry) (HistoryEntry, error) {
	if e.IntercomID == "" && e.SalesforceID == "" {
		return HistoryEntry{}, fmt.Errorf("store: append history: no record id: %w", ErrInvalid)
	}
	e.CreatedAt = normTime(e.CreatedAt)
	if e.CreatedAt.IsZero() {
		e.CreatedAt = now()
	}
	err := w.q.queryRow(ctx, `INSERT INTO history (connection_id, object, intercom_id, salesforce_id, origin, rule,
		changes, outcome, message, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		e.ConnectionID, e.Object, e.IntercomID, e.SalesforceID, string(e.Origin), e.Rule, e.Changes, e.Outcome,
		e.Message, e.CreatedAt).Scan(&e.ID)
	if err != nil {
		return HistoryEntry{}, w.wrapWrite(err, "store: append history")
	}
	return e, nil
}
