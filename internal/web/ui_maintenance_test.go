package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// TestUIMaintenance: the maintenance page over plain HTTP: the account
// sync diagnosis shows the suggested field and its button makes account
// sync use it; "Match again" starts matching and the page shows its
// progress; uninstall needs the connection's name and keeps or purges.
func TestUIMaintenance(t *testing.T) {
	t.Parallel()
	const form = "application/x-www-form-urlencoded"
	open := func(t *testing.T) (b *bundle, get func(path string) string, post func(path string, v url.Values) response) {
		b = setup(t)
		b.connectSalesforce(t, b.connID)
		b.connectIntercomToken(t, b.connID)
		cookie := b.signInForm(t)
		get = func(path string) string {
			res := b.do(t, http.MethodGet, path, "", "", "Cookie", cookie)
			if res.status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, res.status, res.body)
			}
			return string(res.body)
		}
		post = func(path string, v url.Values) response {
			m := csrfField.FindStringSubmatch(get("/maintenance"))
			if m == nil {
				t.Fatal("the maintenance page has no CSRF field")
			}
			v.Set("csrf", m[1])
			return b.do(t, http.MethodPost, path, "", v.Encode(), "Content-Type", form, "Cookie", cookie, "Origin", b.url)
		}
		return b, get, post
	}
	flash := func(res response) string {
		u, _ := url.Parse(res.header.Get("Location"))
		return u.Query().Get("done") + u.Query().Get("failed")
	}

	t.Run("diagnosis suggests a field and its button uses it", func(t *testing.T) {
		t.Parallel()
		b, get, post := open(t)
		seeds := make([]icemu.CompanySeed, 10)
		var accts []map[string]any
		for i := range seeds {
			seeds[i] = icemu.CompanySeed{CompanyID: fmt.Sprintf("CO-%d", i), Name: fmt.Sprintf("Co %d", i)}
			if i < 6 {
				accts = append(accts, map[string]any{"Name": fmt.Sprintf("Co %d", i), "Site": seeds[i].CompanyID})
			}
		}
		if _, err := b.ic.BulkLoadCompanies(seeds); err != nil {
			t.Fatal(err)
		}
		if _, err := b.sf.LoadRecords("Account", accts); err != nil {
			t.Fatal(err)
		}
		page := get("/maintenance?diagnose=1")
		for _, want := range []string{"Account sync is off", "Suggested field: <strong>Site</strong> (Account Site), which matched <strong>6 of 10</strong>",
			`<input type="hidden" name="field" value="Site">`, "Use Site for account sync"} {
			if !strings.Contains(page, want) {
				t.Errorf("diagnosis page lacks %q", want)
			}
		}
		res := post("/accounts/company-field", url.Values{"field": {"Site"}})
		if res.status != http.StatusSeeOther || !strings.Contains(flash(res), "Account sync now matches company_id with Account.Site") {
			t.Fatalf("use field: %d %q %s", res.status, flash(res), res.body)
		}
		st, err := b.store.GetSettings(t.Context(), b.connID)
		if err != nil {
			t.Fatal(err)
		}
		if doc, _ := settings.Parse(st.Doc); doc.Identity.Company.Salesforce != "Site" {
			t.Fatalf("saved company field = %q, want Site", doc.Identity.Company.Salesforce)
		}
	})

	t.Run("match again starts matching and shows its progress", func(t *testing.T) {
		t.Parallel()
		b, get, post := open(t)
		res := post("/resync", url.Values{})
		if res.status != http.StatusSeeOther || !strings.Contains(flash(res), "no settings yet") {
			t.Fatalf("resync without settings: %d %q", res.status, flash(res))
		}
		b.companySettings(t, "AccountNumber")
		res = post("/resync", url.Values{})
		if res.status != http.StatusSeeOther || !strings.Contains(flash(res), "Matching runs again") {
			t.Fatalf("resync: %d %q", res.status, flash(res))
		}
		page := get("/maintenance")
		if !strings.Contains(page, "<td>contacts</td><td>running") || !strings.Contains(page, "<td>companies</td><td>running") {
			t.Errorf("maintenance page does not show matching running:\n%s", page)
		}
		if !strings.Contains(get("/"), `action="/resync?connection=`) {
			t.Error("the overview has no Match again button")
		}
	})

	t.Run("uninstall needs the name and keeps or purges", func(t *testing.T) {
		t.Parallel()
		b, _, post := open(t)
		path := "/connections/" + itoa(b.connID) + "/uninstall?connection=" + itoa(b.connID)
		res := post(path, url.Values{"data": {"purge"}, "confirm": {"wrong"}})
		if !strings.Contains(flash(res), "Nothing was done: type the connection's name (default)") || b.connection(t, b.connID).State != store.StateConnected {
			t.Fatalf("unconfirmed uninstall: %q, state %s", flash(res), b.connection(t, b.connID).State)
		}
		res = post(path, url.Values{"data": {"keep"}, "confirm": {"default"}})
		if c := b.connection(t, b.connID); c.State != store.StateDisconnected || !strings.Contains(flash(res), "its data is kept") {
			t.Fatalf("uninstall keeping data: %q, state %s", flash(res), c.State)
		}
		res = post(path, url.Values{"data": {"purge"}, "confirm": {"default"}})
		if !strings.HasPrefix(res.header.Get("Location"), "/connect?") || !strings.Contains(flash(res), "all its data deleted") {
			t.Fatalf("purge: %d %q", res.status, res.header.Get("Location"))
		}
		if left, err := b.store.CountConnectionRows(t.Context(), b.connID); err != nil || len(left) != 0 {
			t.Fatalf("rows left after purge from the page: %v (%v)", left, err)
		}
	})
}
