package engine_test

import (
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store"
)

// countLimits counts the org-limits reads that reach Salesforce.
func countLimits(n *atomic.Int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(r.URL.Path) > 7 && r.URL.Path[len(r.URL.Path)-7:] == "/limits" {
				n.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// newestPending returns the newest pending webhook event.
func (b *bundle) newestPending() store.WebhookEvent {
	b.t.Helper()
	pending, err := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 1000)
	if err != nil || len(pending) == 0 {
		b.t.Fatalf("pending = %d, %v", len(pending), err)
	}
	return pending[len(pending)-1]
}

// shortSnooze fails unless err is a snooze of at most a minute: work that
// waits for the org's API to come back looks again soon, it never sleeps
// for half an hour or until midnight.
func shortSnooze(t *testing.T, what string, err error) {
	t.Helper()
	var snooze *rivertype.JobSnoozeError
	if !errors.As(err, &snooze) {
		t.Fatalf("%s = %v, want a snooze", what, err)
	}
	if snooze.Duration > time.Minute {
		t.Errorf("%s snoozed %s; work paused by the org's API must look again within a minute", what, snooze.Duration)
	}
}

// TestAPIPauseShowsStateAndResumes: when Salesforce refuses calls because
// the org's daily API limit is used up (REQUEST_LIMIT_EXCEEDED) or API
// access is off (API_DISABLED_FOR_ORG), the connection shows that state
// with its banner text while it lasts; polls are not snoozed (a snoozed
// poll kept the next ones out for 30 minutes) but re-read the org's limits
// with backoff; once calls are accepted the next probe — at most one poll
// interval later — resumes sync, with no reconnect, and what queued up on
// both sides lands.
func TestAPIPauseShowsStateAndResumes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		state   store.ConnectionState
		cause   string
		refuse  func(b *bundle)
		restore func(b *bundle)
	}{
		{"APILimitReached", store.StateAPILimitReached, store.CauseAPILimitReached,
			func(b *bundle) { b.sf.SetAPIRemaining(0) }, func(b *bundle) { b.sf.SetAPIRemaining(15000) }},
		{"APIDisabled", store.StateAPIDisabled, store.CauseAPIDisabled,
			func(b *bundle) { b.sf.SetAPIEnabled(false) }, func(b *bundle) { b.sf.SetAPIEnabled(true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var limitReads atomic.Int64
			b := setup(t, setupOpts{sfFront: countLimits(&limitReads)})
			contact := b.newRecord("Contact", map[string]any{"Email": "pause@example.com"})
			id := b.newContact(map[string]any{"email": "pause@example.com", "role": "user"})
			b.drain()
			b.poll()

			tt.refuse(b)
			if err := b.eng.Poll(engine.ForcePoll(b.ctx), b.conn()); err != nil {
				t.Fatalf("poll against a refusing org = %v, want nil: a snoozed poll keeps the next polls out", err)
			}
			c := b.conn()
			if c.State != tt.state || c.Cause != tt.cause {
				t.Fatalf("connection %s (%s), want %s (%s)", c.State, c.Cause, tt.state, tt.cause)
			}
			if connection.CauseMessage(c.Cause) == "" {
				t.Error("no banner text for the pause")
			}

			// An Intercom change meanwhile queues; its job looks again soon.
			b.updateContact(id, map[string]any{"phone": "during-pause"})
			shortSnooze(t, "the event job during the pause", b.eng.DrainIntercom(b.ctx, b.conn(), jobs.DrainContacts))

			// Probes back off: 5 s, then 10 s, … (the clock is the engine's).
			reads := func() int64 { return limitReads.Load() }
			base := reads()
			b.clock.Advance(5 * time.Second)
			if err := b.eng.Poll(b.ctx, b.conn()); err != nil {
				t.Fatal(err)
			}
			first := reads() - base
			if err := b.eng.Poll(b.ctx, b.conn()); err != nil {
				t.Fatal(err)
			}
			if again := reads() - base; first != 1 || again != 1 {
				t.Errorf("limits read %d times by the first due probe and %d after an immediate second poll; want 1 and 1 (backoff)", first, again)
			}
			if c := b.conn(); c.State != tt.state {
				t.Errorf("connection %s while Salesforce still refuses, want %s", c.State, tt.state)
			}

			// Salesforce accepts calls again; a Salesforce edit follows.
			tt.restore(b)
			b.clock.Advance(2 * time.Second)
			if err := b.sf.UpdateRecord("Contact", contact, map[string]any{"Title": "after-restore"}); err != nil {
				t.Fatal(err)
			}
			// Within one poll interval (the settings' 5 minutes) a poll
			// notices, connects and catches up.
			b.clock.Advance(5 * time.Minute)
			if err := b.eng.Poll(b.ctx, b.conn()); err != nil {
				t.Fatalf("poll after Salesforce accepts calls again: %v", err)
			}
			if c := b.conn(); c.State != store.StateConnected || c.Cause != "" {
				t.Fatalf("connection %s (%s) after Salesforce accepts calls again, want connected", c.State, c.Cause)
			}
			if got := b.icContact(id).CustomAttributes["job_title"]; got != "after-restore" {
				t.Errorf("Intercom job_title = %v, want the Salesforce edit made after the pause", got)
			}
			if got := b.sfField("Contact", contact, "Phone"); got != "during-pause" {
				t.Errorf("Salesforce Phone = %v, want the Intercom change queued during the pause", got)
			}
		})
	}
}

// TestStaleLimitHeaderNeverWaitsForMidnight: the org's remaining requests
// as the last Sforce-Limit-Info header gave them go stale (the org's
// 24-hour window rolls on). Low numbers from it pause the connection and
// are checked again within seconds — never a wait until the UTC day ends,
// which once held a drain for hours with 14,000 calls left.
func TestStaleLimitHeaderNeverWaitsForMidnight(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	contact := b.newRecord("Contact", map[string]any{"Email": "stale@example.com"})
	id := b.newContact(map[string]any{"email": "stale@example.com", "role": "user"})
	b.drain()

	// Few calls left, below the reserve kept for inbox actions: the
	// background lane stops and the connection says why.
	b.sf.SetAPIRemaining(100)
	sf, err := b.mgr.Salesforce(b.ctx, b.connID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.Limits(b.ctx); err != nil { // the header now says ~100 left
		t.Fatal(err)
	}
	b.updateContact(id, map[string]any{"phone": "stale-1"})
	b.newestPending() // the change waits
	shortSnooze(t, "the drain with few calls left", b.eng.DrainIntercom(b.ctx, b.conn(), jobs.DrainContacts))
	if c := b.conn(); c.State != store.StateAPILimitReached {
		t.Errorf("connection %s with the background lane out of calls, want %s", c.State, store.StateAPILimitReached)
	}

	// The org's window rolls on: 14,000 calls are free again, but the last
	// header (and the limits read a moment ago) still say ~100.
	b.sf.SetAPIRemaining(14000)
	shortSnooze(t, "the drain on a stale header", b.eng.DrainIntercom(b.ctx, b.conn(), jobs.DrainContacts))

	// The next probe reads the org's limits and resumes.
	b.clock.Advance(5 * time.Second)
	if err := b.eng.Poll(b.ctx, b.conn()); err != nil {
		t.Fatal(err)
	}
	if c := b.conn(); c.State != store.StateConnected {
		t.Fatalf("connection %s (%s) with 14,000 calls left, want connected", c.State, c.Cause)
	}
	if got := b.sfField("Contact", contact, "Phone"); got != "stale-1" {
		t.Errorf("Phone = %v, want the change held by the stale header", got)
	}
}
