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

// noteLane records how many calls b's lane has left today, so that the
// connection's next rounds gather changes longer when few are left
// (sync.NextRound, F8.1). It costs one read of today's usage.
func (e *Engine) noteLane(ctx context.Context, b *batch) {
	now := e.now()
	used, err := connection.UsedToday(ctx, e.store, b.conn.ID, now)
	if err != nil {
		return // the next round tries again; meanwhile rounds are paced as before
	}
	org := -1
	if u, m := b.sf.Usage(); m > 0 {
		org = m - u
	}
	left := laneCallsLeft(b.c.doc.APIBudget, b.lane, used, org)
	dayEnd := time.Now().Add(now.Truncate(24 * time.Hour).Add(24 * time.Hour).Sub(now))
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lanes[b.conn.ID] = laneLeft{calls: left, dayEnd: dayEnd}
}

// laneCallsLeft is how many more calls lane may make today given ferry's
// calls used today and the org's remaining calls (negative when unknown),
// as APIBudget.Allows counts them; -1 when neither limit is known.
func laneCallsLeft(b settings.APIBudget, lane settings.Lane, used, orgRemaining int) int {
	remaining := orgRemaining
	if b.DailyLimit > 0 {
		if own := b.DailyLimit - used; remaining < 0 || own < remaining {
			remaining = own
		}
	}
	if remaining < 0 && orgRemaining < 0 && b.DailyLimit <= 0 {
		return -1
	}
	return max(remaining-b.Reserve(lane), 0)
}
