package engine_test

import (
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// TestMultipleMatches covers the legacy multiple-match rules (F2.2): the
// outcome for each combination of Leads and Contacts sharing an email.
func TestMultipleMatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		leads, contacts int
		converted       int
		wantObject      string // "" for no mapping
		wantReview      bool
	}{
		{name: "OneLead", leads: 1, wantObject: "Lead"},
		{name: "NoContactSeveralLeads", leads: 2, wantReview: true},
		{name: "OneContactAndLeads", leads: 2, contacts: 1, wantObject: "Contact"},
		{name: "SeveralContacts", contacts: 2, leads: 1, wantReview: true},
		{name: "ConvertedLeadNeverMatches", converted: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{})
			email := strings.ToLower(tt.name) + "@example.com"
			ids := map[string][]string{}
			for range tt.leads {
				ids["Lead"] = append(ids["Lead"], b.newRecord("Lead", map[string]any{"Email": email}))
			}
			for range tt.contacts {
				ids["Contact"] = append(ids["Contact"], b.newRecord("Contact", map[string]any{"Email": email}))
			}
			for range tt.converted {
				if _, err := b.sf.LoadRecords("Lead", []map[string]any{{"Email": email, "LastName": "X", "Company": "Y", "IsConverted": true}}); err != nil {
					t.Fatal(err)
				}
			}
			id := b.newContact(map[string]any{"email": email, "role": "user"})
			b.drain()
			m, ok := b.mapping(id)
			switch {
			case tt.wantObject == "" && ok:
				t.Errorf("mapped to %s %s; want no mapping", m.SFObject, m.SFID)
			case tt.wantObject != "" && (!ok || string(m.SFObject) != tt.wantObject || m.SFID != ids[tt.wantObject][0]):
				t.Errorf("mapping = %+v, %v; want %s %v", m, ok, tt.wantObject, ids[tt.wantObject])
			}
			reviews, err := b.store.ListMatchReviews(b.ctx, b.connID, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(reviews) == 1 && reviews[0].IntercomID == id; got != tt.wantReview {
				t.Errorf("review listed = %v (%+v), want %v", got, reviews, tt.wantReview)
			}
			if tt.wantReview {
				// Intercom is not updated for ambiguous matches.
				if got := b.icContact(id).CustomAttributes["SALESFORCE_ID"]; got != nil {
					t.Errorf("SALESFORCE_ID = %v on an ambiguous match", got)
				}
				// A second change does not list the record twice.
				b.updateContact(id, map[string]any{"phone": "9"})
				b.drain()
				if again, _ := b.store.ListMatchReviews(b.ctx, b.connID, false); len(again) != 1 {
					t.Errorf("%d reviews after a second change, want 1", len(again))
				}
				// The admin picks the second candidate.
				pick := ids["Contact"]
				if len(pick) == 0 {
					pick = ids["Lead"]
				}
				if err := b.eng.MapRecord(b.ctx, b.conn(), jobs.MapRecordArgs{ConnectionID: b.connID, IntercomID: id, SalesforceID: pick[1]}); err != nil {
					t.Fatal(err)
				}
				if m, ok := b.mapping(id); !ok || m.SFID != pick[1] {
					t.Errorf("after the admin's pick mapping = %+v, %v; want %s", m, ok, pick[1])
				}
				if got := b.icContact(id).CustomAttributes["SALESFORCE_ID"]; got != pick[1] {
					t.Errorf("SALESFORCE_ID = %v after the pick, want %s", got, pick[1])
				}
			}
		})
	}
}

// TestMergeFollowsUser: an Intercom lead merged into a user hands its
// mapping to the user (F2.4).
func TestMergeFollowsUser(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	sfID := b.newRecord("Lead", map[string]any{"Email": "merge@example.com"})
	lead := b.newContact(map[string]any{"email": "merge@example.com", "role": "lead"})
	b.drain()
	if m, ok := b.mapping(lead); !ok || m.SFID != sfID {
		t.Fatalf("lead mapping = %+v, %v", m, ok)
	}
	user := b.newContact(map[string]any{"email": "merged-user@example.com", "role": "user"})
	b.drain()
	mark := b.lastEventID()
	if _, err := b.icClient().MergeContacts(b.ctx, lead, user); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(mark, user, "merged")
	b.drain()
	if _, ok := b.mapping(lead); ok {
		t.Error("the merged-away lead is still mapped")
	}
	if m, ok := b.mapping(user); !ok || m.SFID != sfID {
		t.Errorf("user mapping = %+v, %v; want Lead %s", m, ok, sfID)
	}
}

