package connection

import (
	"fmt"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// Why a connected connection's sync is stalled. A connection can be
// "connected" (its tokens work) while nothing moves: these say so, and why.
const (
	// StallPollOverdue: no successful Salesforce poll in three poll
	// intervals.
	StallPollOverdue = "poll_overdue"
	// StallChangesWaiting: a received Intercom change has waited longer
	// than the stall threshold.
	StallChangesWaiting = "changes_waiting"
	// StallSalesforceUnreachable: Salesforce's last answers were server
	// errors or no answer at all (an outage, a network problem).
	StallSalesforceUnreachable = "salesforce_unreachable"
)

// DefaultStallAfter is how long a received change may wait before the
// connection counts as stalled (FERRY_STALLED_AFTER).
const DefaultStallAfter = 15 * time.Minute

// SyncFacts is what the stall rules look at, read from the store (see
// engine.ReadSyncFacts).
type SyncFacts struct {
	// State is the connection's state; only a connected one can stall.
	State store.ConnectionState
	// Since is when the connection reached its state.
	Since time.Time
	// PollInterval is how often the connection should be polled.
	PollInterval time.Duration
	// LastPolls is when each polled object was last polled successfully.
	LastPolls map[string]time.Time
	// Pending summarizes the received Intercom changes not yet synced.
	Pending store.PendingSummary
	// Salesforce is Salesforce's reachability; nil when never recorded.
	Salesforce *store.Reachability
	// Stream is the connection's Salesforce change stream; nil before its
	// first subscription.
	Stream *store.ChangeStream
}

// StallReason is one reason sync is stalled, with a message for admins.
type StallReason struct {
	Code    string    `json:"code"`
	Message string    `json:"message"`
	Since   time.Time `json:"since"`
}

// SyncHealth is whether sync moves on a connection, and if not why.
type SyncHealth struct {
	Stalled bool          `json:"stalled"`
	Reasons []StallReason `json:"reasons"`
	// LastPoll is the oldest of the objects' last successful polls.
	LastPoll *time.Time `json:"last_successful_poll,omitempty"`
	// PendingChanges counts received Intercom changes not yet synced;
	// OldestPending is when the oldest arrived.
	PendingChanges int        `json:"pending_changes"`
	OldestPending  *time.Time `json:"oldest_pending_change,omitempty"`
}

// AssessSync applies the stall rules at now: no successful poll in three
// intervals; a pending change older than stallAfter; Salesforce
// unreachable. A connection that is not connected does not stall (its
// state and cause already say why nothing moves).
func AssessSync(f SyncFacts, now time.Time, stallAfter time.Duration) SyncHealth {
	h := SyncHealth{Reasons: []StallReason{}, PendingChanges: f.Pending.Count, OldestPending: f.Pending.Oldest}
	var oldest time.Time
	for _, t := range f.LastPolls {
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	if !oldest.IsZero() {
		h.LastPoll = &oldest
	}
	if f.State != store.StateConnected {
		return h
	}
	if stallAfter <= 0 {
		stallAfter = DefaultStallAfter
	}
	if f.Salesforce != nil && f.Salesforce.UnreachableSince != nil {
		msg := "Salesforce is not answering (server errors or no connection); ferry keeps retrying and catches up when it answers again."
		if f.Salesforce.LastError != "" {
			msg += " Last error: " + f.Salesforce.LastError
		}
		h.Reasons = append(h.Reasons, StallReason{Code: StallSalesforceUnreachable, Message: msg, Since: *f.Salesforce.UnreachableSince})
	}
	if f.PollInterval > 0 {
		// Counted from when the connection (re)connected if it has not
		// polled since.
		from := oldest
		if from.IsZero() || from.Before(f.Since) {
			from = f.Since
		}
		if !from.IsZero() && now.Sub(from) > 3*f.PollInterval {
			h.Reasons = append(h.Reasons, StallReason{Code: StallPollOverdue, Since: from.Add(3 * f.PollInterval), Message: fmt.Sprintf(
				"No successful Salesforce poll for %s (polls are due every %s): changes made in Salesforce are not reaching Intercom.",
				now.Sub(from).Round(time.Second), f.PollInterval)})
		}
	}
	if f.Pending.Oldest != nil && now.Sub(*f.Pending.Oldest) > stallAfter {
		h.Reasons = append(h.Reasons, StallReason{Code: StallChangesWaiting, Since: f.Pending.Oldest.Add(stallAfter), Message: fmt.Sprintf(
			"%d Intercom change(s) are waiting; the oldest arrived %s ago (threshold %s).",
			f.Pending.Count, now.Sub(*f.Pending.Oldest).Round(time.Second), stallAfter)})
	}
	h.Stalled = len(h.Reasons) > 0
	return h
}
