package salesforce_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/salesforce"
)

// loadLeads inserts n leads straight into the emulator (no API calls).
func loadLeads(t *testing.T, b *testBundle, n int, prefix string) []string {
	t.Helper()
	recs := make([]map[string]any, n)
	for i := range recs {
		recs[i] = map[string]any{"LastName": fmt.Sprintf("%s%05d", prefix, i), "Company": "Acme", "Email": fmt.Sprintf("%s%05d@example.com", strings.ToLower(prefix), i)}
	}
	ids, err := b.emu.LoadRecords("Lead", recs)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestQuery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("FollowsNextRecordsURL", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ids := loadLeads(t, b, 2500, "Page")
		before := b.calls.len()
		seen := map[string]bool{}
		for rec, err := range b.client.Query(ctx, "SELECT Id, LastName FROM Lead ORDER BY SystemModstamp, Id") {
			if err != nil {
				t.Fatal(err)
			}
			if seen[rec.ID()] {
				t.Fatalf("record %s yielded twice", rec.ID())
			}
			seen[rec.ID()] = true
		}
		if len(seen) != len(ids) {
			t.Fatalf("got %d records, want %d", len(seen), len(ids))
		}
		for _, id := range ids {
			if !seen[id] {
				t.Fatalf("record %s missing", id)
			}
		}
		if pages := b.calls.len() - before; pages < 2 {
			t.Fatalf("%d calls for 2,500 records; paging was not exercised", pages)
		}
	})

	t.Run("StopsFetchingWhenConsumerStops", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		loadLeads(t, b, 2500, "Stop")
		before := b.calls.len()
		for _, err := range b.client.Query(ctx, "SELECT Id FROM Lead") {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if n := b.calls.len() - before; n != 1 {
			t.Fatalf("%d calls after reading one record, want 1", n)
		}
	})

	t.Run("QueryAllIncludesDeleted", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ids := loadLeads(t, b, 3, "Del")
		if err := b.client.Delete(ctx, "Lead", ids[1]); err != nil {
			t.Fatal(err)
		}
		count := func(seq func(func(salesforce.Record, error) bool)) (n int, deleted string) {
			for rec, err := range seq {
				if err != nil {
					t.Fatal(err)
				}
				n++
				if rec.Bool("IsDeleted") {
					deleted = rec.ID()
				}
			}
			return n, deleted
		}
		if n, _ := count(b.client.Query(ctx, "SELECT Id, IsDeleted FROM Lead")); n != 2 {
			t.Fatalf("Query saw %d records, want 2", n)
		}
		if n, del := count(b.client.QueryAll(ctx, "SELECT Id, IsDeleted FROM Lead")); n != 3 || del != ids[1] {
			t.Fatalf("QueryAll saw %d records, deleted %q; want 3 and %s", n, del, ids[1])
		}
	})

	t.Run("ParentPathsAndTypedDecode", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		id := mustCreate(t, b.client, "Lead", newLead("Parent"))
		type lead struct {
			ID       string `json:"Id"`
			LastName string
			Owner    struct{ Email string }
		}
		var got []lead
		for l, err := range salesforce.QueryAs[lead](ctx, b.client, "SELECT Id, LastName, Owner.Email FROM Lead WHERE Id = "+salesforce.QuoteSOQL(id)) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, l)
		}
		if len(got) != 1 || got[0].ID != id || got[0].Owner.Email != testUsername {
			t.Fatalf("typed records = %+v", got)
		}
		for rec, err := range b.client.Query(ctx, "SELECT Id, Owner.Email FROM Lead") {
			if err != nil {
				t.Fatal(err)
			}
			if rec.String("Owner.Email") != testUsername {
				t.Fatalf("Owner.Email = %q in %v", rec.String("Owner.Email"), rec)
			}
		}
	})

	t.Run("Count", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		loadLeads(t, b, 7, "Count")
		n, err := b.client.Count(ctx, "SELECT COUNT() FROM Lead WHERE Company = 'Acme'")
		if err != nil || n != 7 {
			t.Fatalf("Count = %d, %v; want 7", n, err)
		}
	})

	t.Run("ErrorStopsIteration", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		n := 0
		var last error
		for _, err := range b.client.Query(ctx, "SELECT FROM") {
			n++
			last = err
		}
		var apiErr *salesforce.APIError
		if n != 1 || !errors.As(last, &apiErr) {
			t.Fatalf("yielded %d times, last %v; want one *APIError", n, last)
		}
	})

	t.Run("PollBySystemModstamp", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		old := mustCreate(t, b.client, "Lead", newLead("Old"))
		rec, err := b.client.Get(ctx, "Lead", old, "SystemModstamp")
		if err != nil {
			t.Fatal(err)
		}
		cursor, _ := rec.Time("SystemModstamp")
		fresh := mustCreate(t, b.client, "Lead", newLead("Fresh"))
		q := "SELECT Id, SystemModstamp FROM Lead WHERE SystemModstamp >= " + salesforce.SOQLDateTime(cursor) + " ORDER BY SystemModstamp, Id"
		var got []string
		for rec, err := range b.client.Query(ctx, q) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, rec.ID())
		}
		// The cursor's own second is re-read; nothing after it is missed.
		if !contains(got, fresh) || !contains(got, old) {
			t.Fatalf("poll returned %v, want %s and %s", got, old, fresh)
		}
		future := salesforce.SOQLDateTime(time.Now().Add(time.Hour))
		n, err := b.client.Count(ctx, "SELECT COUNT() FROM Lead WHERE SystemModstamp >= "+future)
		if err != nil || n != 0 {
			t.Fatalf("future poll = %d, %v", n, err)
		}
	})
}

