package intercom

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// rateLimiter is Intercom's per-app limit, spread evenly over 10-second
// windows (10,000/min → 1666 per window).
type rateLimiter struct {
	perMinute atomic.Int64

	mu     sync.Mutex
	window int64 // unix seconds / 10
	used   int64
}

// allow counts one call, sets the X-RateLimit-* headers and, past the
// limit, writes the 429. It reports whether the call may proceed.
func (l *rateLimiter) allow(w http.ResponseWriter, now time.Time) bool {
	limit := max(l.perMinute.Load()/6, 1)
	l.mu.Lock()
	win := now.Unix() / 10
	if win != l.window {
		l.window, l.used = win, 0
	}
	l.used++
	used := l.used
	l.mu.Unlock()
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.FormatInt(limit, 10))
	h.Set("X-RateLimit-Remaining", strconv.FormatInt(max(limit-used, 0), 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt((win+1)*10, 10))
	if used > limit {
		writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Exceeded rate limit of "+strconv.FormatInt(limit, 10)+" in 10_seconds")
		return false
	}
	return true
}

// SetRateLimit changes the per-minute limit (enforced as perMinute/6 per
// 10-second window) and starts a fresh window.
func (s *Server) SetRateLimit(perMinute int) {
	s.limits.perMinute.Store(int64(max(perMinute, 1)))
	s.limits.mu.Lock()
	s.limits.used = 0
	s.limits.mu.Unlock()
}

// Faults are injected into REST calls to exercise clients' error handling.
type Faults struct {
	// LatencyMS delays every call.
	LatencyMS int `json:"latency_ms"`
	// ErrorRate is the share of calls (0..1) answered with ErrorStatus.
	ErrorRate float64 `json:"error_rate"`
	// ErrorStatus is the status of injected errors (default 503).
	ErrorStatus int `json:"error_status"`
}

type faultState struct {
	mu sync.RWMutex
	f  Faults
}

// SetFaults replaces the injected faults; the zero Faults turns them off.
func (s *Server) SetFaults(f Faults) {
	if f.ErrorStatus == 0 {
		f.ErrorStatus = http.StatusServiceUnavailable
	}
	s.faults.mu.Lock()
	s.faults.f = f
	s.faults.mu.Unlock()
}

// inject applies the faults; it reports whether it answered the request.
func (fs *faultState) inject(ctx context.Context, w http.ResponseWriter) bool {
	fs.mu.RLock()
	f := fs.f
	fs.mu.RUnlock()
	if f.LatencyMS > 0 {
		t := time.NewTimer(time.Duration(f.LatencyMS) * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return true
		}
	}
	if f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
		code := "server_error"
		if f.ErrorStatus == http.StatusTooManyRequests {
			code = "rate_limit_exceeded"
		}
		writeError(w, f.ErrorStatus, code, "Injected fault: "+http.StatusText(f.ErrorStatus))
		return true
	}
	return false
}
