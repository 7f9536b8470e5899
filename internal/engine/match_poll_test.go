package engine_test

import (
	"strings"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// TestMultipleMatchesFoundByPoll: the legacy multiple-match rules (F2.2) hold
// when the Salesforce poll finds the match first (issue 8 item 7). An
// Intercom lead with a phone and no match waits; then Leads and Contacts with
// its email are created in Salesforce and polled.
func TestMultipleMatchesFoundByPoll(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		leads, contacts int
		wantObject      string // "" for no mapping
		wantReview      bool
	}{
		{name: "OneLeadIsMapped", leads: 1, wantObject: "Lead"},
		{name: "TwoLeadsNoContactAreReviewedNotMapped", leads: 2, wantReview: true},
		{name: "LeadAndContactMapToTheContact", leads: 1, contacts: 1, wantObject: "Contact"},
		{name: "ContactAndTwoLeadsMapToTheContact", leads: 2, contacts: 1, wantObject: "Contact"},
		{name: "TwoContactsAreReviewedNotMapped", contacts: 2, leads: 1, wantReview: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{})
			email := strings.ToLower(tt.name) + "@example.com"
			id := b.newContact(map[string]any{"email": email, "role": "lead", "phone": "+1 555 0100"})
			b.drain()
			if _, ok := b.mapping(id); ok {
				t.Fatal("mapped before any Salesforce record exists")
			}
			ids := map[string][]string{}
			for range tt.leads {
				ids["Lead"] = append(ids["Lead"], b.newRecord("Lead", map[string]any{"Email": email}))
			}
			for range tt.contacts {
				ids["Contact"] = append(ids["Contact"], b.newRecord("Contact", map[string]any{"Email": email}))
			}
			b.poll()
			m, ok := b.mapping(id)
			switch {
			case tt.wantObject == "" && ok:
				t.Errorf("mapped to %s %s; want no mapping", m.SFObject, m.SFID)
			case tt.wantObject != "" && (!ok || string(m.SFObject) != tt.wantObject || m.SFID != ids[tt.wantObject][0]):
				t.Errorf("mapping = %+v, %v; want %s %v", m, ok, tt.wantObject, ids[tt.wantObject])
			}
			// The phone is written to the mapped record only.
			for object, list := range ids {
				for _, sfID := range list {
					want := object == tt.wantObject && sfID == ids[tt.wantObject][0]
					if got := b.sfField(object, sfID, "Phone"); (got != nil && got != "") != want {
						t.Errorf("%s %s Phone = %v, written = %v, want written = %v", object, sfID, got, !want, want)
					}
				}
			}
			reviews, err := b.store.ListMatchReviews(b.ctx, b.connID, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(reviews) == 1 && reviews[0].IntercomID == id; got != tt.wantReview {
				t.Errorf("review listed = %v (%+v), want %v", got, reviews, tt.wantReview)
			}
			if tt.wantReview && len(reviews) == 1 {
				for _, object := range []string{"Lead", "Contact"} {
					if object == "Lead" && tt.contacts > 1 {
						continue // the Contacts are the candidates
					}
					for _, sfID := range ids[object] {
						if !strings.Contains(reviews[0].Candidates, sfID) {
							t.Errorf("review candidates %s lack %s %s", reviews[0].Candidates, object, sfID)
						}
					}
				}
				if got := b.icContact(id).CustomAttributes["SALESFORCE_ID"]; got != nil {
					t.Errorf("SALESFORCE_ID = %v on an ambiguous match", got)
				}
			}
		})
	}
}

