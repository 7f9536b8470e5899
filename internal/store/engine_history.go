package store

import (
	"context"
	"fmt"
)

// AppendHistoryBatch adds many history entries with multi-row inserts, so
// a sync batch of thousands of records costs a few statements rather than
// one each.
func (w *writer) AppendHistoryBatch(ctx context.Context, entries []HistoryEntry) error {
	const perRow, batch = 10, 128
	for _, e := range entries {
		if e.IntercomID == "" && e.SalesforceID == "" {
			return fmt.Errorf("store: append history: no record id: %w", ErrInvalid)
		}
	}
	for _, n := range rowBatches(len(entries), batch) {
		part := entries[:n]
		entries = entries[n:]
		args := make([]any, 0, perRow*n)
		for _, e := range part {
			created := normTime(e.CreatedAt)
			if created.IsZero() {
				created = now()
			}
			args = append(args, e.ConnectionID, e.Object, e.IntercomID, e.SalesforceID, string(e.Origin), e.Rule, e.Changes,
				e.Outcome, e.Message, created)
		}
		if _, err := w.q.exec(ctx, `INSERT INTO history (connection_id, object, intercom_id, salesforce_id, origin, rule,
			changes, outcome, message, created_at) VALUES `+valueRows(n, perRow), args...); err != nil {
			return w.wrapWrite(err, "store: append %d history entries", n)
		}
	}
	return nil
}
