package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/setupcheck"
	"github.com/ferrysync/ferry/internal/store"
)

// waitFor polls cond until it holds or 30 s pass.
func (b *bundle) waitFor(what string, cond func() bool) {
	b.t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out waiting until %s", what)
		}
	}
}

// keptErrors returns the connection's open kept-change sync errors.
func (b *bundle) keptErrors() []store.SyncError {
	errs, _, err := b.store.ListSyncErrors(b.ctx, store.SyncErrorFilter{ConnectionID: b.connID, Code: connection.CodeFieldUnavailable})
	if err != nil {
		b.t.Fatal(err)
	}
	return errs
}

// TestHiddenMappedFieldKeepsTheRestSyncing hides a mapped field (Lead.Title)
// from the connected user mid-sync, through the emulator's field-level
// security, with the engine's cached schema still naming it: the other Lead
// fields keep syncing both ways, the connection's setup check shows the
// problem with its fix, the change made meanwhile to the hidden field is
// kept as a sync error, and once the field is visible again a setup check
// (no restart), on demand or by the periodic schema refresh, writes it
// (issue 8 item 2).
func TestHiddenMappedFieldKeepsTheRestSyncing(t *testing.T) {
	t.Parallel()
	for _, tc := range fieldBackCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testHiddenMappedField(t, setup(t, tc.opts), tc.back)
		})
	}
}

// fieldBackCases are the two ways ferry notices that a mapped field it
// could not use is usable again, with no restart: a setup check on demand,
// and the periodic schema refresh.
var fieldBackCases = []struct {
	name string
	opts setupOpts
	// back makes ferry notice the field is usable again.
	back func(b *bundle)
}{
	{name: "OnDemandCheck", opts: setupOpts{workers: true}, back: func(b *bundle) {
		if res, err := b.mgr.SetupCheck(b.ctx, b.connID); err != nil || !res.OK {
			b.t.Fatalf("setup check after the field is back = %+v, %v", res, err)
		}
	}},
	{name: "PeriodicSchemaRefresh", opts: setupOpts{workers: true, engine: func(o *engine.Options) { o.CatalogTTL = 300 * time.Millisecond }},
		back: func(b *bundle) {
			time.Sleep(400 * time.Millisecond) // the cached schema expires
			b.poll()
		}},
}

func testHiddenMappedField(t *testing.T, b *bundle, back func(b *bundle)) {
	sfID := b.newRecord("Lead", map[string]any{"Email": "hide@example.com", "Title": "Engineer", "Phone": "100"})
	id := b.newContact(map[string]any{"email": "hide@example.com", "role": "lead"})
	b.waitFor("the Intercom lead is mapped to the Lead", func() bool { m, ok := b.mapping(id); return ok && m.SFID == sfID })
	b.waitFor("the Lead's title reaches Intercom", func() bool { return b.icContact(id).CustomAttributes["job_title"] == "Engineer" })
	b.poll()

	if err := b.sf.SetFieldHidden("Lead", "Title", true); err != nil {
		t.Fatal(err)
	}
	// Intercom → Salesforce: the phone lands although the cached schema
	// still names Title; the title change is kept, not lost.
	b.updateContact(id, map[string]any{"phone": "111", "custom_attributes": map[string]any{"job_title": "CTO"}})
	start := time.Now()
	b.waitFor("the Intercom phone reaches the Lead", func() bool { return b.sfField("Lead", sfID, "Phone") == "111" })
	t.Logf("with Title hidden, the phone landed %v after the webhook", time.Since(start).Round(time.Millisecond))
	if got := b.sfField("Lead", sfID, "Title"); got != "Engineer" {
		t.Fatalf("hidden Lead.Title = %v, want it untouched while hidden", got)
	}
	b.waitFor("the title change is kept as a sync error", func() bool { return len(b.keptErrors()) == 1 })
	kept := b.keptErrors()[0]
	if kept.RecordID != id || kept.Operation != connection.OpKeptChange || !strings.Contains(kept.RequestBody, `"CTO"`) ||
		!strings.Contains(kept.Message, "Set Field-Level Security > Visible") {
		t.Fatalf("kept change = %+v", kept)
	}

	// Salesforce → Intercom: the poll leaves Title out and the phone syncs.
	b.updateRecord("Lead", sfID, map[string]any{"Phone": "222"})
	b.poll()
	if got := b.icContact(id).Phone; got != "222" {
		t.Fatalf("Intercom phone = %q after a Salesforce edit with Title hidden, want 222", got)
	}

	// The connection shows the problem in words, with its fix.
	res, err := connection.LastSetupCheck(b.ctx, b.store, b.connID)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || len(res.Problems) != 1 || res.Problems[0].Message != "ferry requires these fields in the Salesforce Lead object: Title" ||
		res.Problems[0].Fix != "Object Manager > Lead > Fields & Relationships > Title > Set Field-Level Security > Visible" {
		t.Fatalf("setup check = %+v", res)
	}

	// Visible again: a setup check resumes the mapping and the kept change lands.
	if err := b.sf.SetFieldHidden("Lead", "Title", false); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	back(b)
	b.waitFor("the kept title reaches the Lead", func() bool { return b.sfField("Lead", sfID, "Title") == "CTO" })
	t.Logf("visible again: the kept title landed %v after the schema was read again", time.Since(start).Round(time.Millisecond))
	b.waitFor("the kept change's sync error is resolved", func() bool { return len(b.keptErrors()) == 0 })
	if got := b.sfField("Lead", sfID, "Phone"); got != "222" {
		t.Errorf("Lead phone = %v after the kept change landed, want 222 (the newer Salesforce edit)", got)
	}
	// And Title syncs to Intercom again.
	b.updateRecord("Lead", sfID, map[string]any{"Title": "CEO"})
	b.poll()
	if got := b.icContact(id).CustomAttributes["job_title"]; got != "CEO" {
		t.Errorf("Intercom job_title = %v after unhiding, want CEO", got)
	}
}

// TestHiddenTaskFieldTurnsTasksOff: the setup check at the first schema read
// finds Task.Type hidden, and Feature(tasks) says so in the exact words,
// while sync runs (issue 8 item 3).
func TestHiddenTaskFieldTurnsTasksOff(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{before: func(b *bundle) {
		if err := b.sf.SetFieldHidden("Task", "Type", true); err != nil {
			b.t.Fatal(err)
		}
	}})
	b.poll()
	ok, why, err := b.mgr.Feature(b.ctx, b.connID, setupcheck.Tasks)
	if err != nil {
		t.Fatal(err)
	}
	if ok || why != "ferry requires these fields in the Salesforce Task object: Type" {
		t.Fatalf("Feature(tasks) = %v, %q; want off with the exact message", ok, why)
	}
	if ok, why, _ := b.mgr.Feature(b.ctx, b.connID, setupcheck.LeadSync); !ok {
		t.Fatalf("lead sync off: %s", why)
	}
}
