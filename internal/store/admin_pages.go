package store

import (
	"context"
	"fmt"
	"time"
)

// CountHistoryOfDay counts a connection's history entries with outcome
// created on day's UTC date, by origin: the changes synced in each
// direction that day (the overview's "synced today"). It reads the
// counters the history's triggers keep per day (migration 00110), so the
// cost does not grow with the day's entries.
func (r *reader) CountHistoryOfDay(ctx context.Context, connID int64, day time.Time, outcome string) (map[Origin]int, error) {
	rs, err := r.q.query(ctx, `SELECT origin, n FROM history_counts
		WHERE connection_id = $1 AND day = $2 AND outcome = $3`, connID, day.UTC().Format(time.DateOnly), outcome)
	type count struct {
		origin Origin
		n      int
	}
	list, err := collect(rs, err, func(rs rows) (count, error) {
		var c count
		err := rs.Scan(&c.origin, &c.n)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: count history: %w", err)
	}
	out := map[Origin]int{}
	for _, c := range list {
		out[c.origin] = c.n
	}
	return out, nil
}

// ListMappingsByMatchKey returns up to limit mappings matched by key (a
// normalized email, external id or company id), oldest first.
func (r *reader) ListMappingsByMatchKey(ctx context.Context, connID int64, key string, limit int) ([]Mapping, error) {
	rs, err := r.q.query(ctx, `SELECT `+mappingColumns+` FROM mappings WHERE connection_id = $1 AND match_key = $2
		ORDER BY id LIMIT `+fmt.Sprint(max(limit, 1)), connID, key)
	out, err := collect(rs, err, func(rs rows) (Mapping, error) { return scanMapping(rs) })
	if err != nil {
		return nil, fmt.Errorf("store: mappings by match key: %w", err)
	}
	return out, nil
}

// ListSyncErrorCodes returns the distinct codes of a connection's open
// sync errors, sorted (the sync errors page's cause filter).
func (r *reader) ListSyncErrorCodes(ctx context.Context, connID int64) ([]string, error) {
	rs, err := r.q.query(ctx, `SELECT DISTINCT code FROM sync_errors WHERE connection_id = $1 AND resolved_at IS NULL ORDER BY code`, connID)
	out, err := collect(rs, err, func(rs rows) (string, error) {
		var c string
		err := rs.Scan(&c)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: sync error codes: %w", err)
	}
	return out, nil
}
