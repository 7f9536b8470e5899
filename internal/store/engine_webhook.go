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
	args, topics := topicFilter(args, topicPrefixes)
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
// (a transient failure, a shutdown), so a retry or another instance can
// claim them at once.
func (w *writer) ReleaseWebhookEvents(ctx context.Context, ids []int64, owner string) error {
	_, err := w.setClaims(ctx, ids, owner, nil)
	return err
}

// RenewWebhookEventClaims extends owner's lease on unprocessed events to
// leaseUntil and returns how many it still held. A drain round renews its
// lease while it runs, so the lease can be short and a crashed process's
// events are taken over within seconds; fewer than len(ids) means another
// owner took some over (this one stalled past its lease) and the round must
// not commit them.
func (w *writer) RenewWebhookEventClaims(ctx context.Context, ids []int64, owner string, leaseUntil time.Time) (int, error) {
	return w.setClaims(ctx, ids, owner, &leaseUntil)
}

// setClaims sets (until not nil) or clears owner's lease on the events ids
// it holds, and returns how many it held.
func (w *writer) setClaims(ctx context.Context, ids []int64, owner string, until *time.Time) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	set, op := `claimed_by = '', claimed_until = NULL`, "release"
	args := []any{owner, w.d.listArg(ids)}
	if until != nil {
		set, op = `claimed_until = $3`, "renew lease of"
		args = append(args, normTime(*until))
	}
	n, err := w.q.exec(ctx, `UPDATE webhook_events SET `+set+`
		WHERE claimed_by = $1 AND processed_at IS NULL AND `+w.d.inList("id", 2), args...)
	if err != nil {
		return 0, fmt.Errorf("store: %s %d webhook events: %w", op, len(ids), err)
	}
	return int(n), nil
}

// escapeLike escapes LIKE's wildcards so a prefix matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// topicFilter appends the LIKE arguments of topic prefixes to args and
// returns the " AND (topic LIKE … OR …)" clause, "" for no prefixes.
func topicFilter(args []any, topicPrefixes []string) ([]any, string) {
	if len(topicPrefixes) == 0 {
		return args, ""
	}
	var ors []string
	for _, p := range topicPrefixes {
		args = append(args, escapeLike(p)+"%")
		ors = append(ors, fmt.Sprintf(`topic LIKE $%d ESCAPE '\'`, len(args)))
	}
	return args, " AND (" + strings.Join(ors, " OR ") + ")"
}
