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
	if len(ids) == 0 {
		return nil
	}
	if _, err := w.q.exec(ctx, `UPDATE webhook_events SET processed_at = $1
		WHERE processed_at IS NULL AND `+w.d.inList("id", 2), now(), w.d.listArg(ids)); err != nil {
		return fmt.Errorf("store: mark %d webhook events processed: %w", len(ids), err)
	}
	return nil
}
