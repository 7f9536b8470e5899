package soql

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

const benchRecords = 200_000

var bigSource = sync.OnceValue(func() *memSource {
	s := newMemSource()
	s.addObject("Lead", []string{"Id:id", "Email:email", "LastName:string", "IsConverted:boolean",
		"SystemModstamp:datetime", "Ext__c:string"}, nil, []string{"Id", "Email", "Ext__c"})
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range benchRecords {
		s.add("Lead", false, memRecord{
			"Id":             fmt.Sprintf("00Q%012dAAA", i),
			"Email":          fmt.Sprintf("user%d@example.com", i),
			"LastName":       fmt.Sprintf("Name %d", i%1000),
			"IsConverted":    i%10 == 0,
			"SystemModstamp": base.Add(time.Duration(i%50_000) * time.Minute).Format("2006-01-02T15:04:05.000+0000"),
			"Ext__c":         fmt.Sprintf("ext-%d", i),
		})
	}
	return s
})

func benchQuery(b *testing.B, query string, want int) {
	src := bigSource()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		q, err := Parse(query)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Execute(q, src, ExecOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Records) != want {
			b.Fatalf("got %d records, want %d", len(res.Records), want)
		}
	}
}

// BenchmarkLookupEmail is the sync's "find by email" on 200,000 leads.
func BenchmarkLookupEmail(b *testing.B) {
	benchQuery(b, "SELECT Id, Email FROM Lead WHERE Email = 'USER123457@example.com' AND IsConverted = false", 1)
}

// BenchmarkLookupIDs is an Id IN (…) of 100 ids on 200,000 leads.
func BenchmarkLookupIDs(b *testing.B) {
	ids := make([]string, 100)
	for i := range ids {
		ids[i] = fmt.Sprintf("'00Q%012d'", i*1000)
	}
	benchQuery(b, "SELECT Id, Email FROM Lead WHERE Id IN ("+strings.Join(ids, ",")+")", 100)
}

// BenchmarkLookupExternalIDs is an Ext__c IN (…) of 200 values.
func BenchmarkLookupExternalIDs(b *testing.B) {
	vals := make([]string, 200)
	for i := range vals {
		vals[i] = fmt.Sprintf("'ext-%d'", i*7)
	}
	benchQuery(b, "SELECT Id FROM Lead WHERE Ext__c IN ("+strings.Join(vals, ",")+") ORDER BY Id", 200)
}

// BenchmarkRangeOrderLimit is the sync's incremental poll: a full scan of
// 200,000 leads keeping the first 200 by SystemModstamp, Id.
func BenchmarkRangeOrderLimit(b *testing.B) {
	benchQuery(b, "SELECT Id, Email, SystemModstamp FROM Lead WHERE SystemModstamp > 2024-01-20T00:00:00Z AND IsConverted = false ORDER BY SystemModstamp, Id LIMIT 200", 200)
}

// BenchmarkParse is parsing alone.
func BenchmarkParse(b *testing.B) {
	const q = "SELECT Id, Email, Owner.Email, SystemModstamp FROM Lead WHERE SystemModstamp > 2024-01-01T00:00:00Z AND IsConverted = false AND Status IN ('Open', 'Working') ORDER BY SystemModstamp ASC, Id LIMIT 200"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(q); err != nil {
			b.Fatal(err)
		}
	}
}