// TestConflictLatestWins: both sides change one both-way field; the later
// change wins field by field and nothing loops (F3.5).
func TestConflictLatestWins(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	sfID := b.newRecord("Contact", map[string]any{"Email": "c@example.com"})
	id := b.newContact(map[string]any{"email": "c@example.com", "role": "user"})
	b.drain()
	b.poll()

	// Salesforce only records when a record changed (SystemModstamp), not
	// each field, so the change time of a field is its record's.
	check := func(step, wantPhone, wantTitle string) {
		t.Helper()
		c := b.icContact(id)
		if got := b.sfField("Contact", sfID, "Phone"); got != wantPhone || c.Phone != wantPhone {
			t.Errorf("%s: Phone = %v in Salesforce, %q in Intercom; want %s on both", step, got, c.Phone, wantPhone)
		}
		if got := b.sfField("Contact", sfID, "Title"); got != wantTitle || c.CustomAttributes["job_title"] != wantTitle {
			t.Errorf("%s: Title = %v in Salesforce, %v in Intercom; want %s on both", step, got, c.CustomAttributes["job_title"], wantTitle)
		}
	}

	// Salesforce changes the phone, then Intercom the phone and the title,
	// before either is synced: Intercom's later change wins.
	b.updateRecord("Contact", sfID, map[string]any{"Phone": "sf-early"})
	b.updateContact(id, map[string]any{"phone": "ic-late", "custom_attributes": map[string]any{"job_title": "ic-title"}})
	b.drain()
	b.poll()
	b.drain()
	check("Intercom later", "ic-late", "ic-title")

	// Now Intercom first, Salesforce later: Salesforce wins the phone; the
	// title, changed on one side only, stays.
	b.updateContact(id, map[string]any{"phone": "ic-early"})
	b.updateRecord("Contact", sfID, map[string]any{"Phone": "sf-late"})
	b.drain()
	b.poll()
	b.drain()
	check("Salesforce later", "sf-late", "ic-title")
}

// TestNoEcho: a value ferry wrote is recognised when it comes back and not
// written again (F3.5), asserted by counting API calls on both emulators.
func TestNoEcho(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Engines() {
		t.Run(string(db.Engine), func(t *testing.T) {
			t.Parallel()
			testNoEcho(t, setup(t, setupOpts{db: &db}))
		})
	}
}

func testNoEcho(t *testing.T, b *bundle) {
	sfID := b.newRecord("Contact", map[string]any{"Email": "echo@example.com"})
	id := b.newContact(map[string]any{"email": "echo@example.com", "role": "user"})
	b.drain()
	b.poll()
	b.drain()

	// Intercom → Salesforce, then the poll sees ferry's own write.
	b.updateContact(id, map[string]any{"phone": "111"})
	b.drain()
	if got := b.sfField("Contact", sfID, "Phone"); got != "111" {
		t.Fatalf("Phone = %v, want 111", got)
	}
	icBefore := b.ic.APICalls()
	b.poll()
	if n := b.ic.APICalls() - icBefore; n != 0 {
		t.Errorf("the poll made %d Intercom calls for ferry's own Salesforce write; want 0", n)
	}

	// Salesforce → Intercom, then the webhook of ferry's own write.
	b.updateRecord("Contact", sfID, map[string]any{"Title": "Echo"})
	mark := b.lastEventID()
	b.poll()
	b.waitEvent(mark, id, "updated", `"Echo"`)
	sfBefore := b.sf.APICalls()
	b.drain()
	if n := b.sf.APICalls() - sfBefore; n != 0 {
		t.Errorf("the echo webhook caused %d Salesforce calls; want 0", n)
	}
}
