package intercom

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// RateLimitState is what Intercom last said about the token's rate limit.
type RateLimitState struct {
	// Known is false until a response carried X-RateLimit-* headers.
	Known bool
	// Limit is X-RateLimit-Limit: calls allowed per window.
	Limit int
	// Remaining is X-RateLimit-Remaining: calls left in the window.
	Remaining int
	// Reset is X-RateLimit-Reset: when the window resets.
	Reset time.Time
}

// limiter keeps a client under Intercom's limit. Intercom spreads the
// per-minute limit over 10-second windows and reports the window's state in
// every response. While plenty remains, requests go out unthrottled; once
// Remaining drops below a fraction of Limit, the remaining calls are spread
// evenly until Reset, and at zero everything waits for Reset. A 429 is then
// rare, and when it happens call() waits for Reset and retries.
type limiter struct {
	now   func() time.Time
	below float64

	mu         sync.Mutex
	st         RateLimitState
	pauseUntil time.Time
	slowUntil  time.Time
	pace       *rate.Limiter
}

func newLimiter(now func() time.Time, below float64) *limiter {
	return &limiter{now: now, below: below, pace: rate.NewLimiter(rate.Inf, 1)}
}

func (l *limiter) state() RateLimitState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

// update records the rate-limit headers of a response. Intercom omits them
// on unauthenticated responses; then nothing changes.
func (l *limiter) update(h http.Header) {
	rem, err := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if err != nil {
		return
	}
	limit, _ := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	var reset time.Time
	if v, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil && v > 0 {
		reset = time.Unix(v, 0)
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st = RateLimitState{Known: true, Limit: limit, Remaining: rem, Reset: reset}
	low := limit > 0 && float64(rem) < float64(limit)*l.below
	if !low || reset.IsZero() || !reset.After(now) {
		l.slowUntil = time.Time{}
		return
	}
	if rem <= 0 {
		// Window exhausted: hold everything until it resets. A small margin
		// because Reset has one-second granularity.
		l.pauseUntil = reset.Add(100 * time.Millisecond)
		return
	}
	// Spread what is left over the rest of the window.
	window := reset.Sub(now).Seconds()
	l.pace.SetLimit(rate.Limit(float64(rem) / window))
	l.slowUntil = reset
}

// wait blocks until a request may be sent.
func (l *limiter) wait(ctx context.Context) error {
	l.mu.Lock()
	now := l.now()
	var pause time.Duration
	if now.Before(l.pauseUntil) {
		pause = l.pauseUntil.Sub(now)
	}
	slow := now.Before(l.slowUntil)
	l.mu.Unlock()
	if pause > 0 {
		if err := sleep(ctx, pause); err != nil {
			return err
		}
	}
	if slow {
		return l.pace.Wait(ctx)
	}
	return ctx.Err()
}

// backoff says how long to wait after a 429 before retry number attempt:
// until X-RateLimit-Reset when given (Retry-After otherwise), else an
// exponential delay; never more than maxWait. Other goroutines sharing the
// client pause for the same time.
func (l *limiter) backoff(h http.Header, attempt int, maxWait time.Duration) time.Duration {
	now := l.now()
	var d time.Duration
	if v, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil && v > 0 {
		d = time.Unix(v, 0).Sub(now) + 100*time.Millisecond
	} else if v, err := strconv.Atoi(h.Get("Retry-After")); err == nil && v >= 0 {
		d = time.Duration(v) * time.Second
	}
	if d <= 0 {
		// No usable hint, or the server's clock is ahead of ours.
		d = time.Duration(1<<min(attempt-1, 5)) * 500 * time.Millisecond
	}
	d = min(d, maxWait)
	l.mu.Lock()
	if until := now.Add(d); until.After(l.pauseUntil) {
		l.pauseUntil = until
	}
	l.mu.Unlock()
	return d
}
