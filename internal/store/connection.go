package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// ConnectionState is whether a connection is syncing.
type ConnectionState string

// Connection states. A disconnected connection names its Cause; changes keep
// queueing while it is disconnected (F1.3).
const (
	StatePending      ConnectionState = "pending"
	StateConnected    ConnectionState = "connected"
	StateDisconnected ConnectionState = "disconnected"
	// StateAPILimitReached: Salesforce refuses API calls because the org's
	// daily request limit is used up (REQUEST_LIMIT_EXCEEDED). Work waits;
	// ferry re-reads the org's limits with backoff and returns to connected
	// by itself once calls are accepted again. Cause is CauseAPILimitReached.
	StateAPILimitReached ConnectionState = "api_limit_reached"
	// StateAPIDisabled: Salesforce refuses API calls because API access is
	// off for the org or the connected user (API_DISABLED_FOR_ORG); as
	// StateAPILimitReached, it ends by itself once calls are accepted. Cause
	// is CauseAPIDisabled.
	StateAPIDisabled ConnectionState = "api_disabled"
)

// APIPaused reports a state in which Salesforce refuses API calls for a
// while (the API limit, API access off): the connection's credentials are
// good, work waits, and ferry checks until calls are accepted again.
func (s ConnectionState) APIPaused() bool {
	return s == StateAPILimitReached || s == StateAPIDisabled
}

// Causes of a disconnection (F1.3).
const (
	CauseTokenRevoked      = "token_revoked"
	CauseApprovalsExceeded = "approvals_exceeded"
	CauseAPIDisabled       = "api_disabled"
	CauseAPILimitReached   = "api_limit_reached"
	CauseUserDisconnected  = "user_disconnected"
)

// Connection pairs one Intercom workspace with one Salesforce org.
type Connection struct {
	ID                    int64
	Name                  string
	IntercomWorkspaceID   string
	SalesforceOrgID       string
	SalesforceInstanceURL string
	// SalesforceClient is a random id made once when the connection is
	// created: it tells this deployment's connection apart from any other
	// ferry writing to the same org (see connection.SalesforceClientName).
	SalesforceClient string
	State            ConnectionState
	Cause            string
	StateChangedAt   time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

const connectionColumns = `id, name, intercom_workspace_id, salesforce_org_id, salesforce_instance_url,
	salesforce_client, state, cause, state_changed_at, created_at, updated_at`

func scanConnection(r row) (Connection, error) {
	var c Connection
	err := r.Scan(&c.ID, &c.Name, &c.IntercomWorkspaceID, &c.SalesforceOrgID, &c.SalesforceInstanceURL,
		&c.SalesforceClient, &c.State, &c.Cause, timeCol{&c.StateChangedAt}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	return c, err
}

// GetConnection returns one connection.
func (r *reader) GetConnection(ctx context.Context, id int64) (Connection, error) {
	c, err := scanConnection(r.q.queryRow(ctx, `SELECT `+connectionColumns+` FROM connections WHERE id = $1`, id))
	if err != nil {
		return Connection{}, notFound(err, "store: get connection %d", id)
	}
	return c, nil
}

// ListConnections returns all connections in creation order.
func (r *reader) ListConnections(ctx context.Context) ([]Connection, error) {
	rs, err := r.q.query(ctx, `SELECT `+connectionColumns+` FROM connections ORDER BY id`)
	out, err := collect(rs, err, func(rs rows) (Connection, error) { return scanConnection(rs) })
	if err != nil {
		return nil, fmt.Errorf("store: list connections: %w", err)
	}
	return out, nil
}

// CreateConnection inserts a connection; State defaults to pending, and
// SalesforceClient is made here (any value given is replaced).
func (w *writer) CreateConnection(ctx context.Context, c Connection) (Connection, error) {
	if c.Name == "" {
		return Connection{}, fmt.Errorf("store: create connection: name is empty: %w", ErrInvalid)
	}
	if c.State == "" {
		c.State = StatePending
	}
	c.SalesforceClient = newSalesforceClient()
	t := now()
	c.StateChangedAt, c.CreatedAt, c.UpdatedAt = t, t, t
	err := w.q.queryRow(ctx, `INSERT INTO connections (name, intercom_workspace_id, salesforce_org_id,
		salesforce_instance_url, salesforce_client, state, cause, state_changed_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) RETURNING id`,
		c.Name, c.IntercomWorkspaceID, c.SalesforceOrgID, c.SalesforceInstanceURL, c.SalesforceClient, string(c.State), c.Cause, t).Scan(&c.ID)
	if err != nil {
		return Connection{}, w.wrapWrite(err, "store: create connection")
	}
	return c, nil
}

// UpdateConnectionState records that a connection is connected or
// disconnected, and why.
func (w *writer) UpdateConnectionState(ctx context.Context, id int64, state ConnectionState, cause string) error {
	switch state {
	case StatePending, StateConnected, StateDisconnected, StateAPILimitReached, StateAPIDisabled:
	default:
		return fmt.Errorf("store: update connection %d: unknown state %q: %w", id, state, ErrInvalid)
	}
	if state == StateConnected {
		cause = ""
	}
	t := now()
	// state_changed_at moves only on a real change, so the banner can say
	// since when a connection has been down.
	n, err := w.q.exec(ctx, `UPDATE connections SET
		state_changed_at = CASE WHEN state = $2 AND cause = $3 THEN state_changed_at ELSE $4 END,
		state = $2, cause = $3, updated_at = $4 WHERE id = $1`, id, string(state), cause, t)
	if err != nil {
		return fmt.Errorf("store: update connection %d state: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: update connection %d state: %w", id, ErrNotFound)
	}
	return nil
}

// UpdateConnectionIdentity records which workspace and org a connection
// reached once OAuth completes.
func (w *writer) UpdateConnectionIdentity(ctx context.Context, id int64, intercomWorkspaceID, salesforceOrgID, salesforceInstanceURL string) error {
	n, err := w.q.exec(ctx, `UPDATE connections SET intercom_workspace_id = $2, salesforce_org_id = $3,
		salesforce_instance_url = $4, updated_at = $5 WHERE id = $1`,
		id, intercomWorkspaceID, salesforceOrgID, salesforceInstanceURL, now())
	if err != nil {
		return fmt.Errorf("store: update connection %d identity: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: update connection %d identity: %w", id, ErrNotFound)
	}
	return nil
}

// DeleteConnection deletes a connection and, by cascade, every row that
// belongs to it (F1.5 purge), and the jobs whose args carry its
// "connection_id" unless they are running; a running one finds the
// connection gone (ErrNotFound) and should cancel itself.
func (w *writer) DeleteConnection(ctx context.Context, id int64) error {
	n, err := w.q.exec(ctx, `DELETE FROM connections WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("store: delete connection %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: delete connection %d: %w", id, ErrNotFound)
	}
	if _, err := w.q.exec(ctx, `DELETE FROM river_job WHERE state <> 'running' AND `+w.d.jobConnectionIs, id); err != nil {
		return fmt.Errorf("store: delete connection %d: purge jobs: %w", id, err)
	}
	return nil
}

// newSalesforceClient is a connection's random client id: 12 hex digits
// (48 bits), so two deployments' connections practically never share one,
// and the name built from it stays short.
func newSalesforceClient() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
