package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
)

// diagnose asks the admin API for the account sync diagnosis.
func (b *bundle) diagnose(t *testing.T) app.AccountDiagnosis {
	t.Helper()
	res := b.admin(t, http.MethodGet, "/api/v1/diagnostics/accounts", "")
	if res.status != http.StatusOK {
		t.Fatalf("diagnostics: %d %s", res.status, res.body)
	}
	var d app.AccountDiagnosis
	if err := json.Unmarshal(res.body, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func problem(d app.AccountDiagnosis, code string) (app.AccountProblem, bool) {
	for _, p := range d.Problems {
		if p.Code == code {
			return p, true
		}
	}
	return app.AccountProblem{}, false
}

func (b *bundle) companySettings(t *testing.T, field string) {
	t.Helper()
	doc := fmt.Sprintf(`{"identity": {"company": {"intercom": "company_id", "salesforce": %q}}}`, field)
	if err := b.store.InTx(t.Context(), func(tx store.Tx) error {
		_, err := tx.PutSettings(t.Context(), b.connID, []byte(doc), 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestAccountDiagnostics: each way account sync can fail to start is
// reproduced on the emulators, detected and explained with its fix; with no
// company mapped, the field that matches the most sampled companies is
// found among the Account's text fields (at least 10 candidates).
func TestAccountDiagnostics(t *testing.T) {
	t.Parallel()
	old := time.Now().Add(-90 * 24 * time.Hour)
	connected := func(t *testing.T) *bundle {
		b := setup(t)
		b.connectSalesforce(t, b.connID)
		b.connectIntercomToken(t, b.connID)
		return b
	}
	companies := func(t *testing.T, b *bundle, n int, created time.Time) []string {
		seeds := make([]icemu.CompanySeed, n)
		ids := make([]string, n)
		for i := range seeds {
			ids[i] = fmt.Sprintf("ACME-%04d", i)
			seeds[i] = icemu.CompanySeed{CompanyID: ids[i], Name: fmt.Sprintf("Acme %d", i), CreatedAt: created}
		}
		if _, err := b.ic.BulkLoadCompanies(seeds); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	for _, tc := range []struct {
		name    string
		arrange func(t *testing.T, b *bundle)
		code    string
		message string
		fix     string
	}{
		{"companies disabled in the workspace", func(t *testing.T, b *bundle) { b.ic.SetCompaniesEnabled(false) },
			app.AccountCompaniesDisabled, "Companies are switched off in the Intercom workspace", "Settings > Workspace > General"},
		{"no companies", func(t *testing.T, b *bundle) {},
			app.AccountNoCompanies, "The Intercom workspace has no companies", "setting company_id"},
		{"no company changes", func(t *testing.T, b *bundle) { companies(t, b, 3, old) },
			app.AccountNoCompanyChanges, "No Intercom company was created or updated in the last 30 days (latest: " + old.UTC().Format("2006-01-02"), "Create or update companies in Intercom"},
		{"no company changes among more than a thousand", func(t *testing.T, b *bundle) {
			// Listed newest first, the old ones come first: 1,200 are read.
			companies(t, b, 1200, old)
		}, app.AccountNoCompanyChanges, "No Intercom company was created or updated in the last 30 days", "Create or update companies in Intercom"},
		{"no Account changes", func(t *testing.T, b *bundle) {
			companies(t, b, 3, time.Time{})
			if _, err := b.sf.LoadRecords("Account", []map[string]any{{"Name": "Old", "SystemModstamp": old, "CreatedDate": old}}); err != nil {
				t.Fatal(err)
			}
		}, app.AccountNoAccountChanges, "No Salesforce Account was created or updated in the last 30 days", "Create or update Accounts in Salesforce"},
		{"account sync off", func(t *testing.T, b *bundle) {
			companies(t, b, 3, time.Time{})
			if _, err := b.sf.LoadRecords("Account", []map[string]any{{"Name": "New", "AccountNumber": "ACME-0001"}}); err != nil {
				t.Fatal(err)
			}
		}, app.AccountSyncOff, "Account sync is off", "Choose AccountNumber (Account Number) in the settings (identity.company.salesforce): it matched 1 of 3 sampled companies."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := connected(t)
			tc.arrange(t, b)
			d := b.diagnose(t)
			p, ok := problem(d, tc.code)
			if !ok || d.OK {
				t.Fatalf("problems = %+v, want %s", d.Problems, tc.code)
			}
			if !strings.Contains(p.Message, tc.message) || !strings.Contains(p.Fix, tc.fix) {
				t.Fatalf("%s: message %q fix %q; want %q and %q", tc.code, p.Message, p.Fix, tc.message, tc.fix)
			}
		})
	}

	t.Run("a recent change past the first thousand companies is found", func(t *testing.T) {
		t.Parallel()
		b := connected(t)
		// Loaded first, the recent company is listed last, after 1,200
		// old ones.
		seeds := []icemu.CompanySeed{{CompanyID: "RECENT", Name: "Recent", CreatedAt: time.Now().Add(-5 * 24 * time.Hour)}}
		for i := range 1200 {
			seeds = append(seeds, icemu.CompanySeed{CompanyID: fmt.Sprintf("OLD-%04d", i), Name: "Old", CreatedAt: old})
		}
		if _, err := b.ic.BulkLoadCompanies(seeds); err != nil {
			t.Fatal(err)
		}
		d := b.diagnose(t)
		if p, ok := problem(d, app.AccountNoCompanyChanges); ok {
			t.Errorf("%s: %s", p.Code, p.Message)
		}
		if d.CompaniesRead != 1201 || d.CompaniesTotal != 1201 || d.LatestCompanyChange == nil || d.LatestCompanyChange.Before(time.Now().Add(-6*24*time.Hour)) {
			t.Errorf("read %d of %d, latest change %v; want all 1201 read and the recent company's time", d.CompaniesRead, d.CompaniesTotal, d.LatestCompanyChange)
		}
	})

	t.Run("configured but no identity mappings suggests the field", func(t *testing.T) {
		t.Parallel()
		b := connected(t)
		b.companySettings(t, "AccountNumber")
		for _, f := range []string{"Legacy_Key__c", "ERP_Code__c", "Region_Code__c"} {
			if err := b.sf.AddField(sfemu.FieldSpec{Object: "Account", Name: f, Type: "string"}); err != nil {
				t.Fatal(err)
			}
		}
		ids := companies(t, b, 200, time.Time{})
		// Of the 200 companies (all sampled), Site holds 120 company_ids,
		// ERP_Code__c 45, AccountNumber (the chosen field) none, and
		// BillingCity 3; the other fields hold look-alikes that differ.
		var accts []map[string]any
		for i := range 200 {
			a := map[string]any{"Name": "Acme " + ids[i], "AccountNumber": "AN-" + ids[i], "Legacy_Key__c": strings.ToLower(ids[i])}
			switch {
			case i < 120:
				a["Site"] = ids[i]
			case i < 165:
				a["ERP_Code__c"] = ids[i]
			case i < 168:
				a["BillingCity"] = ids[i]
			}
			accts = append(accts, a)
		}
		if _, err := b.sf.LoadRecords("Account", accts); err != nil {
			t.Fatal(err)
		}
		before := b.sf.APICalls()
		d := b.diagnose(t)
		p, ok := problem(d, app.AccountNoMappings)
		if !ok {
			t.Fatalf("problems = %+v, want no_identity_mappings", d.Problems)
		}
		s := d.Suggestion
		if s == nil || s.Field != "Site" || s.Matched != 120 || s.Sampled != 200 || len(s.Candidates) < 10 {
			t.Fatalf("suggestion = %+v, want Site 120 of 200 among at least 10 fields", s)
		}
		want := map[string]int{"Site": 120, "ERP_Code__c": 45, "BillingCity": 3, "AccountNumber": 0, "Legacy_Key__c": 0}
		for _, c := range s.Candidates {
			if n, ok := want[c.Field]; ok && n != c.Matched {
				t.Errorf("%s matched %d, want %d", c.Field, c.Matched, n)
			}
		}
		if !strings.Contains(p.Message, "Account.AccountNumber") || !strings.Contains(p.Fix, "Choose Site (Account Site)") || !strings.Contains(p.Fix, "120 of 200") {
			t.Fatalf("message %q fix %q", p.Message, p.Fix)
		}
		t.Logf("%d candidate fields, %d queries (%d Salesforce calls in all): %+v", len(s.Candidates), s.Queries, b.sf.APICalls()-before, s.Candidates)
	})
}
