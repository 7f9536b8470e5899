package salesforce_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/salesforce"
)

// TestFitInListsKeepsEveryQueryWithinTheURILimit: lookups by many long keys
// that need escaping (quotes, plus signs, non-ASCII) are split so that each
// query's URI fits Salesforce's 16,384-byte limit with room for the headers,
// every key is looked up exactly once, and a key that cannot fit alone is
// handed back instead of being sent (the emulator, like Salesforce, would
// refuse the whole query with 414).
func TestFitInListsKeepsEveryQueryWithinTheURILimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	var keys []string
	for i := range 400 {
		keys = append(keys, fmt.Sprintf("o'neil+%03d.%s@exämple.com", i, strings.Repeat("x", 60)))
	}
	huge := strings.Repeat("y", 20000) + "@example.com"
	keys = append(keys, keys[0], huge) // a duplicate and one that fits no query
	build := func(list string) string {
		return "SELECT Id, Email FROM Lead WHERE Email IN " + list + " AND IsConverted = false"
	}

	groups, tooLong := b.client.FitInLists(keys, 300, build)
	if len(tooLong) != 1 || tooLong[0] != huge {
		t.Fatalf("tooLong = %d values, want only the 20 KB key", len(tooLong))
	}
	seen := map[string]int{}
	for _, g := range groups {
		list, err := salesforce.InList(g)
		if err != nil {
			t.Fatal(err)
		}
		q := build(list)
		if n := b.client.QueryURIBytes(q); n > b.client.MaxQueryURIBytes() {
			t.Errorf("a %d-key query's URI is %d bytes, over %d", len(g), n, b.client.MaxQueryURIBytes())
		}
		for _, err := range b.client.Query(ctx, q) {
			if err != nil {
				t.Fatalf("query of %d keys: %v", len(g), err)
			}
		}
		for _, k := range g {
			seen[k]++
		}
	}
	if len(groups) < 2 {
		t.Errorf("%d queries for 400 long keys; one URI cannot hold them", len(groups))
	}
	for _, k := range keys[:400] {
		if seen[k] != 1 {
			t.Errorf("key %q looked up %d times, want once", k, seen[k])
		}
	}
	t.Logf("400 keys of ~90 bytes: %d queries, 1 key handed back", len(groups))
}
