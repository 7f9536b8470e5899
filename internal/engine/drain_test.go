package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// writeGate holds Salesforce's data calls but reads by GET (record writes
// by any route, Composite and Composite Graph) while closed: a drain round
// that makes one stays running, with its events leased.
type writeGate struct {
	closed atomic.Bool
	held   chan struct{}
	open   chan struct{}
}

func newWriteGate() *writeGate {
	return &writeGate{held: make(chan struct{}, 1), open: make(chan struct{})}
}

func (g *writeGate) front(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.closed.Load() && r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/services/data/") {
			select {
			case g.held <- struct{}{}:
			default:
			}
			<-g.open
		}
		next.ServeHTTP(w, r)
	})
}

// initialSync runs the initial sync as its job would be run: again after
// an error (it resumes). On PostgreSQL its transactions and those of the
// drain rounds of its own echoes can deadlock; the loser's job retries.
func (b *bundle) initialSync(t *testing.T) {
	t.Helper()
	var err error
	for range 10 {
		if err = b.runInitialSync(); err == nil {
			return
		}
	}
	t.Fatal(err)
}

// drainJobs counts the drain jobs, in every state.
func (b *bundle) drainJobs() int { return b.jobCount(jobs.IntercomDrainArgs{}.Kind()) }

// settled waits until no event is pending and no drain job is left to run.
func (b *bundle) settled(t *testing.T) {
	t.Helper()
	eventually(t, "no event pending and no drain job unfinished", func() bool {
		evs, err := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 1)
		if err != nil || len(evs) > 0 {
			return false
		}
		rows, err := b.store.CountUnfinishedJobsByKind(b.ctx)
		return err == nil && len(rows[jobs.IntercomDrainArgs{}.Kind()]) == 0
	})
}

