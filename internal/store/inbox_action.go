package store

import (
	"context"
	"fmt"
	"time"
)

// InboxActionState is where an inbox action's Salesforce record stands.
type InboxActionState string

// The states of an inbox action.
const (
	// InboxActionCreating: a request holds the claim and is creating the
	// record; others wait for it instead of creating a second one.
	InboxActionCreating InboxActionState = "creating"
	// InboxActionCreated: the record exists; RecordID names it.
	InboxActionCreated InboxActionState = "created"
)

// InboxAction is the Salesforce record a teammate's action created (or is
// creating): at most one per key, such as "lead:<Intercom contact id>" (F4)
// or "task:<conversation id>:<part id>" (F6.2).
type InboxAction struct {
	ConnectionID int64
	Key          string
	RecordID     string
	State        InboxActionState
	// Attempt is bumped each time a claim left by a crashed request is
	// taken over.
	Attempt   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

const inboxActionColumns = `connection_id, action_key, record_id, state, attempt, created_at, updated_at`

// GetInboxAction returns the action of a key, or ErrNotFound.
func (r *reader) GetInboxAction(ctx context.Context, connID int64, key string) (InboxAction, error) {
	var a InboxAction
	var state string
	err := r.q.queryRow(ctx, `SELECT `+inboxActionColumns+` FROM inbox_actions WHERE connection_id = $1 AND action_key = $2`,
		connID, key).Scan(&a.ConnectionID, &a.Key, &a.RecordID, &state, &a.Attempt, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt})
	if err != nil {
		return InboxAction{}, notFound(err, "store: get inbox action %s", key)
	}
	a.State = InboxActionState(state)
	return a, nil
}

// ClaimInboxAction claims the creation of a key's record: true when this
// caller inserted the row (state creating), or took over the row of
// attempt staleAttempt (> 0) that a crashed request left creating. Only one
// caller gets true for a row and attempt.
func (w *writer) ClaimInboxAction(ctx context.Context, connID int64, key string, staleAttempt int) (bool, error) {
	t := now()
	var n int64
	var err error
	if staleAttempt > 0 {
		n, err = w.q.exec(ctx, `UPDATE inbox_actions SET attempt = attempt + 1, updated_at = $1
			WHERE connection_id = $2 AND action_key = $3 AND state = $4 AND attempt = $5`,
			t, connID, key, string(InboxActionCreating), staleAttempt)
	} else {
		n, err = w.q.exec(ctx, `INSERT INTO inbox_actions (`+inboxActionColumns+`) VALUES ($1, $2, '', $3, 1, $4, $4)
			ON CONFLICT (connection_id, action_key) DO NOTHING`, connID, key, string(InboxActionCreating), t)
	}
	if err != nil {
		return false, w.wrapWrite(err, "store: claim inbox action %s", key)
	}
	return n == 1, nil
}

// FinishInboxAction records the record a key's action created.
func (w *writer) FinishInboxAction(ctx context.Context, connID int64, key, recordID string) error {
	if recordID == "" {
		return fmt.Errorf("store: finish inbox action: a record id is required: %w", ErrInvalid)
	}
	if _, err := w.q.exec(ctx, `UPDATE inbox_actions SET record_id = $1, state = $2, updated_at = $3
		WHERE connection_id = $4 AND action_key = $5`, recordID, string(InboxActionCreated), now(), connID, key); err != nil {
		return w.wrapWrite(err, "store: finish inbox action %s", key)
	}
	return nil
}

// ReleaseInboxAction drops a claim whose create failed, so that the next
// request may try again.
func (w *writer) ReleaseInboxAction(ctx context.Context, connID int64, key string) error {
	if _, err := w.q.exec(ctx, `DELETE FROM inbox_actions WHERE connection_id = $1 AND action_key = $2 AND state = $3`,
		connID, key, string(InboxActionCreating)); err != nil {
		return w.wrapWrite(err, "store: release inbox action %s", key)
	}
	return nil
}
