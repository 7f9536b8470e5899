package engine_test

import (
	"testing"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
)

// TestConnectThenConfigureLeavesNothingUnmatched: connecting before any
// settings exist, the initial sync waits for them instead of matching with
// defaults; saving them (through the application layer, as the admin API
// does) matches people, and turning account sync on later matches the
// companies left unmatched (issue 8 item 10).
func TestConnectThenConfigureLeavesNothingUnmatched(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{noSettings: true})
	acct := b.newRecord("Account", map[string]any{"Name": "Acme", "AccountNumber": "C-1"})
	lead := b.newRecord("Lead", map[string]any{"Email": "connect@example.com"})
	co, err := b.icClient().CreateOrUpdateCompany(b.ctx, intercom.CompanyInput{CompanyID: intercom.Ptr("C-1"), Name: intercom.Ptr("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	person := b.newContact(map[string]any{"email": "connect@example.com", "role": "lead"})

	// Connected, no settings: the initial sync runs and waits.
	if err := b.eng.InitialSync(b.ctx, b.conn(), jobs.InitialSyncArgs{ConnectionID: b.connID}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{engine.InitialContacts, engine.InitialCompanies} {
		if p := b.progress(o); p.State == engine.StateDone {
			t.Errorf("%s initial sync done before any settings: %+v", o, p)
		}
	}
	if m, ok := b.mapping(person); ok {
		t.Errorf("person mapped before any settings: %+v", m)
	}

	a := app.New(app.Options{Store: b.store, Manager: b.mgr, DefaultConnectionID: b.connID})
	save := func(doc string) {
		t.Helper()
		if _, err := a.SaveSettings(b.ctx, b.connID, []byte(doc), -1); err != nil {
			t.Fatalf("save settings: %v", err)
		}
		if err := b.eng.InitialSync(b.ctx, b.conn(), jobs.InitialSyncArgs{ConnectionID: b.connID}); err != nil {
			t.Fatal(err)
		}
	}
	save(`{"mappings": [{"object": "lead", "intercom": "phone", "salesforce": "Phone", "direction": "both"}]}`)
	if m, ok := b.mapping(person); !ok || m.SFID != lead {
		t.Errorf("after the first settings: person mapping = %+v, %v; want Lead %s", m, ok, lead)
	}
	if p := b.progress(engine.InitialContacts); p.State != engine.StateDone || p.Matched != 1 {
		t.Errorf("contacts initial sync = %+v, want done with 1 matched", p)
	}

	save(`{"identity": {"company": {"intercom": "company_id", "salesforce": "AccountNumber"}},
		"mappings": [{"object": "lead", "intercom": "phone", "salesforce": "Phone", "direction": "both"}]}`)
	if m, ok := b.mapping(co.ID); !ok || m.SFID != acct {
		t.Errorf("after account sync was configured: company mapping = %+v, %v; want Account %s", m, ok, acct)
	}
	if p := b.progress(engine.InitialCompanies); p.State != engine.StateDone || p.Matched != 1 {
		t.Errorf("companies initial sync = %+v, want done with 1 matched", p)
	}
}
