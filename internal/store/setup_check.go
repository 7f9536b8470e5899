package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// SetupCheck is the last setup check of a connection (F1.4), stored as the
// JSON the setup check package writes, so that the connection's state can
// show it without calling Salesforce.
type SetupCheck struct {
	ConnectionID int64
	Result       json.RawMessage
	CheckedAt    time.Time
}

// GetSetupCheck returns the last setup check of a connection; ErrNotFound
// before the first.
func (r *reader) GetSetupCheck(ctx context.Context, connID int64) (SetupCheck, error) {
	c := SetupCheck{ConnectionID: connID}
	var res string
	err := r.q.queryRow(ctx, `SELECT result, checked_at FROM setup_checks WHERE connection_id = $1`, connID).
		Scan(&res, timeCol{&c.CheckedAt})
	if err != nil {
		return SetupCheck{}, notFound(err, "store: get setup check of connection %d", connID)
	}
	c.Result = json.RawMessage(res)
	return c, nil
}

// PutSetupCheck replaces the setup check of a connection.
func (w *writer) PutSetupCheck(ctx context.Context, c SetupCheck) error {
	if !json.Valid(c.Result) {
		return fmt.Errorf("store: put setup check of connection %d: result is not valid JSON: %w", c.ConnectionID, ErrInvalid)
	}
	_, err := w.q.exec(ctx, `INSERT INTO setup_checks (connection_id, result, checked_at) VALUES ($1, $2, $3)
		ON CONFLICT (connection_id) DO UPDATE SET result = excluded.result, checked_at = excluded.checked_at`,
		c.ConnectionID, string(c.Result), normTime(c.CheckedAt))
	if err != nil {
		return w.wrapWrite(err, "store: put setup check of connection %d", c.ConnectionID)
	}
	return nil
}
