package engine_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// TestLateRedeliveryOfAnOlderChangeIsStale (issue 8 item 8, F3.5): Intercom
// retries a failed webhook later, so an older change can arrive after a
// newer one. A change older than the last one seen from the same side, for
// that record and field by the time Intercom recorded it, is stale: it is
// not written to Salesforce and the history says so. Before, the late
// older change won and moved Salesforce's Title back.
func TestLateRedeliveryOfAnOlderChangeIsStale(t *testing.T) {
	t.Parallel()

	// The older change's redelivery arrives after the newer one was synced.
	t.Run("InALaterBatch", func(t *testing.T) {
		t.Parallel()
		testLateRedelivery(t, true)
	})
	// Both arrive before one drain: the batch keeps the newer state.
	t.Run("InTheSameBatch", func(t *testing.T) {
		t.Parallel()
		testLateRedelivery(t, false)
	})
}

func testLateRedelivery(t *testing.T, drainBetween bool) {
	const older, newer = "Older title", "Newer title"
	failed := make(chan struct{})
	release := make(chan struct{})
	var attempts atomic.Int32
	// The first delivery of the older change fails (Intercom retries it
	// once, later); its retry waits at the gate until the test opens it.
	b := setup(t, setupOpts{hookFront: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if bytes.Contains(body, []byte(`"`+older+`"`)) {
				if attempts.Add(1) == 1 {
					w.WriteHeader(http.StatusServiceUnavailable)
					close(failed)
					return
				}
				<-release
			}
			next.ServeHTTP(w, r)
		})
	}})
	// The retry comes well after the newer change is delivered.
	b.ic.SetWebhookRetryDelay(2 * time.Second)
	lead := b.newRecord("Lead", map[string]any{"Email": "late@example.com"})
	id := b.newContact(map[string]any{"email": "late@example.com"})
	b.drain()
	if _, ok := b.mapping(id); !ok {
		t.Fatal("no mapping")
	}

	b.clock.Advance(2 * time.Second)
	mark := b.lastEventID()
	if err := b.ic.MessengerUpdateContact(id, map[string]any{"custom_attributes": map[string]any{"job_title": older}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-failed:
	case <-time.After(30 * time.Second):
		t.Fatal("the older change was never delivered")
	}
	b.updateContact(id, map[string]any{"custom_attributes": map[string]any{"job_title": newer}})
	if drainBetween {
		b.drain()
		if got := b.sfField("Lead", lead, "Title"); got != newer {
			t.Fatalf("Title = %v after the newer change, want %q", got, newer)
		}
	}
	close(release)
	b.waitEvent(mark, id, "updated", `"`+older+`"`)
	b.drain()

	if got := b.sfField("Lead", lead, "Title"); got != newer {
		t.Errorf("Title = %v after the late redelivery, want %q: an older change must not win", got, newer)
	}
	h, err := b.store.ListHistory(b.ctx, b.connID, id, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	stale := 0
	for _, e := range h {
		if e.Outcome == "stale" && strings.Contains(e.Rule, "older than the last one seen") {
			stale++
		}
		if strings.Contains(e.Changes, `"Title":"`+older+`"`) {
			t.Errorf("Salesforce's Title was set back to the older value (history %d: %s), even if only for a moment", e.ID, e.Changes)
		}
	}
	if stale != 1 {
		t.Errorf("%d stale history entries, want 1; history: %+v", stale, h)
	}
}
