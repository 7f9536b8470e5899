package store

import (
	"context"
	"fmt"
	"time"
)

// InboxLeadState is where a Lead created for an Intercom contact stands.
type InboxLeadState string

// The states of an inbox Lead.
const (
	// InboxLeadCreating: a request holds the claim and is creating the
	// Lead; others wait for it instead of creating a second one.
	InboxLeadCreating InboxLeadState = "creating"
	// InboxLeadCreated: the Lead exists; LeadID names it.
	InboxLeadCreated InboxLeadState = "created"
)

// InboxLead is the Lead ferry created (or is creating) for an Intercom
// contact on a teammate's request (F4): at most one per contact.
type InboxLead struct {
	ConnectionID int64
	IntercomID   string
	LeadID       string
	State        InboxLeadState
	// Attempt is bumped each time a claim left by a crashed request is
	// taken over.
	Attempt   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

const inboxLeadColumns = `connection_id, intercom_id, lead_id, state, attempt, created_at, updated_at`

// GetInboxLead returns the Lead row of an Intercom contact, or ErrNotFound.
func (r *reader) GetInboxLead(ctx context.Context, connID int64, intercomID string) (InboxLead, error) {
	var l InboxLead
	var state string
	err := r.q.queryRow(ctx, `SELECT `+inboxLeadColumns+` FROM inbox_leads WHERE connection_id = $1 AND intercom_id = $2`,
		connID, intercomID).Scan(&l.ConnectionID, &l.IntercomID, &l.LeadID, &state, &l.Attempt, timeCol{&l.CreatedAt}, timeCol{&l.UpdatedAt})
	if err != nil {
		return InboxLead{}, notFound(err, "store: get inbox lead of intercom %s", intercomID)
	}
	l.State = InboxLeadState(state)
	return l, nil
}

// ClaimInboxLead claims the creation of the Lead of an Intercom contact:
// true when this caller inserted the row (state creating), or took over
// the row of attempt staleAttempt (> 0) that a crashed request left
// creating. Only one caller gets true for a row and attempt.
func (w *writer) ClaimInboxLead(ctx context.Context, connID int64, intercomID string, staleAttempt int) (bool, error) {
	t := now()
	var n int64
	var err error
	if staleAttempt > 0 {
		n, err = w.q.exec(ctx, `UPDATE inbox_leads SET attempt = attempt + 1, updated_at = $1
			WHERE connection_id = $2 AND intercom_id = $3 AND state = $4 AND attempt = $5`,
			t, connID, intercomID, string(InboxLeadCreating), staleAttempt)
	} else {
		n, err = w.q.exec(ctx, `INSERT INTO inbox_leads (`+inboxLeadColumns+`) VALUES ($1, $2, '', $3, 1, $4, $4)
			ON CONFLICT (connection_id, intercom_id) DO NOTHING`, connID, intercomID, string(InboxLeadCreating), t)
	}
	if err != nil {
		return false, w.wrapWrite(err, "store: claim inbox lead of intercom %s", intercomID)
	}
	return n == 1, nil
}

// FinishInboxLead records the Lead created for an Intercom contact.
func (w *writer) FinishInboxLead(ctx context.Context, connID int64, intercomID, leadID string) error {
	if leadID == "" {
		return fmt.Errorf("store: finish inbox lead: a Lead id is required: %w", ErrInvalid)
	}
	if _, err := w.q.exec(ctx, `UPDATE inbox_leads SET lead_id = $1, state = $2, updated_at = $3
		WHERE connection_id = $4 AND intercom_id = $5`, leadID, string(InboxLeadCreated), now(), connID, intercomID); err != nil {
		return w.wrapWrite(err, "store: finish inbox lead of intercom %s", intercomID)
	}
	return nil
}

// ReleaseInboxLead drops a claim whose create failed, so that the next
// request may try again.
func (w *writer) ReleaseInboxLead(ctx context.Context, connID int64, intercomID string) error {
	if _, err := w.q.exec(ctx, `DELETE FROM inbox_leads WHERE connection_id = $1 AND intercom_id = $2 AND state = $3`,
		connID, intercomID, string(InboxLeadCreating)); err != nil {
		return w.wrapWrite(err, "store: release inbox lead of intercom %s", intercomID)
	}
	return nil
}
