package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store"
)

// TestReviewOfASalesforceRecord: a Salesforce Lead whose email several
// Intercom people share is listed for the admin (F2.2), by the API and on
// the review page, with the Intercom people to pick from; the pick is an
// Intercom person, and it asks the engine to map the pair.
func TestReviewOfASalesforceRecord(t *testing.T) {
	t.Parallel()
	const form = "application/x-www-form-urlencoded"
	b := setup(t)
	ctx := t.Context()
	add := func(sfID string) store.MatchReview {
		var r store.MatchReview
		err := b.store.InTx(ctx, func(tx store.Tx) error {
			var err error
			r, err = tx.AddMatchReview(ctx, store.MatchReview{ConnectionID: b.connID, SFObject: "Lead", SFID: sfID,
				Reason:     "multiple matches: no Intercom user and 2 leads have email shared@example.com (ic-ann, ic-bob)",
				Candidates: `[{"role":"lead","id":"ic-ann","email":"shared@example.com"},{"role":"lead","id":"ic-bob","email":"shared@example.com"}]`})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	maps := func() int { return b.jobsOfKind(t, jobs.MapRecordArgs{}.Kind()) }

	t.Run("api", func(t *testing.T) {
		review := add("00Q000000000001AAA")
		var listed map[string]any
		for _, r := range b.admin(t, http.MethodGet, "/api/v1/reviews", "").json(t)["reviews"].([]any) {
			if r := r.(map[string]any); r["id"] == float64(review.ID) {
				listed = r
			}
		}
		if listed == nil || listed["salesforce_id"] != "00Q000000000001AAA" || listed["salesforce_object"] != "Lead" ||
			listed["candidates_in"] != "intercom" || len(listed["candidates"].([]any)) != 2 {
			t.Fatalf("listed = %v", listed)
		}
		path := "/api/v1/reviews/" + itoa(review.ID) + "/resolve"
		for _, body := range []string{`{"salesforce_id":"00Q000000000001AAA"}`, `{"intercom_id":"ic-eve"}`, `{"intercom_id":"ic-ann","skip":true}`} {
			if res := b.admin(t, http.MethodPost, path, body); res.status != http.StatusBadRequest {
				t.Errorf("resolve %s: %d %s, want 400", body, res.status, res.body)
			}
		}
		before := maps()
		res := b.admin(t, http.MethodPost, path, `{"intercom_id":"ic-bob"}`)
		if res.status != http.StatusOK || res.json(t)["resolution"] != "ic-bob" {
			t.Fatalf("resolve: %d %s", res.status, res.body)
		}
		if got := maps() - before; got != 1 {
			t.Errorf("%d map jobs enqueued, want 1", got)
		}
	})

	// The Lead was paired another way after the review was listed (here
	// directly in the store, as any path that maps it): a pick is refused
	// with a clear message, closes the review and maps nothing (F2.2).
	t.Run("stale", func(t *testing.T) {
		review := add("00Q000000000003AAA")
		if err := b.store.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: b.connID, Kind: store.MappingPerson, IntercomID: "ic-zed",
				IntercomRole: store.RoleLead, SFObject: store.ObjectLead, SFID: "00Q000000000003AAA", MatchKey: "email:zed@example.com"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		before := maps()
		path := "/api/v1/reviews/" + itoa(review.ID) + "/resolve"
		res := b.admin(t, http.MethodPost, path, `{"intercom_id":"ic-ann"}`)
		if res.status != http.StatusConflict || !strings.Contains(string(res.body), "out of date") ||
			!strings.Contains(string(res.body), "ic-zed") {
			t.Fatalf("resolve a stale review: %d %s, want 409 naming the pairing", res.status, res.body)
		}
		if got := maps() - before; got != 0 {
			t.Errorf("%d map jobs enqueued by a stale pick, want 0", got)
		}
		for _, r := range b.admin(t, http.MethodGet, "/api/v1/reviews", "").json(t)["reviews"].([]any) {
			if r.(map[string]any)["id"] == float64(review.ID) {
				t.Errorf("the stale review is still listed: %v", r)
			}
		}
		if res := b.admin(t, http.MethodPost, path, `{"intercom_id":"ic-ann"}`); res.status != http.StatusConflict {
			t.Errorf("picking again: %d %s, want 409", res.status, res.body)
		}
	})

	t.Run("page", func(t *testing.T) {
		review := add("00Q000000000002AAA")
		cookie := b.signInForm(t)
		page := b.do(t, http.MethodGet, "/reviews", "", "", "Cookie", cookie)
		body := string(page.body)
		for _, want := range []string{"Salesforce Lead 00Q000000000002AAA", "Intercom person", `name="intercom_id" value="ic-ann"`,
			`name="intercom_id" value="ic-bob"`, "shared@example.com", "Intercom lead"} {
			if !strings.Contains(body, want) {
				t.Errorf("review page lacks %q", want)
			}
		}
		m := csrfField.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("the review page has no CSRF field")
		}
		before := maps()
		v := url.Values{"csrf": {m[1]}, "intercom_id": {"ic-ann"}}
		res := b.do(t, http.MethodPost, "/reviews/"+itoa(review.ID)+"/resolve", "", v.Encode(),
			"Content-Type", form, "Cookie", cookie, "Origin", b.url)
		u, _ := url.Parse(res.header.Get("Location"))
		if res.status != http.StatusSeeOther || !strings.Contains(u.Query().Get("done"), "Paired with Intercom ic-ann") {
			t.Fatalf("resolve: %d to %s", res.status, res.header.Get("Location"))
		}
		if got := maps() - before; got != 1 {
			t.Errorf("%d map jobs enqueued, want 1", got)
		}
	})
}
