package intercom_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/intercom"
)

// nearWindowEnd returns a clock running at real speed but shifted so that
// Intercom's current 10-second rate-limit window ends about 1.5 s from
// now; the emulator and the client share it, so waiting for a reset costs
// little real time.
func nearWindowEnd() func() time.Time { return windowClock(8500 * time.Millisecond) }

// windowClock is a real-speed clock placed at the given point of a
// 10-second window.
func windowClock(into time.Duration) func() time.Time {
	real0 := time.Now()
	fake0 := real0.Truncate(10 * time.Second).Add(into)
	offset := fake0.Sub(real0)
	return func() time.Time { return time.Now().Add(offset) }
}

func TestClient_RateLimit(t *testing.T) {
	t.Parallel()

	t.Run("429WaitsForResetAndRetries", func(t *testing.T) {
		t.Parallel()
		now := nearWindowEnd()
		// 6 a minute is 1 per 10-second window.
		b := setup(t, icemu.Options{RateLimit: 6, Now: now}, intercom.Config{Now: now})
		other := intercom.New(intercom.Config{BaseURL: b.srv.URL, Token: testToken, HTTPClient: b.srv.Client(), Now: now})
		if _, err := other.Me(t.Context()); err != nil {
			t.Fatalf("first call: %v", err)
		}
		// This client has seen no headers yet, so it runs into the 429.
		if _, err := b.client.Me(t.Context()); err != nil {
			t.Fatalf("call after 429: %v", err)
		}
		if got := b.calls.statuses(); !slices.Equal(got, []int{http.StatusTooManyRequests, http.StatusOK}) {
			t.Fatalf("statuses %v, want [429 200]", got)
		}
		rl := b.client.RateLimit()
		if !rl.Known || rl.Limit != 1 || rl.Reset.IsZero() {
			t.Fatalf("RateLimit() = %+v", rl)
		}
	})

	t.Run("SlowsDownBeforeTheLimit", func(t *testing.T) {
		t.Parallel()
		now := nearWindowEnd()
		// 60 a minute is 10 per window; 14 calls cross into the next one.
		b := setup(t, icemu.Options{RateLimit: 60, Now: now}, intercom.Config{Now: now})
		for i := range 14 {
			if _, err := b.client.Me(t.Context()); err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		if got := b.calls.statuses(); slices.Contains(got, http.StatusTooManyRequests) {
			t.Fatalf("the client ran into the limit: %v", got)
		}
	})

	t.Run("GivesUpAfterMaxRetries", func(t *testing.T) {
		t.Parallel()
		now := nearWindowEnd()
		b := setup(t, icemu.Options{Now: now}, intercom.Config{Now: now, MaxRetries: 1})
		b.emu.SetFaults(icemu.Faults{ErrorRate: 1, ErrorStatus: http.StatusTooManyRequests})
		_, err := b.client.Me(t.Context())
		if !errors.Is(err, intercom.ErrRateLimited) || !intercom.IsRetryable(err) {
			t.Fatalf("persistent 429: %v, want ErrRateLimited", err)
		}
		if got := b.calls.statuses(); len(got) != 2 {
			t.Fatalf("made %d attempts (%v), want 2", len(got), got)
		}
	})

	t.Run("WaitIsBoundedByContext", func(t *testing.T) {
		t.Parallel()
		// The window has 9.5 s left: far more than the deadline.
		now := windowClock(500 * time.Millisecond)
		b := setup(t, icemu.Options{RateLimit: 6, Now: now}, intercom.Config{Now: now})
		other := intercom.New(intercom.Config{BaseURL: b.srv.URL, Token: testToken, HTTPClient: b.srv.Client(), Now: now})
		if _, err := other.Me(t.Context()); err != nil {
			t.Fatalf("first call: %v", err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		_, err := b.client.Me(ctx)
		if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, intercom.ErrRateLimited) {
			t.Fatalf("err = %v, want the 429 and the deadline", err)
		}
	})
}
