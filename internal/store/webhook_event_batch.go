package store

import (
	"context"
	"fmt"
)

// ListPendingWebhookEvents returns up to limit events of a connection that
// are not processed yet, oldest first. The sync engine drains them in
// batches so that changes arriving together become one Salesforce
// collections call instead of one call each.
func (r *reader) ListPendingWebhookEvents(ctx context.Context, connID int64, limit int) ([]WebhookEvent, error) {
	if limit <= 0 {
		limit = 1000
	}
	rs, err := r.q.query(ctx, `SELECT id, connection_id, notification_id, topic, payload, received_at, processed_at
		FROM webhook_events WHERE connection_id = $1 AND processed_at IS NULL ORDER BY id LIMIT $2`, connID, limit)
	out, err := collect(rs, err, func(rs rows) (WebhookEvent, error) {
		var e WebhookEvent
		err := rs.Scan(&e.ID, &e.ConnectionID, &e.NotificationID, &e.Topic, &e.Payload,
			timeCol{&e.ReceivedAt}, nullTimeCol{&e.ProcessedAt})
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list pending webhook events of connection %d: %w", connID, err)
	}
	return out, nil
}

// MarkWebhookEventsProcessed marks many events processed; ids already
// processed or unknown are ignored.
func (w *writer) MarkWebhookEventsProcessed(ctx context.Context, ids []int64) error {
	t := now()
	for start := 0; start < len(ids); start += chunkSize {
		chunk := ids[start:min(start+chunkSize, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, t)
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := w.q.exec(ctx, `UPDATE webhook_events SET processed_at = $1
			WHERE processed_at IS NULL AND id IN (`+placeholders(2, len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("store: mark %d webhook events processed: %w", len(chunk), err)
		}
	}
	return nil
}
