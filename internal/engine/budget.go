package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
)

// checkBudget says whether lane may spend calls more Salesforce calls today
// (F8.1): ferry's own daily limit against today's counted usage (all
// purposes), and the org's remaining requests from the last
// Sforce-Limit-Info header, so other apps' usage counts too. When it may
// not, the error carries when the next UTC day starts (plus a little jitter
// so many connections do not resume in the same second).
func (e *Engine) checkBudget(ctx context.Context, connID int64, c *connConfig, sf *salesforce.Client, lane settings.Lane, calls int) error {
	now := e.now()
	used, err := connection.UsedToday(ctx, e.store, connID, now)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	orgRemaining := -1
	if u, m := sf.Usage(); m > 0 {
		orgRemaining = m - u
	}
	// The batch needs calls calls: the last of them must still fit.
	calls = max(calls, 1)
	if orgRemaining >= 0 {
		orgRemaining = max(orgRemaining-(calls-1), 0)
	}
	if c.doc.APIBudget.Allows(lane, used+calls-1, orgRemaining) {
		return nil
	}
	// The org's remaining requests come from the last call's header, which
	// goes stale while paused (the org's window rolls on, other apps
	// stop): read /limits again, at most once a minute, before giving up.
	if orgRemaining >= 0 && c.doc.APIBudget.Allows(lane, used+calls-1, -1) && e.limitsDue(connID, now) {
		limits, err := sf.Limits(purposeCtx(ctx, connection.PurposeSetup))
		if err != nil {
			return fmt.Errorf("engine: read org limits: %w", err)
		}
		if l, ok := limits[salesforce.LimitDailyAPIRequests]; ok {
			if c.doc.APIBudget.Allows(lane, used+calls, max(l.Remaining-(calls-1), 0)) {
				return nil
			}
		}
	}
	midnight := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	return &errBudget{until: midnight.Add(time.Duration(rand.Int64N(int64(time.Minute))))}
}

// limitsDue reports whether the org's limits may be read again for a
// connection, and records the read.
func (e *Engine) limitsDue(connID int64, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if last, ok := e.limitsRead[connID]; ok && now.Sub(last) < time.Minute {
		return false
	}
	e.limitsRead[connID] = now
	return true
}
