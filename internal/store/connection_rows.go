package store

import (
	"context"
	"fmt"
)

// CountConnectionRows counts, per table, the rows that belong to connection
// connID: every table with a connection_id column (found in the schema's
// catalog, so a table added later is counted too) and River's jobs whose
// args name the connection (as "river_job"). Tables with no such row are
// left out, so after a purge the answer is empty.
func (r *reader) CountConnectionRows(ctx context.Context, connID int64) (map[string]int64, error) {
	var catalog string
	switch r.d.engine {
	case EngineSQLite:
		catalog = `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
			WHERE m.type = 'table' AND c.name = 'connection_id' ORDER BY m.name`
	default:
		catalog = `SELECT table_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name = 'connection_id' ORDER BY table_name`
	}
	rs, err := r.q.query(ctx, catalog)
	tables, err := collect(rs, err, func(rs rows) (string, error) {
		var name string
		return name, rs.Scan(&name)
	})
	if err != nil {
		return nil, fmt.Errorf("store: list tables with connection rows: %w", err)
	}
	out := map[string]int64{}
	count := func(table, where string) error {
		var n int64
		// table comes from the catalog, never from input.
		if err := r.q.queryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE `+where, connID).Scan(&n); err != nil {
			return fmt.Errorf("store: count %s rows of connection %d: %w", table, connID, err)
		}
		if n > 0 {
			out[table] = n
		}
		return nil
	}
	for _, t := range tables {
		if err := count(t, `connection_id = $1`); err != nil {
			return nil, err
		}
	}
	if err := count("connections", `id = $1`); err != nil {
		return nil, err
	}
	if err := count("river_job", r.d.jobConnectionIs); err != nil {
		return nil, err
	}
	return out, nil
}
