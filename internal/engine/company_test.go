package engine_test

import (
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
)

// TestCompanies: Intercom companies match Accounts on company_id ↔ the
// chosen Account field, and mapped company attributes sync like people's
// (F2.5, F7.1).
func TestCompanies(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: `{
		"identity": {"company": {"intercom": "company_id", "salesforce": "AccountNumber"}},
		"mappings": [
			{"object": "company", "intercom": "name", "salesforce": "Name", "direction": "both"},
			{"object": "company", "intercom": "website", "salesforce": "Website", "direction": "both"}
		]}`})
	acct := b.newRecord("Account", map[string]any{"Name": "Acme Corp", "AccountNumber": "C-1", "Website": "https://acme.example"})
	other := b.newRecord("Account", map[string]any{"Name": "Other", "AccountNumber": "C-2"})
	b.clock.Advance(2e9)

	mark := b.lastEventID()
	co, err := b.icClient().CreateOrUpdateCompany(b.ctx, intercom.CompanyInput{CompanyID: intercom.Ptr("C-1"), Name: intercom.Ptr("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	b.waitEvent(mark, co.ID, "company.created")
	b.drain()
	m, ok := b.mapping(co.ID)
	if !ok || m.SFID != acct || m.SFObject != "Account" {
		t.Fatalf("company mapping = %+v, %v; want Account %s", m, ok, acct)
	}
	if got := b.sfField("Account", acct, "Name"); got != "Acme" {
		t.Errorf("Account.Name = %v, want the later Intercom name (F3.4)", got)
	}
	got, err := b.icClient().GetCompany(b.ctx, co.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Website != "https://acme.example" {
		t.Errorf("Intercom website = %q, want the Account's (F3.4)", got.Website)
	}

	b.poll()
	b.clock.Advance(2e9)
	if err := b.sf.UpdateRecord("Account", acct, map[string]any{"Website": "https://acme.test"}); err != nil {
		t.Fatal(err)
	}
	b.poll()
	if got, _ := b.icClient().GetCompany(b.ctx, co.ID); got == nil || got.Website != "https://acme.test" {
		t.Errorf("Intercom website after the Account changed = %+v", got)
	}
	b.clock.Advance(2e9)
	mark = b.lastEventID()
	if _, err := b.icClient().UpdateCompany(b.ctx, co.ID, intercom.CompanyInput{Name: intercom.Ptr("Acme Renamed")}); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(mark, co.ID, "company.updated", `"Acme Renamed"`)
	b.drain()
	if got := b.sfField("Account", acct, "Name"); got != "Acme Renamed" {
		t.Errorf("Account.Name = %v after the Intercom rename", got)
	}
	if got := b.sfField("Account", other, "Name"); got != "Other" {
		t.Errorf("an unmatched Account changed: Name = %v", got)
	}
}

// TestInitialSyncCompanies: the initial sync also matches existing
// companies to Accounts (F3.8, F7.1).
func TestInitialSyncCompanies(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: `{
		"identity": {"company": {"intercom": "company_id", "salesforce": "AccountNumber"}},
		"mappings": [{"object": "company", "intercom": "website", "salesforce": "Website", "direction": "both"}]}`})
	ids, err := b.ic.BulkLoadCompanies([]icemu.CompanySeed{{CompanyID: "A-1", Name: "One"}, {CompanyID: "A-2", Name: "Two"}})
	if err != nil {
		t.Fatal(err)
	}
	// Attach a contact so listings that leave out empty companies see them.
	if _, err := b.ic.BulkLoadContacts([]icemu.ContactSeed{{Email: "co@example.com", CompanyIDs: ids}}); err != nil {
		t.Fatal(err)
	}
	old := b.clock.Now().Add(-time.Hour)
	accts, err := b.sf.LoadRecords("Account", []map[string]any{{"Name": "One Inc", "AccountNumber": "A-1", "Website": "https://one.example",
		"SystemModstamp": old}})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.runInitialSync(); err != nil {
		t.Fatal(err)
	}
	if m, ok := b.mapping(ids[0]); !ok || m.SFID != accts[0] {
		t.Errorf("company A-1 mapping = %+v, %v; want %s", m, ok, accts[0])
	}
	if _, ok := b.mapping(ids[1]); ok {
		t.Error("company A-2 has no Account but was mapped")
	}
	if p := b.progress(engine.InitialCompanies); p.State != engine.StateDone || p.Matched != 1 {
		t.Errorf("companies progress = %+v; want done with 1 matched", p)
	}
	if c, err := b.icClient().GetCompany(b.ctx, ids[0]); err != nil || c.Website != "https://one.example" {
		t.Errorf("company website = %+v, %v; want the Account's", c, err)
	}
}
