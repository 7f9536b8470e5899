package engine_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ferrysync/ferry/internal/store"
)

// TestSalesforceChangeRacingAWriteIsNeverOverwritten (F3.5, issue 15): a
// Lead's Phone, mapped both ways, changes in Intercom; a Salesforce user
// changes it too after that, while ferry is on its way: after ferry read
// the Intercom change, just before its write reaches Salesforce. The
// Salesforce change is the later one: it is never overwritten, and it
// reaches Intercom.
func TestSalesforceChangeRacingAWriteIsNeverOverwritten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// race reports whether a request to Salesforce is the moment to
		// make the Salesforce change.
		race func(r *http.Request) bool
	}{
		{"just before ferry's first call to Salesforce", func(r *http.Request) bool { return true }},
		{"just before ferry's write reaches Salesforce", func(r *http.Request) bool {
			return r.Method == http.MethodPatch || r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/composite")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var armed atomic.Bool
			var raced atomic.Int32
			var b *bundle
			var lead string
			b = setup(t, setupOpts{sfFront: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.Contains(r.URL.Path, "/services/data/") && tt.race(r) && armed.CompareAndSwap(true, false) {
						// A person edits the Lead in Salesforce's UI now.
						if err := b.sf.UpdateRecord("Lead", lead, map[string]any{"Phone": "changed in Salesforce"}); err != nil {
							t.Error(err)
						}
						raced.Add(1)
					}
					next.ServeHTTP(w, r)
				})
			}})
			lead = b.newRecord("Lead", map[string]any{"Email": "race@example.com", "Phone": "1"})
			id := b.newContact(map[string]any{"email": "race@example.com"})
			b.drain()
			if _, ok := b.mapping(id); !ok {
				t.Fatal("no mapping")
			}
			b.updateContact(id, map[string]any{"phone": "changed in Intercom"})
			armed.Store(true)
			b.drain()
			if raced.Load() != 1 {
				t.Fatalf("the Salesforce change was made %d times, want once", raced.Load())
			}
			if got := b.sfField("Lead", lead, "Phone"); got != "changed in Salesforce" {
				t.Errorf("Lead.Phone = %v: the later Salesforce change was overwritten", got)
			}
			if got := b.icContact(id).Phone; got != "changed in Salesforce" {
				t.Errorf("Intercom phone = %v, want the later Salesforce change", got)
			}
			h, err := b.store.ListHistory(b.ctx, b.connID, id, store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(h) == 0 || !strings.Contains(h[0].Changes, `"intercom":{"phone":"changed in Salesforce"}`) {
				t.Errorf("newest history entry = %+v, want the Salesforce change written to Intercom", h[0])
			}
			if errs := b.openErrors(); len(errs) != 0 {
				t.Errorf("sync errors: %+v", errs)
			}
		})
	}
}

// TestOneChangeOneCall (issue 15): one Intercom change to a mapped person
// costs one Salesforce call, whether its field flows to Salesforce only
// (written blind: Salesforce's value never comes back) or both ways
// (written on condition that Salesforce has not changed the record since
// the Intercom change).
func TestOneChangeOneCall(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"to_salesforce", "both"} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{settings: `{"mappings": [
				{"object": "lead", "intercom": "phone", "salesforce": "Phone", "direction": "` + dir + `"}]}`})
			lead := b.newRecord("Lead", map[string]any{"Email": "one@example.com", "Phone": "1"})
			id := b.newContact(map[string]any{"email": "one@example.com"})
			b.drain()
			for i, phone := range []string{"+1 555 0101", "+1 555 0102"} {
				before := b.usage("background")
				b.updateContact(id, map[string]any{"phone": phone})
				b.drain()
				if got := b.sfField("Lead", lead, "Phone"); got != phone {
					t.Fatalf("change %d: Lead.Phone = %v, want %s", i, got, phone)
				}
				if calls := b.usage("background") - before; calls != 1 {
					t.Errorf("change %d: %d Salesforce calls, want 1", i, calls)
				}
			}
		})
	}
}
