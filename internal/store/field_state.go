package store

import (
	"context"
	"fmt"
	"time"
)

// Side is which system a record lives in.
type Side string

// Sides.
const (
	SideIntercom   Side = "intercom"
	SideSalesforce Side = "salesforce"
)

// Origin is who last changed a value.
type Origin string

// Origins. OriginFerry marks a value ferry itself wrote.
const (
	OriginIntercom   Origin = "intercom"
	OriginSalesforce Origin = "salesforce"
	OriginFerry      Origin = "ferry"
)

// FieldState is the last known value of one field of one record, for
// conflict resolution, and the hash of the value ferry last wrote there, for
// echo suppression (a change whose value hash equals WrittenHash is ferry's
// own write coming back).
type FieldState struct {
	ConnectionID int64
	Side         Side
	RecordID     string
	Field        string
	// Value is the value as JSON text.
	Value       string
	Origin      Origin
	ChangedAt   time.Time
	WrittenHash string
}

// GetFieldStates returns the states of many records of one side, keyed by
// record id. One query per 500 ids.
func (r *reader) GetFieldStates(ctx context.Context, connID int64, side Side, recordIDs []string) (map[string][]FieldState, error) {
	out := make(map[string][]FieldState, len(recordIDs))
	for _, ids := range chunks(recordIDs) {
		rs, err := r.q.query(ctx, `SELECT record_id, field, value, origin, changed_at, written_hash FROM field_states
			WHERE connection_id = $1 AND side = $2 AND `+r.d.inList("record_id", 3)+`
			ORDER BY record_id, field`, connID, string(side), r.d.listArg(ids))
		states, err := collect(rs, err, func(rs rows) (FieldState, error) {
			s := FieldState{ConnectionID: connID, Side: side}
			err := rs.Scan(&s.RecordID, &s.Field, &s.Value, &s.Origin, timeCol{&s.ChangedAt}, &s.WrittenHash)
			return s, err
		})
		if err != nil {
			return nil, fmt.Errorf("store: get field states: %w", err)
		}
		for _, s := range states {
			out[s.RecordID] = append(out[s.RecordID], s)
		}
	}
	return out, nil
}

// PutFieldStates inserts or replaces many field states.
func (w *writer) PutFieldStates(ctx context.Context, states []FieldState) error {
	// Rows of 8 arguments, up to 128 rows a statement: well inside both
	// engines' parameter limits and far fewer round trips than one row at
	// a time.
	const perRow, batch = 8, 128
	for _, s := range states {
		if s.RecordID == "" || s.Field == "" || (s.Side != SideIntercom && s.Side != SideSalesforce) {
			return fmt.Errorf("store: put field states: record %q field %q side %q: %w", s.RecordID, s.Field, s.Side, ErrInvalid)
		}
	}
	for _, n := range rowBatches(len(states), batch) {
		part := states[:n]
		states = states[n:]
		args := make([]any, 0, perRow*n)
		for _, s := range part {
			changed := normTime(s.ChangedAt)
			if changed.IsZero() {
				changed = now()
			}
			args = append(args, s.ConnectionID, string(s.Side), s.RecordID, s.Field, s.Value, string(s.Origin), changed, s.WrittenHash)
		}
		_, err := w.q.exec(ctx, `INSERT INTO field_states (connection_id, side, record_id, field, value, origin, changed_at, written_hash)
			VALUES `+valueRows(n, perRow)+`
			ON CONFLICT (connection_id, side, record_id, field) DO UPDATE SET value = excluded.value,
				origin = excluded.origin, changed_at = excluded.changed_at, written_hash = excluded.written_hash`, args...)
		if err != nil {
			return w.wrapWrite(err, "store: put %d field states", n)
		}
	}
	return nil
}

// DeleteFieldStates forgets all field states of one record (it was deleted).
func (w *writer) DeleteFieldStates(ctx context.Context, connID int64, side Side, recordID string) error {
	if _, err := w.q.exec(ctx, `DELETE FROM field_states WHERE connection_id = $1 AND side = $2 AND record_id = $3`,
		connID, string(side), recordID); err != nil {
		return fmt.Errorf("store: delete field states of %s %s: %w", side, recordID, err)
	}
	return nil
}
