package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestUIBackfill: the backfill page shows the plan before anything runs,
// asks to confirm a field over the mass-change brake, starts the backfill,
// shows its progress and cancels it.
func TestUIBackfill(t *testing.T) {
	t.Parallel()
	const form = "application/x-www-form-urlencoded"
	b := setup(t)
	_, leads := b.phonePairs(t, 4, map[int]string{0: "+44 0", 1: "+44 0", 2: "+44 0", 3: "+44 0"})
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
