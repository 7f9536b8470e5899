package bench

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/store"
)

// TestAPILimitRecovery runs ferry into the org's daily API limit
// (REQUEST_LIMIT_EXCEEDED) as a whole system: the connection shows
// api_limit_reached with its banner text while it lasts, and Salesforce
// edits made after the limit is restored land without waiting for a
// snoozed poll (once 30 minutes). The log reports how long after the
// restore they landed.
func TestAPILimitRecovery(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	h, people := setup(t, ctx, Options{}, 50)
	f := h.Ferries[0]
	state := func() store.Connection {
		c, err := f.Store.GetConnection(ctx, f.ConnID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	waitState := func(want store.ConnectionState) store.Connection {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if c := state(); c.State == want {
				return c
			}
		}
		c := state()
		t.Fatalf("connection %s (%s), want %s", c.State, c.Cause, want)
		return c
	}

	h.SF.SetAPIRemaining(0)
	c := waitState(store.StateAPILimitReached)
	if c.Cause != store.CauseAPILimitReached || connection.CauseMessage(c.Cause) == "" {
		t.Errorf("paused connection: cause %q, banner %q", c.Cause, connection.CauseMessage(c.Cause))
	}
	time.Sleep(3 * time.Second) // a while at the limit: polls and probes are refused

	h.SF.SetAPIRemaining(15000)
	restored := time.Now()
	m := begin(h, false)
	final := make(map[Person]string, len(people))
	for i, p := range people {
		v := fmt.Sprintf("after-limit-%d", i)
		if err := m.change(p, v); err != nil {
			t.Fatal(err)
		}
		final[p] = v
	}
	var res Result
	m.finish(ctx, Config{PollInterval: h.opts.PollInterval, Timeout: 25 * time.Second}, &res, len(people), final)
	if res.Landed != len(people) || res.Mismatches != 0 || res.Duplicates != 0 {
		t.Fatalf("after the limit: %d of %d landed, %d wrong, %d written twice", res.Landed, len(people), res.Mismatches, res.Duplicates)
	}
	t.Logf("all %d Salesforce edits made after the limit was restored landed %.1f s after the restore",
		len(people), m.start.Add(res.Wall).Sub(restored).Seconds())
	if c := state(); c.State != store.StateConnected {
		t.Errorf("connection %s (%s) after the limit was restored, want connected", c.State, c.Cause)
	}
}