// TestQuoteSOQLAgainstEmulator stores hostile values and finds each one,
// and only it, with an equality on its quoted literal.
func TestQuoteSOQLAgainstEmulator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)

	values := []string{
		"O'Brien",
		`back\slash`,
		`trailing\`,
		`\'`,
		"x' OR LastName != '",
		`x\' OR LastName != \'`,
		"line\nbreak",
		"tab\there\r\n",
		`say "hi"`,
		"100%_match",
		"Zoë 日本 🙂",
		`\u0027`,
		"nul\x00byte",
	}
	ids := map[string]string{}
	for _, v := range values {
		ids[v] = mustCreate(t, b.client, "Lead", map[string]any{"LastName": v, "Company": "Escapes"})
	}
	for _, v := range values {
		t.Run(fmt.Sprintf("%q", v), func(t *testing.T) {
			t.Parallel()
			var got []string
			for rec, err := range b.client.Query(ctx, "SELECT Id, LastName FROM Lead WHERE LastName = "+salesforce.QuoteSOQL(v)) {
				if err != nil {
					t.Fatalf("query for %q: %v", v, err)
				}
				if rec.String("LastName") != v {
					t.Fatalf("matched LastName %q, want %q", rec.String("LastName"), v)
				}
				got = append(got, rec.ID())
			}
			if len(got) != 1 || got[0] != ids[v] {
				t.Fatalf("query for %q matched %v, want [%s]", v, got, ids[v])
			}
		})
	}

	t.Run("InList", func(t *testing.T) {
		t.Parallel()
		list, err := salesforce.InList(values[:6])
		if err != nil {
			t.Fatal(err)
		}
		n, err := b.client.Count(ctx, "SELECT COUNT() FROM Lead WHERE LastName IN "+list)
		if err != nil || n != 6 {
			t.Fatalf("IN list matched %d, %v; want 6", n, err)
		}
	})

	t.Run("Like", func(t *testing.T) {
		t.Parallel()
		n, err := b.client.Count(ctx, "SELECT COUNT() FROM Lead WHERE LastName LIKE '"+salesforce.EscapeSOQLLike("100%_")+"%'")
		if err != nil || n != 1 {
			t.Fatalf("LIKE matched %d, %v; want 1", n, err)
		}
	})
}

// TestPollReadsInOneComposite: a query and an object's deletes travel in
// one Composite call; the query's later pages are fetched as usual, and a
// refused subrequest comes back as its error.
func TestPollReadsInOneComposite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	c := b.client
	start := time.Now().Add(-time.Hour)
	ids := loadLeads(t, b, 2500, "Composite")
	gone := mustCreate(t, c, "Lead", newLead("Gone"))
	if err := c.Delete(ctx, "Lead", gone); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(time.Minute)
	del, err := c.DeletedSubrequest("deleted", "Lead", start, end)
	if err != nil {
		t.Fatal(err)
	}
	before := b.calls.len()
	got, err := c.Composite(ctx, false, []salesforce.Subrequest{
		c.QuerySubrequest("changes", "SELECT Id FROM Lead ORDER BY SystemModstamp, Id"),
		del,
		c.QuerySubrequest("bad", "SELECT Nope FROM Lead"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := b.calls.len() - before; n != 1 {
		t.Fatalf("%d calls for the composite, want 1", n)
	}
	seen := map[string]bool{}
	for rec, err := range c.QueryResult(ctx, got[0]) {
		if err != nil {
			t.Fatal(err)
		}
		seen[rec.ID()] = true
	}
	if len(seen) != len(ids) {
		t.Fatalf("got %d records, want %d", len(seen), len(ids))
	}
	if n := b.calls.len() - before; n != 2 {
		t.Fatalf("%d calls after reading 2,500 records, want 2 (the composite and one next page)", n)
	}
	res, err := salesforce.ParseDeleted(got[1])
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != 1 || res.Records[0].ID != gone {
		t.Fatalf("deleted = %+v, want %s", res, gone)
	}
	yielded := 0
	for _, err := range c.QueryResult(ctx, got[2]) {
		yielded++
		var ae *salesforce.APIError
		if !errors.As(err, &ae) || ae.Code != salesforce.CodeInvalidField {
			t.Fatalf("bad query's error = %v, want INVALID_FIELD", err)
		}
	}
	if yielded != 1 {
		t.Fatalf("bad query yielded %d times, want its error once", yielded)
	}
}

// TestDescribeFresh: several objects are described in one call; describes
// read within maxAge come from the cache; an object that does not exist is
// an error of its own, the others are described.
func TestDescribeFresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	c := b.client
	before := b.calls.len()
	ds, errs, err := c.DescribeFresh(ctx, []string{"Lead", "Contact", "Nope__c"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := b.calls.len() - before; n != 1 {
		t.Fatalf("%d calls for three describes, want 1", n)
	}
	if ds["Lead"] == nil || ds["Lead"].Name != "Lead" || ds["Contact"] == nil || len(ds["Contact"].Fields) == 0 {
		t.Fatalf("describes = %v, want Lead and Contact", ds)
	}
	if !errors.Is(errs["Nope__c"], salesforce.ErrNotFound) || len(errs) != 1 {
		t.Fatalf("errors = %v, want Nope__c not found only", errs)
	}
	before = b.calls.len()
	if ds, _, err := c.DescribeFresh(ctx, []string{"Lead", "Contact"}, time.Minute); err != nil || ds["Lead"] == nil || ds["Contact"] == nil {
		t.Fatalf("cached describes = %v, %v", ds, err)
	}
	if n := b.calls.len() - before; n != 0 {
		t.Fatalf("%d calls for describes read a moment ago, want 0", n)
	}
}
