package engine_test

import (
	"slices"
	"testing"
	"time"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
)

// TestSalesforceTriggers covers the Salesforce → Intercom trigger table of
// seeds/001_* (F2.3) and lead conversion (F2.4), by polling the emulator.
func TestSalesforceTriggers(t *testing.T) {
	t.Parallel()

	// mapped creates a matched pair and returns the contact id.
	mapped := func(b *bundle, object, email, role string) (string, string) {
		sfID := b.newRecord(object, map[string]any{"Email": email})
		id := b.newContact(map[string]any{"email": email, "role": role})
		b.drain()
		if m, ok := b.mapping(id); !ok || m.SFID != sfID {
			b.t.Fatalf("mapping = %+v, %v; want %s", m, ok, sfID)
		}
		return sfID, id
	}

	t.Run("UpdatedWithMappingSyncsToIntercom", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		sfID, id := mapped(b, "Contact", "p@example.com", "user")
		b.poll()
		b.updateRecord("Contact", sfID, map[string]any{"Title": "Chief", "Phone": "555"})
		b.poll()
		c := b.icContact(id)
		if c.CustomAttributes["job_title"] != "Chief" || c.Phone != "555" {
			t.Errorf("Intercom job_title = %v, phone = %q; want Chief, 555", c.CustomAttributes["job_title"], c.Phone)
		}
		if c.CustomAttributes["SALESFORCE_TITLE"] != "Chief" {
			t.Errorf("SALESFORCE_TITLE = %v, want Chief (F3.6)", c.CustomAttributes["SALESFORCE_TITLE"])
		}
	})

	t.Run("CreatedMatchesIntercomAndNeverCreates", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		id := b.newContact(map[string]any{"email": "late@example.com", "role": "user"})
		b.drain()
		lone := b.newRecord("Contact", map[string]any{"Email": "nobody-in-intercom@example.com"})
		sfID := b.newRecord("Contact", map[string]any{"Email": "LATE@example.com", "Title": "Dr"})
		before := b.icContactCount()
		b.poll()
		if m, ok := b.mapping(id); !ok || m.SFID != sfID {
			t.Fatalf("mapping = %+v, %v; want Contact %s", m, ok, sfID)
		}
		if got := b.icContact(id).CustomAttributes["job_title"]; got != "Dr" {
			t.Errorf("job_title = %v, want Dr", got)
		}
		if after := b.icContactCount(); after != before {
			t.Errorf("Intercom contacts %d → %d: a person created in Salesforce must never be created in Intercom (%s)", before, after, lone)
		}
	})

	t.Run("KeyUpdatedRepointsMapping", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		sfID, first := mapped(b, "Contact", "one@example.com", "user")
		second := b.newContact(map[string]any{"email": "two@example.com", "role": "user"})
		b.drain()
		b.poll()
		b.updateRecord("Contact", sfID, map[string]any{"Email": "two@example.com"})
		b.poll()
		if m, ok := b.mapping(second); !ok || m.SFID != sfID {
			t.Errorf("mapping of the contact with the new email = %+v, %v; want %s", m, ok, sfID)
		}
		if _, ok := b.mapping(first); ok {
			t.Error("the old contact is still mapped")
		}
	})

	t.Run("DeletedDeletesMappingOnly", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		sfID, id := mapped(b, "Lead", "del@example.com", "lead")
		b.poll()
		if err := b.sf.DeleteRecord("Lead", sfID); err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(2 * 60e9)
		b.poll()
		if _, ok := b.mapping(id); ok {
			t.Error("mapping survived the Salesforce delete")
		}
		if _, err := b.icClient().GetContact(b.ctx, id); err != nil {
			t.Errorf("the Intercom contact is gone (%v); only the mapping may be deleted", err)
		}
	})

	t.Run("LeadConversionMovesMapping", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{})
		lead, id := mapped(b, "Lead", "conv@example.com", "lead")
		b.poll()
		b.clock.Advance(2e9)
		res, err := b.sf.ConvertLead(sfemu.LeadConvert{LeadID: lead, DoNotCreateOpportunity: true})
		if err != nil {
			t.Fatal(err)
		}
		b.poll()
		m, ok := b.mapping(id)
		if !ok || m.SFObject != "Contact" || m.SFID != res.ContactID {
			t.Fatalf("mapping = %+v, %v; want Contact %s", m, ok, res.ContactID)
		}
		c := b.icContact(id)
		if c.CustomAttributes["SALESFORCE_OBJECT_TYPE"] != "Contact" || c.CustomAttributes["SALESFORCE_ID"] != res.ContactID {
			t.Errorf("SALESFORCE_* = %v, %v; want Contact %s", c.CustomAttributes["SALESFORCE_OBJECT_TYPE"], c.CustomAttributes["SALESFORCE_ID"], res.ContactID)
		}
		var names []string
		for ev, err := range b.icClient().ListEvents(b.ctx, intercom.EventFilter{IntercomUserID: id}) {
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, ev.EventName)
		}
		if !slices.Contains(names, "SALESFORCE_CHANGE_OBJECT_TYPE") {
			t.Errorf("events %v; want SALESFORCE_CHANGE_OBJECT_TYPE recorded for the conversion (F3.6)", names)
		}
		if c.Role != "user" {
			t.Errorf("Intercom role = %q; the lead becomes a user when its Lead is converted (F2.4)", c.Role)
		}
		if c.CustomAttributes["SALESFORCE_STATUS"] != nil {
			t.Errorf("SALESFORCE_STATUS = %v; a Contact has none", c.CustomAttributes["SALESFORCE_STATUS"])
		}
	})
	t.Run("PollIntervalFromSettings", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{settings: `{"poll_interval": "10m"}`})
		b.poll()
		before := b.sf.APICalls()
		if err := b.eng.Poll(b.ctx, b.conn()); err != nil {
			t.Fatal(err)
		}
		if n := b.sf.APICalls() - before; n != 0 {
			t.Errorf("a poll within the 10m interval made %d calls", n)
		}
		b.clock.Advance(10 * time.Minute)
		if err := b.eng.Poll(b.ctx, b.conn()); err != nil {
			t.Fatal(err)
		}
		if n := b.sf.APICalls() - before; n == 0 {
			t.Error("no poll after the interval elapsed")
		}
	})
	t.Run("OperatorBoundOnPollInterval", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{settings: `{"poll_interval": "10m"}`})
		// FERRY_POLL_INTERVAL=1m: no connection waits longer, whatever
		// its settings say.
		eng := engine.New(engine.Options{Store: b.store, Manager: b.mgr, Now: b.clock.Now,
			SettingsPollInterval: true, MaxPollInterval: time.Minute})
		if err := eng.Poll(b.ctx, b.conn()); err != nil {
			t.Fatal(err)
		}
		before := b.sf.APICalls()
		b.clock.Advance(30 * time.Second)
		if err := eng.Poll(b.ctx, b.conn()); err != nil {
			t.Fatal(err)
		}
		if n := b.sf.APICalls() - before; n != 0 {
			t.Errorf("a poll 30s after the last one made %d calls", n)
		}
		b.clock.Advance(time.Minute)
		if err := eng.Poll(b.ctx, b.conn()); err != nil {
			t.Fatal(err)
		}
		if n := b.sf.APICalls() - before; n == 0 {
			t.Error("no poll after FERRY_POLL_INTERVAL elapsed, though the settings ask for 10m")
		}
	})
}
