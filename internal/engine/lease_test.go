package engine_test

import (
	"fmt"
	"testing"
	"time"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/store"
)

// TestLongRoundKeepsItsLease: a drain round that takes many leases long
// (a slow Salesforce) renews its lease while it runs, so the lease can be
// short — a crashed process's events are taken over within seconds — and
// yet no other worker takes a live round's events (which would write them
// twice).
func TestLongRoundKeepsItsLease(t *testing.T) {
	t.Parallel()
	const lease = 300 * time.Millisecond
	b := setup(t, setupOpts{engine: func(o *engine.Options) { o.Lease = lease }})
	const n = 5
	ids, leads := b.seedPairs(n, n)
	if err := b.runInitialSync(); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(2 * time.Second)
	last := b.lastEventID()
	for i, id := range ids {
		if err := b.ic.MessengerUpdateContact(id, map[string]any{"phone": fmt.Sprintf("lease-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	b.waitEvent(last, ids[n-1], "contact.", "lease-")
	// Every Salesforce call of the round now takes four leases.
	b.sf.SetFaults(sfemu.Faults{LatencyMs: int(4 * lease / time.Millisecond)})
	drained := make(chan error, 1)
	go func() { drained <- b.eng.Drain(b.ctx, b.connID) }()

	// Two and a half leases into the round, another worker tries to take
	// the events (with a lease that runs out at once, to leave no trace).
	time.Sleep(lease * 5 / 2)
	var taken []store.WebhookEvent
	if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
		var err error
		taken, err = tx.ClaimPendingWebhookEvents(b.ctx, b.connID, 100, "other-worker", time.Now().Add(-time.Second), "contact.")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(taken) > 0 {
		t.Errorf("another worker took %d events of a round still running: its lease was not renewed", len(taken))
	}
	if err := <-drained; err != nil {
		t.Fatalf("drain: %v", err)
	}
	b.sf.SetFaults(sfemu.Faults{})
	for i, id := range leads {
		if got := b.sfField("Lead", id, "Phone"); got != fmt.Sprintf("lease-%d", i) {
			t.Errorf("Lead %d Phone = %q, want lease-%d", i, got, i)
		}
	}
}

// TestPollDrainsChangesLeftByADeadProcess: a change whose job died with its
// process (River rescues such a job only after an hour) and that no newer
// change's job drains is drained by the connection's poll once it has
// waited two leases, so a restart continues within seconds.
func TestPollDrainsChangesLeftByADeadProcess(t *testing.T) {
	t.Parallel()
	const lease = 200 * time.Millisecond
	b := setup(t, setupOpts{engine: func(o *engine.Options) { o.Lease = lease }})
	contact := b.newRecord("Contact", map[string]any{"Email": "orphan@example.com"})
	id := b.newContact(map[string]any{"email": "orphan@example.com", "role": "user"})
	b.drain()
	// No worker runs here: the change's job is as good as lost.
	b.updateContact(id, map[string]any{"phone": "left-behind"})
	time.Sleep(2 * lease)
	b.poll()
	if got := b.sfField("Contact", contact, "Phone"); got != "left-behind" {
		t.Errorf("Phone = %v after a poll; want the change left behind drained", got)
	}
}
