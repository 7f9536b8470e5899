package engine_test

import (
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/connection"
)

// TestReadOnlyMappedFieldSyncsOneWay makes a two-way mapped field
// (Lead.Title) read-only for the connected user mid-sync, through the
// emulator's field-level security, with the engine's cached schema still
// saying it is writable. Salesforce still lets ferry read it, so its changes
// keep reaching Intercom; only Intercom's changes to it wait, kept as a
// sync error, while the other fields sync both ways. The setup check shows
// the problem with its fix, and once the field is writable again the kept
// change is written (F1.4).
func TestReadOnlyMappedFieldSyncsOneWay(t *testing.T) {
	t.Parallel()
	for _, tc := range fieldBackCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testReadOnlyMappedField(t, setup(t, tc.opts), tc.back)
		})
	}
}

func testReadOnlyMappedField(t *testing.T, b *bundle, back func(b *bundle)) {
	sfID := b.newRecord("Lead", map[string]any{"Email": "readonly@example.com", "Title": "Engineer", "Phone": "100"})
	id := b.newContact(map[string]any{"email": "readonly@example.com", "role": "lead"})
	b.waitFor("the Intercom lead is mapped to the Lead", func() bool { m, ok := b.mapping(id); return ok && m.SFID == sfID })
	b.waitFor("the Lead's title reaches Intercom", func() bool { return b.icContact(id).CustomAttributes["job_title"] == "Engineer" })
	b.poll()

	if err := b.sf.SetFieldReadOnly("Lead", "Title", true); err != nil {
		t.Fatal(err)
	}
	// Intercom → Salesforce: the phone lands; the title change is kept,
	// not lost.
	b.updateContact(id, map[string]any{"phone": "111", "custom_attributes": map[string]any{"job_title": "CTO"}})
	b.waitFor("the Intercom phone reaches the Lead", func() bool { return b.sfField("Lead", sfID, "Phone") == "111" })
	if got := b.sfField("Lead", sfID, "Title"); got != "Engineer" {
		t.Fatalf("read-only Lead.Title = %v, want it untouched", got)
	}
	b.waitFor("the title change is kept as a sync error", func() bool { return len(b.keptErrors()) == 1 })
	kept := b.keptErrors()[0]
	if kept.RecordID != id || kept.Operation != connection.OpKeptChange || !strings.Contains(kept.RequestBody, `"CTO"`) ||
		!strings.Contains(kept.Message, "clear Read-Only") {
		t.Fatalf("kept change = %+v", kept)
	}

	// Salesforce → Intercom: the field is still read, so its changes sync,
	// the phone's too.
	b.updateRecord("Lead", sfID, map[string]any{"Phone": "222", "Title": "Architect"})
	b.poll()
	if c := b.icContact(id); c.Phone != "222" || c.CustomAttributes["job_title"] != "Architect" {
		t.Fatalf("Intercom phone %q, job_title %v after a Salesforce edit with Title read-only, want 222 and Architect",
			c.Phone, c.CustomAttributes["job_title"])
	}
	// A newer Intercom change to the title is kept in place of the
	// older one.
	b.updateContact(id, map[string]any{"custom_attributes": map[string]any{"job_title": "CFO"}})
	b.waitFor("the newer title change is kept", func() bool {
		kept := b.keptErrors()
		return len(kept) == 1 && strings.Contains(kept[0].RequestBody, `"CFO"`)
	})
	if got := b.sfField("Lead", sfID, "Title"); got != "Architect" {
		t.Fatalf("read-only Lead.Title = %v, want Architect", got)
	}

	// The connection shows the problem in words, with its fix.
	res, err := connection.LastSetupCheck(b.ctx, b.store, b.connID)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Message, "read-only for the connected user: Title") ||
		res.Problems[0].Fix != "Object Manager > Lead > Fields & Relationships > Title > Set Field-Level Security > Visible, and clear Read-Only" {
		t.Fatalf("setup check = %+v", res)
	}

	// Writable again: the kept change lands.
	if err := b.sf.SetFieldReadOnly("Lead", "Title", false); err != nil {
		t.Fatal(err)
	}
	back(b)
	b.waitFor("the kept title reaches the Lead", func() bool { return b.sfField("Lead", sfID, "Title") == "CFO" })
	b.waitFor("the kept change's sync error is resolved", func() bool { return len(b.keptErrors()) == 0 })
	if got := b.sfField("Lead", sfID, "Phone"); got != "222" {
		t.Errorf("Lead phone = %v after the kept change landed, want 222 (the newer Salesforce edit)", got)
	}
	// And Intercom's changes to it sync again.
	b.updateContact(id, map[string]any{"custom_attributes": map[string]any{"job_title": "CEO"}})
	b.waitFor("Intercom's title reaches the Lead", func() bool { return b.sfField("Lead", sfID, "Title") == "CEO" })
	if open := b.openErrors(); len(open) != 0 {
		t.Errorf("open sync errors at the end: %+v", open)
	}
}
