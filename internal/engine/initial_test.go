package engine_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store"
)

// seedPairs loads n Intercom leads and a Lead for each of the first
// matched, without webhooks, and returns the contact ids and Lead ids.
func (b *bundle) seedPairs(n, matched int) ([]string, []string) {
	b.t.Helper()
	seeds := make([]icemu.ContactSeed, n)
	for i := range seeds {
		seeds[i] = icemu.ContactSeed{Role: "lead", Email: fmt.Sprintf("p%03d@example.com", i), Phone: fmt.Sprintf("+1 555 %04d", i)}
	}
	ids, err := b.ic.BulkLoadContacts(seeds)
	if err != nil {
		b.t.Fatal(err)
	}
	recs := make([]map[string]any, matched)
	for i := range recs {
		// Existing records predate the connection: polls do not see them.
		old := b.clock.Now().Add(-time.Hour)
		recs[i] = map[string]any{"Email": fmt.Sprintf("P%03d@example.com", i), "LastName": "L", "Company": "C", "Title": fmt.Sprintf("T%d", i),
			"CreatedDate": old, "SystemModstamp": old}
	}
	leads, err := b.sf.LoadRecords("Lead", recs)
	if err != nil {
		b.t.Fatal(err)
	}
	return ids, leads
}

// runInitialSync runs the initial sync from the start, directly.
func (b *bundle) runInitialSync() error {
	if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
		for _, o := range []string{engine.InitialContacts, engine.InitialCompanies} {
			if err := tx.PutInitialSync(b.ctx, store.InitialSync{ConnectionID: b.connID, Object: o, State: engine.StateRunning}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.t.Fatal(err)
	}
	return b.eng.InitialSync(b.ctx, b.conn(), jobs.InitialSyncArgs{ConnectionID: b.connID})
}

func (b *bundle) progress(object string) store.InitialSync {
	rows, err := b.eng.Progress(b.ctx, b.connID)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, r := range rows {
		if r.Object == object {
			return r
		}
	}
	b.t.Fatalf("no progress row for %s", object)
	return store.InitialSync{}
}

// TestInitialSync: at connect, existing records are matched and Intercom is
// enriched, with progress visible; a sync paused by the API budget resumes
// where it stopped without redoing work (F3.8, F8.1).
func TestInitialSync(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: `{"mappings": [
		{"object": "lead", "intercom": "phone", "salesforce": "Phone", "direction": "both"},
		{"object": "lead", "intercom": "custom_attributes.job_title", "salesforce": "Title", "direction": "both"}],
		"api_budget": {"daily_limit": 1000, "reserve_inbox": 0, "reserve_background": 0}}`})
	ids, leads := b.seedPairs(320, 200)
	// Two Leads share one contact's email: ambiguous, listed for review.
	old := b.clock.Now().Add(-time.Hour)
	if _, err := b.sf.LoadRecords("Lead", []map[string]any{{"Email": "p250@example.com", "LastName": "A", "Company": "C", "SystemModstamp": old},
		{"Email": "p250@example.com", "LastName": "B", "Company": "C", "SystemModstamp": old}}); err != nil {
		t.Fatal(err)
	}
	b.poll() // reads the schema
	// Leave the backfill lane four calls: one page and a bit.
	if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
		rows, err := tx.ListUsage(b.ctx, b.connID, b.clock.Now(), b.clock.Now())
		used := int64(0)
		for _, r := range rows {
			used += r.Count
		}
		if err == nil {
			_, err = tx.IncrementUsage(b.ctx, b.connID, b.clock.Now(), "background", 1000-4-used)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.runInitialSync(); err == nil {
		t.Fatal("initial sync finished on a budget of four calls")
	}
	p := b.progress(engine.InitialContacts)
	if p.State != engine.StatePaused || p.Processed == 0 || p.Processed >= 320 {
		t.Fatalf("progress while paused = %+v; want paused part way", p)
	}
	// Intercom's total_count is known from the first page: progress part
	// way is a share of the 320 records.
	if p.Total != 320 {
		t.Errorf("total while paused = %d, want 320 (Intercom's total_count)", p.Total)
	}
	firstMatched := p.Matched

	b.clock.Advance(24 * time.Hour)
	if err := b.eng.InitialSync(b.ctx, b.conn(), jobs.InitialSyncArgs{ConnectionID: b.connID}); err != nil {
		t.Fatalf("resumed initial sync: %v", err)
	}
	p = b.progress(engine.InitialContacts)
	if p.State != engine.StateDone || p.Processed != 320 || p.Total != 320 || p.Matched != 200 || p.Ambiguous != 1 || p.FinishedAt == nil {
		t.Errorf("progress = %+v; want done, 320 of 320 processed, 200 matched, 1 ambiguous", p)
	}
	if firstMatched == 0 {
		t.Error("nothing was matched before the pause")
	}
	n, err := b.store.CountMappings(b.ctx, b.connID, store.MappingPerson)
	if err != nil || n != 200 {
		t.Errorf("%d mappings (%v), want 200", n, err)
	}
	for _, i := range []int{0, 199} {
		c := b.icContact(ids[i])
		if c.CustomAttributes["SALESFORCE_ID"] != leads[i] || c.CustomAttributes["job_title"] != fmt.Sprintf("T%d", i) {
			t.Errorf("contact %d: SALESFORCE_ID = %v, job_title = %v", i, c.CustomAttributes["SALESFORCE_ID"], c.CustomAttributes["job_title"])
		}
		if got := b.sfField("Lead", leads[i], "Phone"); got != fmt.Sprintf("+1 555 %04d", i) {
			t.Errorf("Lead %d Phone = %v, want the Intercom phone", i, got)
		}
	}
	if _, ok := b.mapping(ids[300]); ok {
		t.Error("an unmatched contact was mapped")
	}
}

