package store

import (
	"context"
	"fmt"
	"time"
)

// Purposes of API calls, the lanes of the API budget (F8.1).
const (
	PurposeBackfill = "backfill"
	PurposeSync     = "sync"
	PurposeInbox    = "inbox"
	// PurposeEventDeliveries counts change events Salesforce delivered
	// over the stream: not API calls, but counted against the org's
	// daily event delivery allocation.
	PurposeEventDeliveries = "event_deliveries"
)

// UsageRow is how many API calls a connection made on one UTC day for one
// purpose.
type UsageRow struct {
	ConnectionID int64
	// Day is the UTC date, "2006-01-02".
	Day     string
	Purpose string
	Count   int64
}

const dayLayout = "2006-01-02"

// ListUsage returns the usage rows of the UTC days from..to inclusive,
// ordered by day and purpose.
func (r *reader) ListUsage(ctx context.Context, connID int64, from, to time.Time) ([]UsageRow, error) {
	rs, err := r.q.query(ctx, `SELECT day, purpose, count FROM api_usage
		WHERE connection_id = $1 AND day >= $2 AND day <= $3 ORDER BY day, purpose`,
		connID, from.UTC().Format(dayLayout), to.UTC().Format(dayLayout))
	out, err := collect(rs, err, func(rs rows) (UsageRow, error) {
		u := UsageRow{ConnectionID: connID}
		err := rs.Scan(&u.Day, &u.Purpose, &u.Count)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list usage: %w", err)
	}
	return out, nil
}

// IncrementUsage adds n calls to the day's count for purpose, atomically,
// and returns the new count.
func (w *writer) IncrementUsage(ctx context.Context, connID int64, day time.Time, purpose string, n int64) (int64, error) {
	if purpose == "" {
		return 0, fmt.Errorf("store: increment usage: purpose is empty: %w", ErrInvalid)
	}
	var total int64
	err := w.q.queryRow(ctx, `INSERT INTO api_usage (connection_id, day, purpose, count) VALUES ($1, $2, $3, $4)
		ON CONFLICT (connection_id, day, purpose) DO UPDATE SET count = api_usage.count + excluded.count
		RETURNING count`, connID, day.UTC().Format(dayLayout), purpose, n).Scan(&total)
	if err != nil {
		return 0, w.wrapWrite(err, "store: increment usage")
	}
	return total, nil
}
