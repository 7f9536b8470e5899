package sync

import (
	"fmt"
	"testing"
)

func BenchmarkToSalesforce(b *testing.B) {
	f := SFField{Object: "Lead", Name: "Status", Type: "picklist", Nillable: true, RestrictedPicklist: true,
		PicklistValues: []string{"Open", "Working", "Nurturing", "Qualified", "Unqualified"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ToSalesforce("qualified", "string", f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatchPerson(b *testing.B) {
	cands := []SFPerson{
		{Object: "Lead", ID: "00Q1", Key: "ann@example.com"},
		{Object: "Lead", ID: "00Q2", Key: "ann@example.com", IsConverted: true},
		{Object: "Contact", ID: "0031", Key: "Ann@Example.com"},
	}
	p := ICPerson{ID: "ic1", Role: "user", Email: "ann@example.com"}
	b.ReportAllocs()
	for b.Loop() {
		if m := MatchPerson(p, KeyEmail, cands); m.Outcome != Matched {
			b.Fatal(m.Reason)
		}
	}
}

// BenchmarkPlan200k plans one poll's worth of changes for 200,000 mapped
// records (five mappings each), as a backfill or a large poll would.
func BenchmarkPlan200k(b *testing.B) {
	const n = 200_000
	ms := planMappings()
	states := make([]RecordState, n)
	changes := make([][]RecordChange, n)
	for i := range n {
		states[i] = Plan(ms, RecordState{}, []RecordChange{ic(0, "phone", fmt.Sprint(i), "custom_attributes.seats", i)}).State()
		changes[i] = []RecordChange{sf(5, "Phone", fmt.Sprint(i+1), "NumberOfEmployees", float64(i), "Status", "Working", "Title", "CEO")}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		writes := 0
		for i := range n {
			p := Plan(ms, states[i], changes[i])
			writes += len(p.ToIntercom)
		}
		if writes != 2*n {
			b.Fatalf("planned %d Intercom writes, want %d", writes, 2*n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
}
