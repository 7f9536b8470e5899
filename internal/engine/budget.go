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
// Sforce-Limit-Info header, so other apps' usage counts too. When ferry's
// own limit stops it, the error carries when the next UTC day starts (the
// day it counts by; plus a little jitter so many connections do not resume
// in the same second). When the org's remaining requests stop it, the
// error stands for the org's limit (the connection pauses with
// api_limit_reached and is checked again with backoff): the org frees
// requests over a rolling 24 hours, so waiting for midnight would be wrong,
// and a stale header must never make ferry wait at all.
func (e *Engine) checkBudget(ctx context.Context, connID int64, c *connConfig, sf *salesforce.Client, lane settings.Lane, calls int) error {
	now := e.now()
	used, err := connection.UsedToday(ctx, e.store, connID, now)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	orgRemaining := -1
	if u, m := sf.Usage(); m > 0 {
		orgRemaining = m - u
		if e.opts.Observer != nil {
			e.opts.Observer.SalesforceUsage(connID, u, m)
		}
	}
	// The batch needs calls calls: the last of them must still fit.
	calls = max(calls, 1)
	if orgRemaining >= 0 {
		orgRemaining = max(orgRemaining-(calls-1), 0)
	}
	if c.doc.APIBudget.Allows(lane, used+calls-1, orgRemaining) {
		return nil
	}
	if !c.doc.APIBudget.Allows(lane, used+calls-1, -1) {
		midnight := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
		return &errBudget{until: midnight.Add(time.Duration(rand.Int64N(int64(time.Minute))))}
	}
	// The org's remaining requests come from the last call's header, which
	// goes stale while paused (the org's window rolls on, other apps
	// stop): read /limits again, at most once a minute, before pausing.
	if e.limitsDue(connID, now) {
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
	return fmt.Errorf("engine: the org's remaining API requests do not cover %d more calls of the %s lane: %w",
		calls, lane, salesforce.ErrRequestLimitExceeded)
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
