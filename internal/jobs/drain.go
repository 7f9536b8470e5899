package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/store"
)

// DrainKind names one kind of Intercom webhook events the engine drains
// apart from the others, each with its own drain job and pace.
type DrainKind string

// The kinds of drained webhook events.
const (
	// DrainContacts: contact and company events, synced to Leads,
	// Contacts and Accounts.
	DrainContacts DrainKind = "contacts"
	// DrainConversations: conversation events, turned into Tasks.
	DrainConversations DrainKind = "conversations"
)

// Topics returns the topic prefixes of the kind's events.
func (k DrainKind) Topics() []string {
	switch k {
	case DrainContacts:
		return []string{"contact.", "company."}
	case DrainConversations:
		return []string{"conversation."}
	}
	return nil
}

// DrainKindOf returns the kind of drain that applies events of topic;
// false for topics nothing drains (tags, visitors…).
func DrainKindOf(topic string) (DrainKind, bool) {
	for _, k := range []DrainKind{DrainContacts, DrainConversations} {
		for _, p := range k.Topics() {
			if strings.HasPrefix(topic, p) {
				return k, true
			}
		}
	}
	return "", false
}

// DrainRequestStale is how long a drain request may stay set before a new
// webhook presumes its job lost and enqueues another. A drain job clears
// the request as soon as its coalescing wait ends (a second or two), so a
// request this old belongs to a job that died with its process while it
// waited (River rescues a running job only after RescueStuckJobsAfter, an
// hour by default) or that waits for its connection to reconnect; the cost
// of presuming wrongly is one more drain job, which finds little to do.
const DrainRequestStale = 30 * time.Second

// IntercomDrainArgs asks a worker to drain a connection's pending webhook
// events of one kind. The webhook intake enqueues one in the transaction
// that stores an event and sets the connection's drain request (see
// StoreWebhookEvent), so there is one job per drain round, not one per
// webhook, and an acknowledged webhook always has a job that will apply it.
type IntercomDrainArgs struct {
	ConnectionID int64     `json:"connection_id"`
	Drain        DrainKind `json:"drain"`
}

// Kind implements river.JobArgs.
func (IntercomDrainArgs) Kind() string { return "intercom_drain" }

// StoreWebhookEvent stores a received webhook in tx (nothing when its
// notification id was stored before: it returns the stored event and false)
// and makes sure a drain job will apply it: the drain request of its kind
// is set, and the drain job enqueued, unless it was set already — then the
// job that set it has not started draining yet and will take this event
// too. Events of topics nothing drains are stored processed, only so a
// redelivery is recognised.
func StoreWebhookEvent(ctx context.Context, tx store.Tx, ev store.WebhookEvent) (store.WebhookEvent, bool, error) {
	stored, inserted, err := tx.InsertWebhookEvent(ctx, ev)
	if err != nil || !inserted {
		return stored, inserted, err
	}
	kind, ok := DrainKindOf(ev.Topic)
	if !ok {
		return stored, true, tx.MarkWebhookEventsProcessed(ctx, []int64{stored.ID})
	}
	return stored, true, RequestDrain(ctx, tx, ev.ConnectionID, kind)
}

// RequestDrain sets a connection's drain request of kind in tx and, if it
// was not set, enqueues the drain job with it. Its row stays locked until
// tx ends, which is what keeps the events of tx from being missed by a
// drain that starts meanwhile (see engine.DrainIntercom).
func RequestDrain(ctx context.Context, tx store.Tx, connID int64, kind DrainKind) error {
	return requestDrain(ctx, tx, connID, kind, time.Now().Add(-DrainRequestStale))
}

// requestDrain is RequestDrain taking a request set before staleBefore as
// not set.
func requestDrain(ctx context.Context, tx store.Tx, connID int64, kind DrainKind, staleBefore time.Time) error {
	set, err := tx.RequestDrain(ctx, connID, string(kind), staleBefore)
	if err != nil || !set {
		return err
	}
	if _, err := tx.Enqueue(ctx, IntercomDrainArgs{ConnectionID: connID, Drain: kind}, nil); err != nil {
		return fmt.Errorf("enqueue drain: %w", err)
	}
	return nil
}

// ResumeDrains gives every connection's kind of webhook events that has
// pending events a new drain job, whether or not a drain is requested. A
// process starting calls it: the job that owed those events may have died
// with the previous process (killed while it ran; River rescues a running
// job only after RescueStuckJobsAfter, an hour by default), and no webhook
// may come to request another. When the owing job is alive (another
// instance), the new one finds little to do.
func ResumeDrains(ctx context.Context, st store.Store) error {
	conns, err := st.ListConnections(ctx)
	if err != nil {
		return fmt.Errorf("resume drains: %w", err)
	}
	for _, c := range conns {
		for _, kind := range []DrainKind{DrainContacts, DrainConversations} {
			first, err := st.FirstPendingWebhookEvent(ctx, c.ID, kind.Topics()...)
			if err != nil {
				return fmt.Errorf("resume drains: %w", err)
			}
			if first == 0 {
				continue
			}
			// A staleness bound in the future: any request set counts as
			// stale, so it is set again with a job.
			if err := st.InTx(ctx, func(tx store.Tx) error {
				return requestDrain(ctx, tx, c.ID, kind, time.Now().Add(time.Hour))
			}); err != nil {
				return fmt.Errorf("resume drains of connection %d: %w", c.ID, err)
			}
		}
	}
	return nil
}

// IntercomDrainWorker runs IntercomDrainArgs.
type IntercomDrainWorker struct {
	river.WorkerDefaults[IntercomDrainArgs]
	opts *Options
}

// Work drains the connection's pending events of the job's kind. While
// the connection is disconnected the job is snoozed with its request still
// set, so the webhooks arriving meanwhile wait for it.
func (w *IntercomDrainWorker) Work(ctx context.Context, job *river.Job[IntercomDrainArgs]) error {
	if job.Args.Drain.Topics() == nil {
		return river.JobCancel(fmt.Errorf("drain job of unknown kind %q", job.Args.Drain))
	}
	conn, err := connected(ctx, w.opts, job.Args.ConnectionID)
	if err != nil {
		return err
	}
	if err := w.opts.Syncer.DrainIntercom(ctx, conn, job.Args.Drain); err != nil {
		return fmt.Errorf("drain intercom %s: %w", job.Args.Drain, err)
	}
	return nil
}

// IntercomEventWorker runs the IntercomEventArgs of a store written before
// drain jobs: one job per webhook, naming its event.
type IntercomEventWorker struct {
	river.WorkerDefaults[IntercomEventArgs]
	opts *Options
}

// Work hands the event to a drain job of its kind (requesting one unless
// one is pending, which drains the event as it was stored before) or, for
// a topic nothing drains, marks it processed.
func (w *IntercomEventWorker) Work(ctx context.Context, job *river.Job[IntercomEventArgs]) error {
	ev, err := w.opts.Store.GetWebhookEvent(ctx, job.Args.EventID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return river.JobCancel(fmt.Errorf("webhook event %d is gone", job.Args.EventID))
		}
		return err
	}
	if ev.ProcessedAt != nil {
		return nil
	}
	return w.opts.Store.InTx(ctx, func(tx store.Tx) error {
		if kind, ok := DrainKindOf(ev.Topic); ok {
			return RequestDrain(ctx, tx, ev.ConnectionID, kind)
		}
		return tx.MarkWebhookEventsProcessed(ctx, []int64{ev.ID})
	})
}