// TestPollLeavesOlderChangesToInitialSync: a Lead changed in the seconds
// before the initial sync began falls inside the poll's overlap, but it is
// the initial sync's to match: the first poll does not match it again (for
// a large org loaded just before connecting, that was all of it twice). A
// Lead changed after the start is polled and matched as usual (F3.3, F3.8).
func TestPollLeavesOlderChangesToInitialSync(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	started := b.progress(engine.InitialContacts).StartedAt
	ids, err := b.ic.BulkLoadContacts([]icemu.ContactSeed{
		{Role: "lead", Email: "before@example.com"}, {Role: "lead", Email: "after@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	before := started.Add(-2 * time.Second)
	if _, err := b.sf.LoadRecords("Lead", []map[string]any{{"Email": "before@example.com", "LastName": "B", "Company": "C",
		"CreatedDate": before, "SystemModstamp": before}}); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(2 * time.Second)
	if _, err := b.sf.CreateRecord("Lead", map[string]any{"Email": "after@example.com", "LastName": "A", "Company": "C"}); err != nil {
		t.Fatal(err)
	}
	b.poll()
	if m, ok := b.mapping(ids[0]); ok {
		t.Errorf("the Lead changed before the initial sync began was matched by the poll: %+v", m)
	}
	if _, ok := b.mapping(ids[1]); !ok {
		t.Error("the Lead created after the initial sync began was not matched by the poll")
	}
}

// TestPollMovesPastInitialSyncSecond: when only records of the initial
// sync's second are read (all the initial sync's), the watermark moves past
// that second once the overlap has passed, so later polls do not read them
// again and again.
func TestPollMovesPastInitialSyncSecond(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	started := b.progress(engine.InitialContacts).StartedAt
	if _, err := b.ic.BulkLoadContacts([]icemu.ContactSeed{{Role: "lead", Email: "before@example.com"}}); err != nil {
		t.Fatal(err)
	}
	// In the initial sync's second, before it began (or at its very start
	// when it began on the second).
	before := started.Add(-time.Millisecond)
	if before.Before(started.Truncate(time.Second)) {
		before = started
	}
	if _, err := b.sf.LoadRecords("Lead", []map[string]any{{"Email": "before@example.com", "LastName": "B", "Company": "C",
		"CreatedDate": before, "SystemModstamp": before}}); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(10 * time.Second)
	b.poll()
	wm, err := b.store.GetWatermark(b.ctx, b.connID, "Lead")
	if err != nil {
		t.Fatal(err)
	}
	if !wm.SystemModstamp.After(started.Truncate(time.Second).Add(time.Second)) {
		t.Errorf("Lead watermark = %s, want past the initial sync's second (%s)", wm.SystemModstamp, started)
	}
}

// TestSeveralIntercomPeopleShareTheKeyOfAPolledRecord: a Salesforce Lead
// whose email two Intercom leads share is a multiple match from Salesforce's
// side (F2.2): no mapping, and the Lead is listed once for the admin, with
// both Intercom people as candidates, however often it is polled again.
// The admin's pick maps the pair and syncs it both ways once (F3.4).
func TestSeveralIntercomPeopleShareTheKeyOfAPolledRecord(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Engines() {
		t.Run(string(db.Engine), func(t *testing.T) {
			t.Parallel()
			testSeveralIntercomPeopleShareTheKey(t, setup(t, setupOpts{db: &db}))
		})
	}
}

func testSeveralIntercomPeopleShareTheKey(t *testing.T, b *bundle) {
	const email = "shared@example.com"
	first := b.newContact(map[string]any{"email": email, "role": "lead", "phone": "+1 555 0101"})
	second := b.newContact(map[string]any{"email": email, "role": "lead", "phone": "+1 555 0102"})
	b.drain()
	sfID := b.newRecord("Lead", map[string]any{"Email": email, "Title": "CTO"})
	b.poll()
	for _, id := range []string{first, second} {
		if m, ok := b.mapping(id); ok {
			t.Errorf("Intercom %s mapped to %s on a multiple match", id, m.SFID)
		}
	}
	if got := b.sfField("Lead", sfID, "Phone"); got != nil && got != "" {
		t.Errorf("Lead Phone = %v on a multiple match", got)
	}
	reviews, err := b.store.ListMatchReviews(b.ctx, b.connID, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(reviews) != 1 || reviews[0].SFID != sfID || reviews[0].SFObject != "Lead" || reviews[0].IntercomID != "" {
		t.Fatalf("reviews = %+v, want one of Lead %s", reviews, sfID)
	}
	for _, id := range []string{first, second} {
		if !strings.Contains(reviews[0].Candidates, `"`+id+`"`) {
			t.Errorf("review candidates %s lack Intercom %s", reviews[0].Candidates, id)
		}
	}

	t.Run("polled again, it is listed once", func(t *testing.T) {
		b.clock.Advance(2 * time.Second)
		if err := b.sf.UpdateRecord("Lead", sfID, map[string]any{"Title": "CEO"}); err != nil {
			t.Fatal(err)
		}
		b.poll()
		if again, _ := b.store.ListMatchReviews(b.ctx, b.connID, false); len(again) != 1 {
			t.Errorf("%d reviews after a second poll, want 1", len(again))
		}
	})

	t.Run("the admin's pick maps the pair and syncs it", func(t *testing.T) {
		if err := b.eng.MapRecord(b.ctx, b.conn(), jobs.MapRecordArgs{ConnectionID: b.connID, IntercomID: second, SalesforceID: sfID}); err != nil {
			t.Fatal(err)
		}
		if m, ok := b.mapping(second); !ok || m.SFID != sfID {
			t.Fatalf("mapping = %+v, %v; want Lead %s", m, ok, sfID)
		}
		if _, ok := b.mapping(first); ok {
			t.Error("the candidate not picked was mapped")
		}
		if got := b.sfField("Lead", sfID, "Phone"); got != "+1 555 0102" {
			t.Errorf("Lead Phone = %v, want the picked person's", got)
		}
		if got := b.icContact(second).CustomAttributes["job_title"]; got != "CEO" {
			t.Errorf("job_title = %v, want the Lead's Title", got)
		}
		// Polled again, the mapped record syncs as any mapped record.
		b.clock.Advance(2 * time.Second)
		if err := b.sf.UpdateRecord("Lead", sfID, map[string]any{"Title": "CFO"}); err != nil {
			t.Fatal(err)
		}
		b.poll()
		if got := b.icContact(second).CustomAttributes["job_title"]; got != "CFO" {
			t.Errorf("job_title = %v after a poll, want CFO", got)
		}
	})
}
