package engine_test

import (
	"fmt"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// runMatching runs the current matching run (initial sync or resync) to
// its end, as its job would.
func (b *bundle) runMatching() {
	b.t.Helper()
	run := b.progress(engine.InitialCompanies).Cursor
	if err := b.eng.InitialSync(b.ctx, b.conn(), jobs.InitialSyncArgs{ConnectionID: b.connID, Run: run}); err != nil {
		b.t.Fatalf("matching run %s: %v", run, err)
	}
}

func (b *bundle) companyMappings() int {
	b.t.Helper()
	n, err := b.store.CountMappings(b.ctx, b.connID, store.MappingCompany)
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

// TestResyncAfterIdentityKeyChange: after the account-sync field changes
// from AccountNumber to Site, matching runs again by itself and maps the
// companies whose company_id is an Account's Site, and nothing else: the
// near misses stay unmatched, and no record is created on either side.
// Then an on-demand resync maps an Account that appeared since.
func TestResyncAfterIdentityKeyChange(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: `{"identity": {"company": {"intercom": "company_id", "salesforce": "AccountNumber"}}}`})
	seeds := make([]icemu.CompanySeed, 12)
	for i := range seeds {
		seeds[i] = icemu.CompanySeed{CompanyID: fmt.Sprintf("ACME-%02d", i), Name: fmt.Sprintf("Acme %d", i)}
	}
	icIDs, err := b.ic.BulkLoadCompanies(seeds)
	if err != nil {
		t.Fatal(err)
	}
	old := b.clock.Now().Add(-time.Hour)
	var accts []map[string]any
	for i := range 5 { // by AccountNumber: 00–04
		accts = append(accts, map[string]any{"Name": fmt.Sprintf("N%d", i), "AccountNumber": fmt.Sprintf("ACME-%02d", i), "SystemModstamp": old})
	}
	for i := 5; i < 9; i++ { // by Site: 05–08
		accts = append(accts, map[string]any{"Name": fmt.Sprintf("S%d", i), "Site": fmt.Sprintf("ACME-%02d", i), "SystemModstamp": old})
	}
	for i := 9; i < 11; i++ { // near misses: 09, 10
		accts = append(accts, map[string]any{"Name": fmt.Sprintf("X%d", i), "Site": fmt.Sprintf("ACME-%02d-old", i), "SystemModstamp": old})
	}
	if _, err := b.sf.LoadRecords("Account", accts); err != nil {
		t.Fatal(err)
	}
	b.poll() // reads the schema
	b.runMatching()
	if n := b.companyMappings(); n != 5 {
		t.Fatalf("%d companies mapped by AccountNumber, want 5", n)
	}
	accounts, companies := len(b.sf.Records("Account")), b.icCompanies()

	// The field changes to Site: saving the settings restarts matching.
	if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
		cur, err := tx.GetSettings(b.ctx, b.connID)
		if err != nil {
			return err
		}
		before, _ := settings.Parse(cur.Doc)
		after := before
		after.Identity.Company.Salesforce = "Site"
		doc := []byte(`{"identity": {"company": {"intercom": "company_id", "salesforce": "Site"}}}`)
		if _, err := tx.PutSettings(b.ctx, b.connID, doc, cur.Version); err != nil {
			return err
		}
		return engine.SettingsSaved(b.ctx, tx, b.connID, &before, after, b.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if p := b.progress(engine.InitialCompanies); p.State != engine.StateRunning || p.Processed != 0 {
		t.Fatalf("companies progress after the key changed = %+v, want a new run from the start", p)
	}
	b.runMatching()
	if n := b.companyMappings(); n != 9 {
		t.Fatalf("%d companies mapped after the change to Site, want 9 (5 kept, 4 by Site)", n)
	}
	for i := 5; i < 11; i++ {
		_, mapped := b.mapping(icIDs[i])
		if mapped != (i < 9) {
			t.Errorf("ACME-%02d mapped = %v, want %v", i, mapped, i < 9)
		}
	}
	p := b.progress(engine.InitialCompanies)
	if p.State != engine.StateDone || p.Processed != 12 || p.Matched != 4 {
		t.Errorf("progress = %+v, want done, 12 processed, 4 matched", p)
	}

	// On demand: an Account that appeared since (too old to be polled)
	// is matched by a resync.
	if _, err := b.sf.LoadRecords("Account", []map[string]any{{"Name": "Late", "Site": "ACME-11", "SystemModstamp": old}}); err != nil {
		t.Fatal(err)
	}
	var v app.ConnectionView
	a := app.New(app.Options{Store: b.store, Manager: b.mgr, Now: b.clock.Now})
	v, err = a.Resync(b.ctx, b.connID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.InitialSync) != 2 || v.InitialSync[0].State != engine.StateRunning {
		t.Fatalf("connection after resync shows %+v, want the run in progress", v.InitialSync)
	}
	b.runMatching()
	if n := b.companyMappings(); n != 10 {
		t.Fatalf("%d companies mapped after the resync, want 10", n)
	}
	if got, want := len(b.sf.Records("Account")), accounts+1; got != want {
		t.Errorf("%d Accounts, want %d: matching created Accounts", got, want)
	}
	if got := b.icCompanies(); got != companies {
		t.Errorf("%d Intercom companies, want %d: matching created companies", got, companies)
	}
}

// icCompanies counts the Intercom workspace's companies.
func (b *bundle) icCompanies() int {
	b.t.Helper()
	n := 0
	for _, err := range b.icClient().ListCompanies(b.ctx, intercom.ListOptions{}) {
		if err != nil {
			b.t.Fatal(err)
		}
		n++
	}
	return n
}