// TestDrainJobsTakeChangesArrivingMeanwhile: Intercom changes arriving
// while a drain job waits for its round or runs one (held at its
// Salesforce write) all reach Salesforce, and take a few drain jobs, not
// one each.
func TestDrainJobsTakeChangesArrivingMeanwhile(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Engines() {
		t.Run(string(db.Engine), func(t *testing.T) {
			t.Parallel()
			gate := newWriteGate()
			b := setup(t, setupOpts{workers: true, db: &db, sfFront: gate.front, engine: func(o *engine.Options) {
				// Rounds far apart, so that a job waits for its round
				// while the changes arrive.
				o.CoalesceWindow, o.LatencyTarget = 2*time.Second, -1
			}})
			const n = 31
			ids, leads := b.seedPairs(n, n)
			b.initialSync(t)
			b.settled(t) // the initial sync's echoes
			before := b.drainJobs()

			gate.closed.Store(true)
			b.clock.Advance(2 * time.Second)
			if err := b.ic.MessengerUpdateContact(ids[0], map[string]any{"phone": "m-0"}); err != nil {
				t.Fatal(err)
			}
			select { // a drain round is writing the first change
			case <-gate.held:
			case <-time.After(30 * time.Second):
				t.Fatal("no drain round wrote the first change")
			}
			for i := 1; i < n; i++ {
				if err := b.ic.MessengerUpdateContact(ids[i], map[string]any{"phone": fmt.Sprintf("m-%d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, "every change stored", func() bool {
				evs, err := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 1000)
				return err == nil && len(evs) == n
			})
			close(gate.open)
			b.settled(t)
			for i, id := range leads {
				if got := b.sfField("Lead", id, "Phone"); got != fmt.Sprintf("m-%d", i) {
					t.Errorf("Lead %d Phone = %v, want m-%d", i, got, i)
				}
			}
			if errs := b.openErrors(); len(errs) > 0 {
				t.Errorf("sync errors: %+v", errs)
			}
			jobs := b.drainJobs() - before
			t.Logf("%d drain jobs for %d changes", jobs, n)
			if jobs > n/3 {
				t.Errorf("%d drain jobs for %d changes; changes arriving while a drain job is pending should share it", jobs, n)
			}
			if at, err := b.store.DrainRequested(b.ctx, b.connID, "contacts"); err != nil || at != nil {
				t.Errorf("drain request left set (%v, %v) with no job to clear it", at, err)
			}
		})
	}
}

// TestDrainJobsOnTwoInstances: two instances on one PostgreSQL database,
// each with its workers and engine, take the drain jobs of a stream of
// changes; every change reaches Salesforce, none is left pending.
func TestDrainJobsOnTwoInstances(t *testing.T) {
	t.Parallel()
	db := storetest.Engine{Engine: store.EnginePostgres, URL: storetest.PostgresURL}
	b := setup(t, setupOpts{workers: true, db: &db})
	const n = 120
	ids, leads := b.seedPairs(n, n)
	b.initialSync(t)
	b.settled(t)

	// The second instance: its own store (pool and River client),
	// connection manager and engine on the same database.
	workers := river.NewWorkers()
	_, bind := jobs.RegisterDeferred(workers, jobs.Options{PollInterval: time.Hour, DisconnectedRetry: 100 * time.Millisecond})
	st2, err := store.Open(b.ctx, b.dbURL, store.Options{Secret: b.box, Workers: workers, FetchPollInterval: 20 * time.Millisecond,
		FetchCooldown: 5 * time.Millisecond, RetryPolicy: fastRetry{}, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st2.Stop(ctx)
		_ = st2.Close()
	})
	mgr2 := connection.NewManager(connection.Options{Store: st2, Salesforce: b.oauth, IntercomURL: b.icURL, Now: b.clock.Now})
	bind(st2, engine.New(engine.Options{Store: st2, Manager: mgr2, Now: b.clock.Now, PollOverlap: 5 * time.Second,
		DisconnectedRetry: 100 * time.Millisecond, RetryAfter: 24 * time.Hour, SettingsPollInterval: true}))
	if err := st2.Start(b.ctx); err != nil {
		t.Fatal(err)
	}

	before := b.drainJobs()
	for round := range 3 {
		b.clock.Advance(2 * time.Second)
		for i, id := range ids {
			if err := b.ic.MessengerUpdateContact(id, map[string]any{"phone": fmt.Sprintf("two-%d-%d", round, i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	eventually(t, "every last change in Salesforce", func() bool {
		for i, id := range leads {
			if b.sfField("Lead", id, "Phone") != fmt.Sprintf("two-2-%d", i) {
				return false
			}
		}
		return true
	})
	b.settled(t)
	if errs := b.openErrors(); len(errs) > 0 {
		t.Errorf("sync errors: %+v", errs)
	}
	jobs := b.drainJobs() - before
	t.Logf("%d drain jobs for %d changes", jobs, 3*n)
	if jobs >= 3*n {
		t.Errorf("%d drain jobs for %d changes", jobs, 3*n)
	}
}

// TestEventJobsFromBeforeDrainJobs: a store upgraded with one job per
// webhook still queued (IntercomEventArgs naming its event) applies those
// events: each such job hands its event to a drain job, and an event of a
// topic nothing drains is marked processed.
func TestEventJobsFromBeforeDrainJobs(t *testing.T) {
	t.Parallel()
	var b *bundle
	// The intake as it was: the event and its own job.
	oldIntake := intercom.NewWebhookHandler(intercom.WebhookConfig{Secret: icSecret,
		Sink: intercom.SinkFunc(func(ctx context.Context, ev *intercom.Event) error {
			if ev.Kind == intercom.KindPing {
				return nil
			}
			return b.store.InTx(ctx, func(tx store.Tx) error {
				stored, inserted, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: b.connID,
					NotificationID: ev.ID, Topic: ev.Topic, Payload: string(ev.Raw)})
				if err != nil || !inserted {
					return err
				}
				_, err = tx.Enqueue(ctx, jobs.IntercomEventArgs{ConnectionID: b.connID, EventID: stored.ID}, nil)
				return err
			})
		})})
	b = setup(t, setupOpts{workers: true, hookFront: func(http.Handler) http.Handler { return oldIntake }})
	contact := b.newRecord("Contact", map[string]any{"Email": "upgrade@example.com"})
	id := b.newContact(map[string]any{"email": "upgrade@example.com", "role": "user"})
	eventually(t, "the contact mapped", func() bool { _, ok := b.mapping(id); return ok })
	b.updateContact(id, map[string]any{"phone": "from-an-old-job"})
	eventually(t, "the change in Salesforce", func() bool { return b.sfField("Contact", contact, "Phone") == "from-an-old-job" })

	var other int64
	if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
		ev, _, err := tx.InsertWebhookEvent(b.ctx, store.WebhookEvent{ConnectionID: b.connID, NotificationID: "visitor-1",
			Topic: "visitor.signed_up", Payload: "{}"})
		if err != nil {
			return err
		}
		other = ev.ID
		_, err = tx.Enqueue(b.ctx, jobs.IntercomEventArgs{ConnectionID: b.connID, EventID: ev.ID}, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the other topic's event processed", func() bool {
		ev, err := b.store.GetWebhookEvent(b.ctx, other)
		return err == nil && ev.ProcessedAt != nil
	})
	b.settled(t)
	if b.drainJobs() == 0 {
		t.Error("no drain job: the old jobs applied their events themselves")
	}
}
