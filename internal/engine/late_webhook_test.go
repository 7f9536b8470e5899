package engine_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestWebhookFromBeforeAPollsWriteWritesNothingTwice (F3.5): a poll writes
// Salesforce's newer Title to Intercom, and before its batch has committed,
// the drain takes a webhook Intercom sent earlier, which still holds the
// old value. That webhook describes Intercom before ferry's write: it is
// stale. Before, it counted as an Intercom change, lost to Salesforce's and
// made ferry write the same Title to Intercom a second time (TestFaults in
// internal/bench counted these under load as values written twice).
func TestWebhookFromBeforeAPollsWriteWritesNothingTwice(t *testing.T) {
	t.Parallel()
	const newer = "Newer title"
	var (
		icID    atomic.Value
		written atomic.Int32 // Intercom updates of the contact carrying the newer Title
		hold    sync.Once
		reached = make(chan struct{})
		release = make(chan struct{})
	)
	b := setup(t, setupOpts{icFront: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, _ := icID.Load().(string)
			if r.Method != http.MethodPut || id == "" || r.URL.Path != "/contacts/"+id {
				next.ServeHTTP(w, r)
				return
			}
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if !bytes.Contains(body, []byte(newer)) {
				next.ServeHTTP(w, r)
				return
			}
			written.Add(1)
			// The poll's write lands in Intercom, and its answer waits:
			// the poll's batch has not committed yet.
			next.ServeHTTP(w, r)
			first := false
			hold.Do(func() { first = true })
			if first {
				close(reached)
				<-release
			}
		})
	}})
	sfID, id := b.pairFor("late-poll@example.com")
	// The Title comes from Intercom: Salesforce's value is ferry's.
	b.updateContact(id, map[string]any{"custom_attributes": map[string]any{"job_title": "Older title"}})
	b.drain()
	if got := b.sfField("Contact", sfID, "Title"); got != "Older title" {
		t.Fatalf("Title = %v, want the Intercom change", got)
	}
	// Another Intercom change: its webhook, holding the old Title, is
	// stored and not drained yet.
	b.updateContact(id, map[string]any{"phone": "555-0404"})
	// Salesforce's newer Title, polled.
	b.clock.Advance(2 * 1e9)
	b.updateRecord("Contact", sfID, map[string]any{"Title": newer})
	icID.Store(id)
	polled := make(chan struct{})
	go func() { defer close(polled); b.poll() }()
	<-reached
	b.drain()
	close(release)
	<-polled
	b.drain()
	if got := b.sfField("Contact", sfID, "Title"); got != newer {
		t.Errorf("Salesforce Title = %v, want %q: the old value was written back", got, newer)
	}
	if got := b.icContact(id).CustomAttributes["job_title"]; got != newer {
		t.Errorf("Intercom job_title = %v, want %q", got, newer)
	}
	if n := written.Load(); n != 1 {
		t.Errorf("the newer Title was written to Intercom %d times, want once", n)
	}
	if phone := b.sfField("Contact", sfID, "Phone"); !strings.Contains(phone.(string), "0404") {
		t.Errorf("Phone = %v: the webhook's real change must still sync", phone)
	}
}
