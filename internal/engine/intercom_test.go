package engine_test

import (
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/store"
)

// TestIntercomTriggers covers the Intercom → Salesforce trigger table of
// seeds/001_* (F2.3) end to end: real signed webhooks, the drain, and the
// Salesforce emulator's records.
func TestIntercomTriggers(t *testing.T) {
	t.Parallel()

	t.Run("CreatedMatchesExistingAndSyncsBothWaysOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		lead := b.newRecord("Lead", map[string]any{"Email": "Ann@Example.com", "Title": "CTO"})
		id := b.newContact(map[string]any{"email": "ann@example.com", "phone": "+1 555 0100"})
		b.drain()
		m, ok := b.mapping(id)
		if !ok || m.SFID != lead || m.SFObject != "Lead" {
			t.Fatalf("mapping = %+v, %v; want to Lead %s", m, ok, lead)
		}
		if got := b.sfField("Lead", lead, "Phone"); got != "+1 555 0100" {
			t.Errorf("Lead.Phone = %v, want the Intercom phone (F3.4)", got)
		}
		c := b.icContact(id)
		if got := c.CustomAttributes["job_title"]; got != "CTO" {
			t.Errorf("job_title = %v, want the Salesforce Title (F3.4)", got)
		}
		if got := c.CustomAttributes["SALESFORCE_ID"]; got != lead {
			t.Errorf("SALESFORCE_ID = %v, want %s (F3.6)", got, lead)
		}
		if got := c.CustomAttributes["SALESFORCE_OBJECT_TYPE"]; got != "Lead" {
			t.Errorf("SALESFORCE_OBJECT_TYPE = %v, want Lead", got)
		}
	})

	t.Run("CreatedWithoutMatchCreatesNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		before := b.sf.APICalls()
		id := b.newContact(map[string]any{"email": "nobody@example.com", "phone": "1"})
		b.drain()
		if _, ok := b.mapping(id); ok {
			t.Fatal("a mapping was created without a match")
		}
		n, err := b.countRecords("Lead")
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d Leads exist; a person created in Intercom must never be created in Salesforce", n)
		}
		// The first batch reads the schema: four describes (Lead, Contact,
		// Account, Task: the setup check), then the limits and the match.
		if calls := b.sf.APICalls() - before; calls > 7 {
			t.Errorf("%d Salesforce calls for one unmatched contact", calls)
		}
	})

	t.Run("UpdatedWithMappingSyncsChangedAttributes", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		contact := b.newRecord("Contact", map[string]any{"Email": "bo@example.com", "Phone": "1"})
		id := b.newContact(map[string]any{"email": "bo@example.com", "role": "user"})
		b.drain()
		if _, ok := b.mapping(id); !ok {
			t.Fatal("no mapping")
		}
		b.updateContact(id, map[string]any{"phone": "2", "custom_attributes": map[string]any{"job_title": "VP"}})
		b.drain()
		if got := b.sfField("Contact", contact, "Phone"); got != "2" {
			t.Errorf("Contact.Phone = %v, want 2", got)
		}
		if got := b.sfField("Contact", contact, "Title"); got != "VP" {
			t.Errorf("Contact.Title = %v, want VP", got)
		}
		// F8.3: the change is in the record's history with its origin, rule
		// and outcome, under either side's id.
		for _, rid := range []string{id, contact} {
			h, err := b.store.ListHistory(b.ctx, b.connID, rid, store.Page{})
			if err != nil || len(h) == 0 {
				t.Fatalf("history of %s: %v, %v", rid, h, err)
			}
			e := h[0]
			if e.Origin != store.OriginIntercom || !strings.Contains(e.Rule, "updated in Intercom") || e.Outcome != "ok" ||
				!strings.Contains(e.Changes, `"Phone":"2"`) {
				t.Errorf("latest history entry = %+v", e)
			}
		}
	})

	t.Run("UpdatedWithoutMappingTriesToMatch", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		id := b.newContact(map[string]any{"email": "later@example.com"})
		b.drain()
		contact := b.newRecord("Contact", map[string]any{"Email": "later@example.com"})
		b.updateContact(id, map[string]any{"phone": "7"})
		b.drain()
		if m, ok := b.mapping(id); !ok || m.SFID != contact {
			t.Fatalf("mapping = %+v, %v; want Contact %s", m, ok, contact)
		}
	})

	t.Run("KeyUpdatedRepointsMapping", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		first := b.newRecord("Contact", map[string]any{"Email": "old@example.com"})
		second := b.newRecord("Contact", map[string]any{"Email": "new@example.com", "Title": "Boss"})
		id := b.newContact(map[string]any{"email": "old@example.com", "role": "user"})
		b.drain()
		if m, _ := b.mapping(id); m.SFID != first {
			t.Fatalf("mapped to %s, want %s", m.SFID, first)
		}
		b.updateContact(id, map[string]any{"email": "new@example.com"})
		b.drain()
		if m, _ := b.mapping(id); m.SFID != second {
			t.Fatalf("after the email change mapped to %s, want %s (re-point)", m.SFID, second)
		}
		if got := b.icContact(id).CustomAttributes["SALESFORCE_ID"]; got != second {
			t.Errorf("SALESFORCE_ID = %v, want %s", got, second)
		}
	})

	t.Run("DeletedDeletesMappingOnly", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		contact := b.newRecord("Contact", map[string]any{"Email": "gone@example.com"})
		id := b.newContact(map[string]any{"email": "gone@example.com", "role": "user"})
		b.drain()
		if _, ok := b.mapping(id); !ok {
			t.Fatal("no mapping")
		}
		mark := b.lastEventID()
		if _, err := b.icClient().DeleteContact(b.ctx, id); err != nil {
			t.Fatal(err)
		}
		b.waitEvent(mark, id, "deleted")
		b.drain()
		if _, ok := b.mapping(id); ok {
			t.Error("mapping survived the delete")
		}
		if _, ok := b.sf.Record("Contact", contact); !ok {
			t.Error("the Salesforce Contact was deleted; only the mapping may be")
		}
		if rec, _ := b.sf.Record("Contact", contact); rec["IsDeleted"] == true {
			t.Error("the Salesforce Contact was deleted; only the mapping may be")
		}
	})
	t.Run("UpdatedAfterSalesforceDeleteEndsMapping", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		contact := b.newRecord("Contact", map[string]any{"Email": "vanished@example.com"})
		id := b.newContact(map[string]any{"email": "vanished@example.com", "role": "user"})
		b.drain()
		if err := b.sf.DeleteRecord("Contact", contact); err != nil {
			t.Fatal(err)
		}
		b.updateContact(id, map[string]any{"phone": "after-delete"})
		b.drain()
		if _, ok := b.mapping(id); ok {
			t.Error("mapping to a deleted Contact survived")
		}
		if errs := b.openErrors(); len(errs) != 0 {
			t.Errorf("sync errors %+v; a deleted record ends the mapping, it is not an error", errs)
		}
	})
}

// TestUnreadableEvent: a signed event whose item does not fit its topic is
// listed as a sync error with the payload, not lost and not retried for
// ever.
func TestUnreadableEvent(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	payload := `{"type":"notification_event","topic":"contact.user.updated","id":"notif_bad","app_id":"x",` +
		`"data":{"type":"notification_event_data","item":{"type":"contact","id":{"not":"a string"}}}}`
	if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
		_, _, err := tx.InsertWebhookEvent(b.ctx, store.WebhookEvent{ConnectionID: b.connID, NotificationID: "notif_bad",
			Topic: "contact.user.updated", Payload: payload})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b.drain()
	errs := b.openErrors()
	if len(errs) != 1 || errs[0].RecordID != "notif_bad" || errs[0].RequestBody != payload {
		t.Fatalf("sync errors = %+v; want one for notif_bad with its payload", errs)
	}
	if pending, _ := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 10); len(pending) != 0 {
		t.Errorf("%d events still pending", len(pending))
	}
}
