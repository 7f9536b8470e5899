package engine_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// TestOneBadRecordNeverStopsTheDrain (issue 8 item 1): an Intercom contact
// whose email is 20 KB cannot be looked up (no Salesforce query URL can
// hold it). It becomes that contact's sync error, its key is never sent,
// and 20 unrelated changes waiting behind it land, their events marked
// processed. Before, the lookup's 414 released the whole batch and every
// round claimed the same oldest events again: 0 of 20 landed. Runs through
// River's workers, as the daemon does.
func TestOneBadRecordNeverStopsTheDrain(t *testing.T) {
	t.Parallel()

	for _, db := range storetest.Engines() {
		t.Run("KeyTooLongForAnyQuery/"+string(db.Engine), func(t *testing.T) {
			t.Parallel()
			testKeyTooLong(t, &db)
		})
	}

	// A proxy in front of Salesforce with a lower URI limit (8 KB) would
	// refuse a query URL ferry sized for Salesforce's own. Lookups of
	// people travel in a Composite call's body, so the proxy's limit never
	// applies: the 10 KB key is looked up like any other, no record gets a
	// sync error, and nothing is refused on the way.
	t.Run("ShorterURILimitOnTheWay", func(t *testing.T) {
		t.Parallel()
		var refusedURIs atomic.Int64
		b := setup(t, setupOpts{workers: true, sfFront: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if len(r.RequestURI) > 8192 {
					refusedURIs.Add(1)
					w.Header().Set("Content-Type", "text/html;charset=iso-8859-1")
					w.WriteHeader(http.StatusRequestURITooLong)
					_, _ = w.Write([]byte("<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>"))
					return
				}
				next.ServeHTTP(w, r)
			})
		}})
		leads, ids := mapPairs(t, b, 20)
		b.newContact(map[string]any{"email": strings.Repeat("x", 10000-len("@example.com")) + "@example.com"})
		for i, id := range ids {
			b.updateContact(id, map[string]any{"phone": fmt.Sprintf("+1 555 01%02d", i)})
		}
		eventually(t, "the 20 changes to land and every event to be processed", func() bool {
			for i, lead := range leads {
				if b.sfField("Lead", lead, "Phone") != fmt.Sprintf("+1 555 01%02d", i) {
					return false
				}
			}
			pending, err := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 100)
			return err == nil && len(pending) == 0
		})
		if errs := b.openErrors(); len(errs) != 0 {
			t.Errorf("sync errors = %+v; want none", errs)
		}
		if n := refusedURIs.Load(); n != 0 {
			t.Errorf("the proxy refused %d request URIs; lookups must travel in the request body", n)
		}
	})
}

// testKeyTooLong: the 20 KB key is never sent; its record gets the sync
// error.
func testKeyTooLong(t *testing.T, db *storetest.Engine) {
	var long atomic.Int64
	b := setup(t, setupOpts{workers: true, db: db, sfFront: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(r.RequestURI) > 16384 {
				long.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}})
	bad := testBadRecord(t, b, "KEY_TOO_LONG")
	if n := long.Load(); n != 0 {
		t.Errorf("%d requests over Salesforce's 16,384-byte URI limit were sent; a key that fits no query is never sent", n)
	}
	// Once the email is fixed the contact matches and its error resolves.
	lead := b.newRecord("Lead", map[string]any{"Email": "fixed@example.com"})
	b.updateContact(bad, map[string]any{"email": "fixed@example.com"})
	eventually(t, "the fixed contact to match and its error to resolve", func() bool {
		m, ok := b.mapping(bad)
		return ok && m.SFID == lead && len(b.openErrors()) == 0
	})
}

// mapPairs makes n Leads and n Intercom contacts with the same emails and
// waits until ferry has mapped them; it returns the Leads and contacts.
func mapPairs(t *testing.T, b *bundle, n int) (leads, ids []string) {
	t.Helper()
	leads, ids = make([]string, n), make([]string, n)
	for i := range n {
		email := fmt.Sprintf("person%02d@example.com", i)
		leads[i] = b.newRecord("Lead", map[string]any{"Email": email})
		ids[i] = b.newContact(map[string]any{"email": email})
	}
	eventually(t, fmt.Sprintf("%d mappings", n), func() bool {
		for _, id := range ids {
			if _, ok := b.mapping(id); !ok {
				return false
			}
		}
		return true
	})
	return leads, ids
}

// testBadRecord maps 20 contacts, creates one whose email is 20 KB long,
// changes the 20 and checks that all 20 changes land and that the bad
// contact has one sync error with code. It returns the bad contact's id.
func testBadRecord(t *testing.T, b *bundle, code string) string {
	t.Helper()
	const n, size = 20, 20000
	leads, ids := mapPairs(t, b, n)

	bad := b.newContact(map[string]any{"email": strings.Repeat("x", size-len("@example.com")) + "@example.com"})
	start := time.Now()
	for i, id := range ids {
		b.updateContact(id, map[string]any{"phone": fmt.Sprintf("+1 555 01%02d", i)})
	}
	landed := func() int {
		got := 0
		for i, lead := range leads {
			if b.sfField("Lead", lead, "Phone") == fmt.Sprintf("+1 555 01%02d", i) {
				got++
			}
		}
		return got
	}
	deadline := time.Now().Add(30 * time.Second)
	for landed() < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := landed(); got != n {
		t.Fatalf("%d of %d unrelated changes landed in 30 s; one bad record must not stop the others", got, n)
	}
	took := time.Since(start)
	eventually(t, "every event processed", func() bool {
		pending, err := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 100)
		return err == nil && len(pending) == 0
	})

	errs := b.openErrors()
	if len(errs) != 1 || errs[0].RecordID != bad || errs[0].Code != code || errs[0].JobID == nil {
		t.Fatalf("sync errors = %+v; want one for %s with code %s and a retry job", errs, bad, code)
	}
	if se := errs[0]; !strings.Contains(se.Message, "URI Too Long") && !strings.Contains(se.Message, "16,384") {
		t.Errorf("sync error message %q does not say why", se.Message)
	}
	h, err := b.store.ListHistory(b.ctx, b.connID, bad, store.Page{})
	if err != nil || len(h) == 0 || h[0].Outcome != "error" {
		t.Errorf("history of the bad contact = %+v, %v; want its error", h, err)
	}
	t.Logf("%d/%d unrelated changes landed, %d sync error (%s), in %s", landed(), n, len(errs), errs[0].Code, took.Round(time.Millisecond))
	return bad
}
