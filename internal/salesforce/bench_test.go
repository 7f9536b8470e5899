package salesforce_test

import (
	"context"
	"fmt"
	"testing"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
)

// BenchmarkCollections measures client throughput through
// composite/sobjects against the emulator over loopback HTTP, in records
// per second. Each operation writes 2,000 records (10 calls of 200).
func BenchmarkCollections(b *testing.B) {
	const batch = 2000
	ctx := context.Background()

	b.Run("Create", func(b *testing.B) {
		tb := setupWith(b, sfemu.Options{APIDailyLimit: 1 << 30})
		recs := leads(batch, "Bench")
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			res, err := tb.client.CreateMany(ctx, "Lead", recs, false)
			if err != nil || len(res) != batch || !res[batch-1].Success {
				b.Fatalf("CreateMany: %d results, %v", len(res), err)
			}
		}
		b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "records/s")
	})

	b.Run("Update", func(b *testing.B) {
		tb := setupWith(b, sfemu.Options{APIDailyLimit: 1 << 30})
		res, err := tb.client.CreateMany(ctx, "Lead", leads(batch, "Bench"), false)
		if err != nil {
			b.Fatal(err)
		}
		updates := make([]map[string]any, batch)
		b.ReportAllocs()
		b.ResetTimer()
		n := 0
		for b.Loop() {
			n++
			for i, r := range res {
				updates[i] = map[string]any{"Id": r.ID, "Title": fmt.Sprintf("Round %d", n)}
			}
			got, err := tb.client.UpdateMany(ctx, "Lead", updates, false)
			if err != nil || len(got) != batch || !got[batch-1].Success {
				b.Fatalf("UpdateMany: %d results, %v", len(got), err)
			}
		}
		b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkQuery measures reading 10,000 records through the query
// iterator (5 pages of 2,000).
func BenchmarkQuery(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	tb := setupWith(b, sfemu.Options{APIDailyLimit: 1 << 30})
	recs := make([]map[string]any, n)
	for i := range recs {
		recs[i] = newLead(fmt.Sprintf("Query%05d", i))
	}
	if _, err := tb.emu.LoadRecords("Lead", recs); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		got := 0
		for _, err := range tb.client.Query(ctx, "SELECT Id, LastName, Email, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id") {
			if err != nil {
				b.Fatal(err)
			}
			got++
		}
		if got != n {
			b.Fatalf("got %d records, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