// TestBurstIsBatched: a burst of Intercom changes is written in batches,
// one Salesforce call per drain round (F3.3): 400 changes cost 1 call with
// one engine (one round) and 3 with two engines sharing the store and
// claiming at most 150 events a round (the rounds are exclusive, each takes
// what is left up to 150, whichever engine runs it), far under 0.02 calls a
// change.
func TestBurstIsBatched(t *testing.T) {
	t.Parallel()
	for _, engines := range []int{1, 2} {
		t.Run(fmt.Sprintf("Engines%d", engines), func(t *testing.T) {
			t.Parallel()
			testBurst(t, engines)
		})
	}
}

// testBurst drains a burst with one engine, or with two sharing the store as
// two instances would: each change is written once either way.
func testBurst(t *testing.T, engines int) {
	b := setup(t, setupOpts{})
	const n = 400
	ids, leads := b.seedPairs(n, n)
	if err := b.runInitialSync(); err != nil {
		t.Fatal(err)
	}
	// The initial sync wrote every contact once: wait for each write's
	// webhook and drain them all, so that the burst's events are the only
	// ones its drains claim. A fixed pause used to let some of them arrive
	// late under load, in the burst's drain, where they made an extra
	// round and so an extra call (9 calls against the 8 allowed once).
	eventually(t, "the initial sync's webhooks", func() bool { return len(b.contactEvents(`"SALESFORCE_ID"`)) == n })
	b.drain()
	// People's edits come seconds after ferry's last writes to their
	// records, not within the same second (which costs a refused
	// conditional write and a read, F3.5).
	b.clock.Advance(2 * time.Second)

	mark := b.lastEventID()
	for i, id := range ids {
		if err := b.ic.MessengerUpdateContact(id, map[string]any{"phone": fmt.Sprintf("burst-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	b.waitEvent(mark, ids[n-1], "updated", `"burst-399"`)
	eventually(t, "all webhooks", func() bool {
		evs, _ := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 10000)
		burst := 0
		for _, ev := range evs {
			if strings.Contains(ev.Payload, `"burst-`) {
				burst++
			}
		}
		return burst >= n
	})
	if pending, err := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 10000); err != nil || len(pending) != n {
		t.Fatalf("%d events pending before the burst's drain (%v), want exactly its %d", len(pending), err, n)
	}
	// Counted from the usage ferry records per purpose, so that the two
	// engines' schema reads (purpose setup) are left out.
	const limit = 150 // events a round of the two engines claims
	want := int64(1)
	before := b.usage("background")
	if engines == 1 {
		b.drain()
	} else {
		want = (n + limit - 1) / limit
		second := engine.New(engine.Options{Store: b.store, Manager: b.mgr, Now: b.clock.Now, Owner: "second", DrainLimit: limit})
		first := engine.New(engine.Options{Store: b.store, Manager: b.mgr, Now: b.clock.Now, Owner: "first", DrainLimit: limit})
		errs := make(chan error, 2)
		for _, e := range []*engine.Engine{first, second} {
			go func() { errs <- e.Drain(b.ctx, b.connID) }()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		b.drain() // whatever a lease kept from both
	}
	calls := b.usage("background") - before
	if calls != want {
		t.Errorf("%d Salesforce calls for %d changes; want %d, one per round", calls, n, want)
	}
	for _, i := range []int{0, n / 2, n - 1} {
		if got := b.sfField("Lead", leads[i], "Phone"); got != fmt.Sprintf("burst-%d", i) {
			t.Errorf("Lead %d Phone = %v", i, got)
			h, _ := b.store.ListHistory(b.ctx, b.connID, ids[i], store.Page{})
			for _, e := range h {
				t.Logf("history: %+v", e)
			}
		}
	}
}

// contactEvents returns the contacts with a stored webhook event whose
// payload holds marker.
func (b *bundle) contactEvents(marker string) map[string]bool {
	b.t.Helper()
	out := map[string]bool{}
	for id := int64(1); ; id++ {
		ev, err := b.store.GetWebhookEvent(b.ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return out
		} else if err != nil {
			b.t.Fatal(err)
		}
		if !strings.Contains(ev.Payload, marker) {
			continue
		}
		if pe, err := intercom.ParseEvent([]byte(ev.Payload)); err == nil && pe.Contact != nil {
			out[pe.Contact.ID] = true
		}
	}
}

// usage is today's counted Salesforce calls for purpose.
func (b *bundle) usage(purpose string) int64 {
	rows, err := b.store.ListUsage(b.ctx, b.connID, b.clock.Now(), b.clock.Now())
	if err != nil {
		b.t.Fatal(err)
	}
	for _, r := range rows {
		if r.Purpose == purpose {
			return r.Count
		}
	}
	return 0
}
