package store

import (
	"context"
	"fmt"
	"strings"
)

// AppendHistoryBatch adds many history entries with multi-row inserts, so
// a sync batch of thousands of records costs a few statements rather than
// one each.
func (w *writer) AppendHistoryBatch(ctx context.Context, entries []HistoryEntry) error {
	const perRow, batch = 10, 100
	for start := 0; start < len(entries); start += batch {
		part := entries[start:min(start+batch, len(entries))]
		args := make([]any, 0, perRow*len(part))
		rows := make([]string, 0, len(part))
		for i, e := range part {
			if e.IntercomID == "" && e.SalesforceID == "" {
				return fmt.Errorf("store: append history: no record id: %w", ErrInvalid)
			}
			created := normTime(e.CreatedAt)
			if created.IsZero() {
				created = now()
			}
			rows = append(rows, "("+placeholders(i*perRow+1, perRow)+")")
			args = append(args, e.ConnectionID, e.Object, e.IntercomID, e.SalesforceID, string(e.Origin), e.Rule, e.Changes,
				e.Outcome, e.Message, created)
		}
		if _, err := w.q.exec(ctx, `INSERT INTO history (connection_id, object, intercom_id, salesforce_id, origin, rule,
			changes, outcome, message, created_at) VALUES `+strings.Join(rows, ", "), args...); err != nil {
			return w.wrapWrite(err, "store: append %d history entries", len(part))
		}
	}
	return nil
}
