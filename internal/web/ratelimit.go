package web

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Failed sign-ins allowed per client within signInWindow; the next attempt
// is refused with 429 until the oldest failure leaves the window.
const (
	signInFailures = 10
	signInWindow   = 15 * time.Minute
	// limiterClients bounds the memory a flood of addresses can take.
	limiterClients = 10_000
)

// signInLimiter counts failed sign-ins per client address in this
// instance's memory: guessing the admin token through the sign-in form is
// slowed to signInFailures tries per window and address. Each instance
// counts its own; with N instances behind a balancer a client gets up to N
// times the tries.
type signInLimiter struct {
	mu    sync.Mutex
	fails map[string][]time.Time
}

func newSignInLimiter() *signInLimiter { return &signInLimiter{fails: map[string][]time.Time{}} }

// blocked says how long the client must wait, 0 if it may try now.
func (l *signInLimiter) blocked(client string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.recent(client, now)
	if len(recent) < signInFailures {
		return 0
	}
	return recent[0].Add(signInWindow).Sub(now)
}

// fail records a failed attempt.
func (l *signInLimiter) fail(client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) >= limiterClients {
		for c := range l.fails {
			if len(l.recent(c, now)) == 0 {
				delete(l.fails, c)
			}
		}
		if len(l.fails) >= limiterClients {
			// Still full of active clients: forget an arbitrary one
			// rather than grow without bound.
			for c := range l.fails {
				delete(l.fails, c)
				break
			}
		}
	}
	l.fails[client] = append(l.recent(client, now), now)
}

// succeed forgets a client's failures.
func (l *signInLimiter) succeed(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, client)
}

// recent returns the client's failures still inside the window, dropping
// the older ones. Call with mu held.
func (l *signInLimiter) recent(client string, now time.Time) []time.Time {
	list := l.fails[client]
	i := 0
	for i < len(list) && !list[i].After(now.Add(-signInWindow)) {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(l.fails, client)
		return nil
	}
	l.fails[client] = list
	return list
}

// clientAddr is the client's IP address (without the port). Behind a
// reverse proxy every client shares the proxy's address.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
