package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/store"
)

// TestUIBackfill: the backfill page shows the plan before anything runs,
// asks to confirm a field over the mass-change brake, starts the backfill,
// shows its progress and cancels it.
func TestUIBackfill(t *testing.T) {
	t.Parallel()
	const form = "application/x-www-form-urlencoded"
	b := setup(t)
	b.connectSalesforce(t, b.connID)
	b.connectIntercomToken(t, b.connID)
	ctx := t.Context()
	if err := b.store.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.PutSettings(ctx, b.connID, []byte(`{"mappings": [
			{"object": "lead", "intercom": "phone", "salesforce": "Phone", "direction": "both"}]}`), 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	seeds := make([]icemu.ContactSeed, 4)
	recs := make([]map[string]any, 4)
	for i := range seeds {
		seeds[i] = icemu.ContactSeed{Role: "lead", Email: fmt.Sprintf("u%d@example.com", i), Phone: fmt.Sprintf("+1 555 %04d", i)}
		recs[i] = map[string]any{"Email": seeds[i].Email, "LastName": "L", "Company": "C", "Phone": "+44 0"}
	}
	ids, err := b.ic.BulkLoadContacts(seeds)
	if err != nil {
		t.Fatal(err)
	}
	leads, err := b.sf.LoadRecords("Lead", recs)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.store.InTx(ctx, func(tx store.Tx) error {
		for i := range ids {
			if _, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: b.connID, Kind: store.MappingPerson, IntercomID: ids[i],
				IntercomRole: store.RoleLead, SFObject: store.ObjectLead, SFID: leads[i], MatchKey: "test"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cookie := b.signInForm(t)
	get := func(path string) string {
		res := b.do(t, http.MethodGet, path, "", "", "Cookie", cookie)
		if res.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.status, res.body)
		}
		return string(res.body)
	}
	post := func(path string, v url.Values) response {
		m := csrfField.FindStringSubmatch(get("/backfill"))
		if m == nil {
			t.Fatal("the backfill page has no CSRF field")
		}
		v.Set("csrf", m[1])
		return b.do(t, http.MethodPost, path, "", v.Encode(), "Content-Type", form, "Cookie", cookie, "Origin", b.url)
	}
	flash := func(res response) string {
		u, _ := url.Parse(res.header.Get("Location"))
		return u.Query().Get("done") + u.Query().Get("failed")
	}

	page := get("/backfill?plan=1&object=Lead&direction=to_salesforce")
	for _, want := range []string{"<strong>4</strong> pairs", "<strong>4</strong> Salesforce", "4 of 4", "confirm</span>",
		"salesforce: &#43;44 0 → &#43;1 555 0000", "Start backfill", `name="confirm"`} {
		if !strings.Contains(page, want) {
			t.Errorf("plan page lacks %q", want)
		}
	}
	if rec, _ := b.sf.Record("Lead", leads[0]); rec["Phone"] != "+44 0" {
		t.Fatalf("showing the plan wrote %v", rec["Phone"])
	}
	res := post("/backfills", url.Values{"object": {"Lead"}, "direction": {"to_salesforce"}})
	if res.status != http.StatusSeeOther || !strings.Contains(flash(res), "more than 20% of the pairs for Phone") {
		t.Fatalf("start without confirming: %d %q", res.status, flash(res))
	}
	res = post("/backfills", url.Values{"object": {"Lead"}, "direction": {"to_salesforce"}, "confirm": {"Phone"}})
	if res.status != http.StatusSeeOther || !strings.Contains(flash(res), "started") {
		t.Fatalf("start: %d %q %s", res.status, flash(res), res.body)
	}
	loc := res.header.Get("Location")
	page = get(loc)
	if !strings.Contains(page, "0 of 4</strong> pairs done") || !strings.Contains(page, "Cancel backfill") {
		t.Fatalf("progress page: %s", page)
	}
	u, _ := url.Parse(loc)
	id := u.Query().Get("id")
	res = post("/backfills/"+id+"/cancel", url.Values{})
	if res.status != http.StatusSeeOther || !strings.Contains(flash(res), "canceled") {
		t.Fatalf("cancel: %d %q", res.status, flash(res))
	}
	if page = get("/backfill?id=" + id); !strings.Contains(page, ": canceled") || strings.Contains(page, "Cancel backfill") {
		t.Fatalf("canceled backfill page: %s", page)
	}
}
