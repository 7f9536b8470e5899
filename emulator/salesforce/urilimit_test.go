package salesforce_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestRequestSizeLimit: like Salesforce, the emulator refuses a REST call
// whose URI is over 16,384 bytes with 414 URI Too Long, and one whose URI and
// headers together are over with 431, each with the front end's HTML body;
// neither reaches the API nor counts against the daily limit. Up to the
// limit the query runs.
func TestRequestSizeLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// queryOfURI returns a query path of exactly n bytes.
	queryOfURI := func(n int) string {
		prefix := v + "/query?q=" + url.QueryEscape("SELECT Id FROM Lead WHERE Email IN ('")
		suffix := url.QueryEscape("')")
		return prefix + strings.Repeat("a", n-len(prefix)-len(suffix)) + suffix
	}
	tests := []struct {
		name   string
		uri    int
		status int
		body   string
	}{
		{"URIOverLimit", 16385, http.StatusRequestURITooLong, "<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>"},
		{"URIAtLimitButHeadersPushOver", 16384, http.StatusRequestHeaderFieldsTooLarge,
			"<h1>Bad Message 431</h1><pre>reason: Request Header Fields Too Large</pre>"},
		{"WithinLimit", 15000, http.StatusOK, `"totalSize":0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := b.sf.APICalls()
			path := queryOfURI(tt.uri)
			if len(path) != tt.uri {
				t.Fatalf("built a %d-byte URI, want %d", len(path), tt.uri)
			}
			r := b.do(http.MethodGet, path, nil)
			if r.Status != tt.status || !strings.Contains(string(r.Body), tt.body) {
				t.Fatalf("%d-byte URI: %d %s; want %d %s", tt.uri, r.Status, r.Body, tt.status, tt.body)
			}
			wantCalls := int64(0) // refused by the front end, before the API
			if tt.status == http.StatusOK {
				wantCalls = 1
			}
			if got := b.sf.APICalls() - before; got != wantCalls {
				t.Errorf("%d API calls counted, want %d", got, wantCalls)
			}
		})
	}
}
