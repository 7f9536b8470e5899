package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ClaimPendingWebhookEvents leases up to limit unprocessed events of a
// connection to owner until leaseUntil and returns them, oldest first. Events
// leased to another owner whose lease has not expired are skipped, so two
// workers or instances never process the same event; when a worker dies its
// lease runs out and the events become claimable again. topicPrefixes, if
// given, restricts the claim to topics starting with one of them (the sync
// engine takes contact.* and company.* and leaves the rest to their own
// workers).
//
// While another owner holds an unexpired lease on any of the connection's
// events, nothing is claimed: a connection's events are drained by one
// owner at a time, so a record's changes are applied in order even when
// several workers or instances run.
//
// The lease conditions are repeated outside the subquery so that on
// PostgreSQL a concurrent claimer that waited for the row lock re-checks them
// against the committed row and skips events just claimed by the other.
func (w *writer) ClaimPendingWebhookEvents(ctx context.Context, connID int64, limit int, owner string, leaseUntil time.Time, topicPrefixes ...string) ([]WebhookEvent, error) {
	if owner == "" {
		return nil, fmt.Errorf("store: claim webhook events: owner is empty: %w", ErrInvalid)
	}
	if limit <= 0 {
		limit = 1000
	}
	t := now()
	args := []any{owner, normTime(leaseUntil), connID, t, limit}
	topics := ""
	if len(topicPrefixes) > 0 {
		var ors []string
		for _, p := range topicPrefixes {
			args = append(args, escapeLike(p)+"%")
			ors = append(ors, fmt.Sprintf(`topic LIKE $%d ESCAPE '\'`, len(args)))
		}
		topics = " AND (" + strings.Join(ors, " OR ") + ")"
	}
	pending := `processed_at IS NULL AND (claimed_until IS NULL OR claimed_until < $4)`
	rs, err := w.q.query(ctx, `UPDATE webhook_events SET claimed_by = $1, claimed_until = $2
		WHERE `+pending+` AND id IN (SELECT id FROM webhook_events WHERE connection_id = $3 AND `+pending+topics+`
			AND NOT EXISTS (SELECT 1 FROM webhook_events o WHERE o.connection_id = $3 AND o.processed_at IS NULL
				AND o.claimed_by <> $1 AND o.claimed_until >= $4)
			ORDER BY id LIMIT $5)
		RETURNING id, connection_id, notification_id, topic, payload, received_at, processed_at`, args...)
	out, err := collect(rs, err, func(rs rows) (WebhookEvent, error) {
		var e WebhookEvent
		err := rs.Scan(&e.ID, &e.ConnectionID, &e.NotificationID, &e.Topic, &e.Payload,
			timeCol{&e.ReceivedAt}, nullTimeCol{&e.ProcessedAt})
		return e, err
	})
	if err != nil {
		return nil, w.wrapWrite(err, "store: claim webhook events of connection %d", connID)
	}
	slices.SortFunc(out, func(a, b WebhookEvent) int { return int(a.ID - b.ID) })
	return out, nil
}

// ReleaseWebhookEvents gives up owner's lease on events it could not finish
// (a transient failure), so a retry can claim them at once.
func (w *writer) ReleaseWebhookEvents(ctx context.Context, ids []int64, owner string) error {
	for start := 0; start < len(ids); start += chunkSize {
		chunk := ids[start:min(start+chunkSize, len(ids))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, owner)
		for _, id := range chunk {
			args = append(args, id)
		}
		if _, err := w.q.exec(ctx, `UPDATE webhook_events SET claimed_by = '', claimed_until = NULL
			WHERE claimed_by = $1 AND id IN (`+placeholders(2, len(chunk))+`)`, args...); err != nil {
			return fmt.Errorf("store: release %d webhook events: %w", len(chunk), err)
		}
	}
	return nil
}

// escapeLike escapes LIKE's wildcards so a prefix matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
