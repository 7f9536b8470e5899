package connection

import (
	"context"
	"fmt"
	"sync"

	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
)

// reachability follows whether Salesforce answers each connection's calls,
// from the calls themselves: a 5xx or no answer makes it unreachable, any
// other answer reachable again. Only changes are written to the store (one
// write per outage and one per recovery, per instance), so every instance
// and the admin see "Salesforce unreachable since …" rather than an INFO
// line in one instance's log.
type reachability struct {
	mu sync.Mutex
	// down holds, per connection, what this instance last recorded: true
	// unreachable, false reachable; absent, nothing yet.
	down map[int64]bool
}

// observe records what one Salesforce call says about reachability.
func (m *Manager) observeReach(ctx context.Context, connID int64, c salesforce.Call) {
	var unreachable bool
	switch {
	case c.StatusCode >= 500:
		unreachable = true
	case c.StatusCode > 0:
	case c.Err != nil && ctx.Err() == nil:
		// No answer at all, and not because our caller gave up.
		unreachable = true
	default:
		return
	}
	r := &m.reach
	r.mu.Lock()
	prev, known := r.down[connID]
	if known && prev == unreachable {
		r.mu.Unlock()
		return
	}
	r.down[connID] = unreachable
	r.mu.Unlock()

	rec := store.Reachability{ConnectionID: connID, Side: store.SideSalesforce}
	if unreachable {
		since := m.opts.Now().UTC()
		rec.UnreachableSince = &since
		rec.LastError = callError(c)
	}
	err := m.opts.Store.InTx(context.WithoutCancel(ctx), func(tx store.Tx) error { return tx.PutReachability(ctx, rec) })
	if err != nil {
		// Forget what was recorded so the next call tries again.
		r.mu.Lock()
		delete(r.down, connID)
		r.mu.Unlock()
		m.opts.Logger.WarnContext(ctx, "record Salesforce reachability", "connection", connID, "error", err)
		return
	}
	if unreachable {
		m.opts.Logger.ErrorContext(ctx, "Salesforce unreachable", "connection", connID, "method", c.Method, "path", c.Path, "error", rec.LastError)
	} else if known {
		m.opts.Logger.InfoContext(ctx, "Salesforce reachable again", "connection", connID)
	}
}

// callError describes a failed call without its query string.
func callError(c salesforce.Call) string {
	if c.StatusCode > 0 {
		return fmt.Sprintf("%s %s answered HTTP %d", c.Method, c.Path, c.StatusCode)
	}
	return fmt.Sprintf("%s %s: %v", c.Method, c.Path, c.Err)
}
