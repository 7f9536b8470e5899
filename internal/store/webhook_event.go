package store

import (
	"context"
	"fmt"
	"time"
)

// WebhookEvent is an Intercom notification as received, kept so a
// redelivery (same notification id) is recognised and not processed twice.
type WebhookEvent struct {
	ID           int64
	ConnectionID int64
	// NotificationID is Intercom's id of the notification.
	NotificationID string
	Topic          string
	// Payload is the raw body.
	Payload     string
	ReceivedAt  time.Time
	ProcessedAt *time.Time
}

// GetWebhookEvent returns one event.
func (r *reader) GetWebhookEvent(ctx context.Context, id int64) (WebhookEvent, error) {
	var e WebhookEvent
	err := r.q.queryRow(ctx, `SELECT id, connection_id, notification_id, topic, payload, received_at, processed_at
		FROM webhook_events WHERE id = $1`, id).Scan(&e.ID, &e.ConnectionID, &e.NotificationID, &e.Topic, &e.Payload,
		timeCol{&e.ReceivedAt}, nullTimeCol{&e.ProcessedAt})
	if err != nil {
		return WebhookEvent{}, notFound(err, "store: get webhook event %d", id)
	}
	return e, nil
}

// InsertWebhookEvent stores an event unless one with the same notification
// id exists. It returns the event with its id and whether it was new; for a
// redelivery it returns the stored event and false.
func (w *writer) InsertWebhookEvent(ctx context.Context, e WebhookEvent) (WebhookEvent, bool, error) {
	if e.NotificationID == "" {
		return WebhookEvent{}, false, fmt.Errorf("store: insert webhook event: notification id is empty: %w", ErrInvalid)
	}
	e.ReceivedAt = now()
	e.ProcessedAt = nil
	rs, err := w.q.query(ctx, `INSERT INTO webhook_events (connection_id, notification_id, topic, payload, received_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (connection_id, notification_id) DO NOTHING RETURNING id`,
		e.ConnectionID, e.NotificationID, e.Topic, e.Payload, e.ReceivedAt)
	ids, err := collect(rs, err, func(rs rows) (int64, error) {
		var id int64
		return id, rs.Scan(&id)
	})
	if err != nil {
		return WebhookEvent{}, false, w.wrapWrite(err, "store: insert webhook event %s", e.NotificationID)
	}
	if len(ids) == 1 {
		e.ID = ids[0]
		return e, true, nil
	}
	var id int64
	err = w.q.queryRow(ctx, `SELECT id FROM webhook_events WHERE connection_id = $1 AND notification_id = $2`,
		e.ConnectionID, e.NotificationID).Scan(&id)
	if err != nil {
		return WebhookEvent{}, false, fmt.Errorf("store: insert webhook event %s: read existing: %w", e.NotificationID, err)
	}
	existing, err := w.GetWebhookEvent(ctx, id)
	return existing, false, err
}
