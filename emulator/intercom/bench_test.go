package intercom_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ferrysync/ferry/emulator/intercom"
)

const benchContacts = 200_000

var (
	benchOnce sync.Once
	benchURL  string
)

// benchServer is one emulator with 200,000 contacts shared by the
// benchmarks (loading takes a few seconds).
func benchServer(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		srv := intercom.New(intercom.Options{Tokens: []string{testToken}, RateLimit: 1 << 30})
		if err := srv.CustomAttribute("contact", "sf_id", "string"); err != nil {
			b.Fatal(err)
		}
		seeds := make([]intercom.ContactSeed, benchContacts)
		for i := range seeds {
			seeds[i] = intercom.ContactSeed{Email: fmt.Sprintf("person%d@company%d.example", i, i%997),
				Name: fmt.Sprintf("Person %d", i), CustomAttributes: map[string]any{"sf_id": fmt.Sprintf("003%012d", i)}}
			if i%4 == 0 {
				seeds[i].Role = "lead"
			}
		}
		if _, err := srv.BulkLoadContacts(seeds); err != nil {
			b.Fatal(err)
		}
		benchURL = httptest.NewServer(srv).URL // lives for the whole benchmark run
	})
	return benchURL
}

func benchSearch(b *testing.B, query func(i int) string) {
	url := benchServer(b)
	client := &http.Client{}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		req, _ := http.NewRequest("POST", url+"/contacts/search", bytes.NewBufferString(query(i)))
		req.Header.Set("Authorization", "Bearer "+testToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`"total_count":1`)) {
			b.Fatalf("status %d: %.200s", resp.StatusCode, body)
		}
	}
}

// BenchmarkSearchByEmail is POST /contacts/search email = X over HTTP on
// 200,000 contacts (served from the email index).
func BenchmarkSearchByEmail(b *testing.B) {
	benchSearch(b, func(i int) string {
		n := (i * 7919) % benchContacts
		return fmt.Sprintf(`{"query":{"field":"email","operator":"=","value":"Person%d@company%d.example"}}`, n, n%997)
	})
}

// BenchmarkSearchByCustomAttribute is custom_attributes.sf_id = X on
// 200,000 contacts (served from the custom attribute index).
func BenchmarkSearchByCustomAttribute(b *testing.B) {
	benchSearch(b, func(i int) string {
		n := (i * 7919) % benchContacts
		return fmt.Sprintf(`{"query":{"operator":"AND","value":[{"field":"custom_attributes.sf_id","operator":"=","value":"003%012d"},{"field":"role","operator":"!=","value":"visitor"}]}}`, n)
	})
}

// BenchmarkSearchScan is a query no index serves (contains on name), for
// comparison: a full scan of 200,000 contacts.
func BenchmarkSearchScan(b *testing.B) {
	benchSearch(b, func(i int) string {
		n := (i * 7919) % benchContacts
		return fmt.Sprintf(`{"query":{"field":"name","operator":"$","value":"Person %d"},"pagination":{"per_page":1}}`, n)
	})
}
