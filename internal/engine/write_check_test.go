package engine_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/store"
)

// TestSalesforceChangeRacingAWriteIsNeverOverwritten (F3.5, issue 15): a
// Lead's Phone, mapped both ways, changes in Intercom; a Salesforce user
// changes it too after that, while ferry is on its way: after ferry read
// the Intercom change, just before its write reaches Salesforce. The
// Salesforce change is the later one: it is never overwritten, and it
// reaches Intercom. So too when the change is one of a batch of 300, more
// than one Composite call carries: the other 299 are written.
func TestSalesforceChangeRacingAWriteIsNeverOverwritten(t *testing.T) {
	t.Parallel()
	// isWrite: the request updates records (a PATCH, or a Composite or
	// Composite Graph call with PATCH subrequests), not only reads them
	// (a retrieve or a batch of queries is a POST too).
	isWrite := func(r *http.Request) bool {
		if r.Method == http.MethodPatch {
			return true
		}
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/composite") && !strings.HasSuffix(r.URL.Path, "/composite/graph") {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		return bytes.Contains(body, []byte(`"method":"PATCH"`))
	}
	tests := []struct {
		name string
		// race reports whether a request to Salesforce is the moment to
		// make the Salesforce change.
		race func(r *http.Request) bool
		// batch is how many people change in Intercom at once; the race
		// is on one of them.
		batch int
	}{
		{"just before ferry's first call to Salesforce", func(r *http.Request) bool { return true }, 1},
		{"just before ferry's write reaches Salesforce", isWrite, 1},
		{"in a batch of 300, just before ferry's first call to Salesforce", func(r *http.Request) bool { return true }, 300},
		{"in a batch of 300, just before ferry's write reaches Salesforce", isWrite, 300},
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
			ids, leads := b.racePairs(tt.batch)
			id := ids[len(ids)/2]
			lead = leads[len(ids)/2]
			// Intercom records changes to the second: the Salesforce
			// change comes seconds after these, so it is the later one.
			b.clock.Advance(2 * time.Second)
			mark := b.lastEventID()
			phone := func(i int) string { return fmt.Sprintf("changed in Intercom %03d", i) }
			for i, c := range ids {
				if err := b.ic.MessengerUpdateContact(c, map[string]any{"phone": phone(i)}); err != nil {
					t.Fatal(err)
				}
			}
			for i, c := range ids {
				b.waitEvent(mark, c, "updated", phone(i))
			}
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
			overwritten := 0
			for i, c := range ids {
				if got := b.sfField("Lead", leads[i], "Phone"); c != id && got != phone(i) {
					overwritten++
					t.Logf("Lead %d Phone = %v, want its Intercom change", i, got)
				}
			}
			if overwritten > 0 {
				t.Errorf("%d of the other Leads did not get their Intercom change", overwritten)
			}
			h, err := b.store.ListHistory(b.ctx, b.connID, id, store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(h) == 0 || !strings.Contains(h[0].Changes, `"intercom":{`) || !strings.Contains(h[0].Changes, `"phone":"changed in Salesforce"`) {
				t.Errorf("newest history entry = %+v, want the Salesforce change written to Intercom", h[0])
			}
			if errs := b.openErrors(); len(errs) != 0 {
				t.Errorf("%d sync errors, the first: %+v", len(errs), errs[0])
			}
		})
	}
}

// racePairs makes n Intercom contacts with a Lead each, mapped and synced
// (their phones agree), and returns their ids.
func (b *bundle) racePairs(n int) (ids, leads []string) {
	b.t.Helper()
	if n == 1 {
		lead := b.newRecord("Lead", map[string]any{"Email": "race@example.com", "Phone": "1"})
		id := b.newContact(map[string]any{"email": "race@example.com"})
		b.drain()
		if _, ok := b.mapping(id); !ok {
			b.t.Fatal("no mapping")
		}
		return []string{id}, []string{lead}
	}
	ids, leads = b.seedPairs(n, n)
	if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
		for i := range ids {
			if _, err := tx.UpsertMapping(b.ctx, store.Mapping{ConnectionID: b.connID, Kind: store.MappingPerson, IntercomID: ids[i],
				IntercomRole: store.RoleLead, SFObject: store.ObjectLead, SFID: leads[i], MatchKey: "test"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.t.Fatal(err)
	}
	return ids, leads
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

// TestWriteFindsTheRecordGone (F2.3, F2.4): an Intercom change to a person
// whose Lead was deleted or converted in Salesforce since the last poll.
// Written blind or on condition, the write's own error says so: a deleted
// Lead ends the mapping (only the mapping), a converted one waits for the
// poll to move the mapping to its Contact; neither is a sync error.
func TestWriteFindsTheRecordGone(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"to_salesforce", "both"} {
		for _, gone := range []string{"deleted", "converted"} {
			t.Run(dir+"/"+gone, func(t *testing.T) {
				t.Parallel()
				b := setup(t, setupOpts{settings: `{"mappings": [
					{"object": "lead", "intercom": "phone", "salesforce": "Phone", "direction": "` + dir + `"}]}`})
				lead := b.newRecord("Lead", map[string]any{"Email": gone + "@example.com", "Phone": "1"})
				id := b.newContact(map[string]any{"email": gone + "@example.com"})
				b.drain()
				if _, ok := b.mapping(id); !ok {
					t.Fatal("no mapping")
				}
				b.updateContact(id, map[string]any{"phone": "+1 555 0303"})
				if gone == "deleted" {
					if err := b.sf.DeleteRecord("Lead", lead); err != nil {
						t.Fatal(err)
					}
				} else if _, err := b.sf.ConvertLead(sfemu.LeadConvert{LeadID: lead, DoNotCreateOpportunity: true}); err != nil {
					t.Fatal(err)
				}
				b.drain()
				m, ok := b.mapping(id)
				if gone == "deleted" && ok {
					t.Errorf("the mapping survived the Lead's delete: %+v", m)
				}
				if gone == "converted" && (!ok || m.SFID != lead) {
					t.Errorf("mapping = %+v, %v; want it on the Lead until the poll moves it", m, ok)
				}
				if errs := b.openErrors(); len(errs) != 0 {
					t.Errorf("sync errors: %+v", errs)
				}
				if _, err := b.icClient().GetContact(b.ctx, id); err != nil {
					t.Errorf("the Intercom contact is gone (%v)", err)
				}
				h, err := b.store.ListHistory(b.ctx, b.connID, id, store.Page{})
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]string{"deleted": "mapping_deleted", "converted": "deferred"}[gone]
				if len(h) == 0 || h[0].Outcome != want {
					t.Errorf("newest history entry = %+v, want outcome %s", h[0], want)
				}
			})
		}
	}
}
