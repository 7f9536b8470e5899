package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// Sizes of the admin pages benchmark (issue 13): a large connection.
const (
	benchMappings   = 200_000
	benchSyncErrors = 10_000
	benchHistory    = 50_000
)

// seedLarge fills the default connection with benchMappings mappings,
// benchSyncErrors open sync errors and benchHistory history entries from
// today, 40 of them on the record the history page looks up.
func seedLarge(tb testing.TB, st store.Store, connID int64) {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	const chunk = 10_000
	seedMappings(tb, st, connID, benchMappings)
	codes := []string{"INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "STRING_TOO_LONG", "FIELD_CUSTOM_VALIDATION_EXCEPTION", "VALUE_NOT_CONVERTIBLE"}
	for start := 0; start < benchSyncErrors; start += chunk {
		err := st.InTx(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+chunk, benchSyncErrors); i++ {
				_, err := tx.UpsertSyncError(ctx, store.SyncError{ConnectionID: connID, Object: "Contact", RecordID: fmt.Sprintf("ic%07d", i*7),
					Operation: "update_salesforce", Code: codes[i%len(codes)], Message: "refused", Details: `{"a":1}`, RequestBody: `{"records":[]}`})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	var entries []store.HistoryEntry
	for i := range benchHistory {
		rec := fmt.Sprintf("ic%07d", i%benchMappings)
		if i%1250 == 0 {
			rec = "ic0000042" // 40 entries on the record looked up
		}
		origin := store.OriginIntercom
		if i%3 == 0 {
			origin = store.OriginSalesforce
		}
		entries = append(entries, store.HistoryEntry{ConnectionID: connID, Object: "user", IntercomID: rec, SalesforceID: "003x",
			Origin: origin, Rule: "person updated", Changes: `{"salesforce":{"Phone":"+1 555"}}`, Outcome: "ok", CreatedAt: now})
	}
	for part := range slices.Chunk(entries, chunk) {
		if err := st.InTx(ctx, func(tx store.Tx) error { return tx.AppendHistoryBatch(ctx, part) }); err != nil {
			tb.Fatal(err)
		}
	}
}

// seedMappings gives the connection n mappings, one in ten of a company
// and the others of people (ic0000000 ↔ 003000000000000000, …).
func seedMappings(tb testing.TB, st store.Store, connID int64, n int) {
	tb.Helper()
	ctx := context.Background()
	const chunk = 10_000
	for start := 0; start < n; start += chunk {
		err := st.InTx(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+chunk, n); i++ {
				kind, obj, role := store.MappingPerson, store.ObjectContact, store.RoleUser
				if i%10 == 0 {
					kind, obj, role = store.MappingCompany, store.ObjectAccount, ""
				}
				_, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: connID, Kind: kind, IntercomID: fmt.Sprintf("ic%07d", i),
					IntercomRole: role, SFObject: obj, SFID: fmt.Sprintf("003%015d", i), MatchKey: fmt.Sprintf("person%d@example.com", i)})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkUIPages measures the server time of the overview, sync errors
// and record history pages of a connection with 200,000 mappings, 10,000
// open sync errors and 50,000 history entries today, on SQLite: the
// handler alone, without the network. It reports the p50 and p99 of the
// iterations' wall time (target p99 under 100 ms) and the CPU time per
// request.
func BenchmarkUIPages(b *testing.B) {
	bb := setup(b)
	seedLarge(b, bb.store, bb.connID)
	h := bb.srv.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/signin/link?token="+adminToken, nil))
	cookie := strings.Split(rec.Header().Get("Set-Cookie"), ";")[0]
	for _, page := range []struct{ name, path, want string }{
		{"overview", "/", "Synced today"},
		{"errors", "/errors", "10000 open error(s)"},
		{"errors-filtered-page-100", "/errors?code=STRING_TOO_LONG&offset=2450", "2500 open error(s)"},
		{"history-by-email", "/history?q=person42@example.com", "Record ic0000042"},
	} {
		b.Run(page.name, func(b *testing.B) {
			var took []time.Duration
			cpu0 := processCPU(b)
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, page.path, nil)
				req.Header.Set("Cookie", cookie)
				rec := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(rec, req)
				took = append(took, time.Since(start))
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), page.want) {
					b.Fatalf("GET %s: %d, want 200 with %q", page.path, rec.Code, page.want)
				}
			}
			// CPU time per request says what the page costs even when the
			// machine is shared and wall-clock times stretch.
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/1000/float64(len(took)), "cpu-ms/op")
			reportLatencies(b, took)
		})
	}
}

// reportLatencies reports the p50 and p99 of took in milliseconds.
func reportLatencies(b *testing.B, took []time.Duration) {
	b.Helper()
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	q := func(p float64) float64 {
		return float64(took[min(len(took)-1, int(float64(len(took))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}
