package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/setupcheck"
	"github.com/ferrysync/ferry/internal/store"
)

// ConnectionView is a connection as admins see it: state and cause (F1.3)
// with its explanation, identities, which sides have credentials (never
// the credentials), how many records are mapped and the initial sync's
// progress.
type ConnectionView struct {
	ID           int64          `json:"id"`
	Name         string         `json:"name"`
	Default      bool           `json:"default"`
	State        string         `json:"state"`
	Cause        string         `json:"cause,omitempty"`
	CauseMessage string         `json:"cause_message,omitempty"`
	Since        time.Time      `json:"since"`
	Salesforce   SideView       `json:"salesforce"`
	Intercom     SideView       `json:"intercom"`
	Mappings     map[string]int `json:"mappings"`
	// InitialSync is the progress of the initial sync at connect, per
	// object (F3.8); empty until both sides are connected.
	InitialSync []InitialSyncView `json:"initial_sync"`
	// SetupCheck is the last setup check (F1.4): Salesforce fields ferry
	// needs that are missing, hidden or read-only, each with its fix, and
	// the features off meanwhile; absent before the first check.
	SetupCheck *setupcheck.Result `json:"setup_check,omitempty"`
	// Sync says whether sync moves on a connected connection, and if not
	// why (no successful poll in three intervals, changes waiting too long,
	// Salesforce unreachable).
	Sync      connection.SyncHealth `json:"sync"`
	CreatedAt time.Time             `json:"created_at"`
}

// InitialSyncView is the initial sync's progress for one object.
type InitialSyncView struct {
	Object    string `json:"object"`
	State     string `json:"state"`
	Processed int64  `json:"processed"`
	// Total is how many records Intercom lists for the object; 0 while
	// unknown (before the first page).
	Total      int64      `json:"total"`
	Matched    int64      `json:"matched"`
	Ambiguous  int64      `json:"ambiguous"`
	Message    string     `json:"message,omitempty"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// SideView is one side of a connection.
type SideView struct {
	HasCredentials bool   `json:"has_credentials"`
	OrgID          string `json:"org_id,omitempty"`
	InstanceURL    string `json:"instance_url,omitempty"`
	WorkspaceID    string `json:"workspace_id,omitempty"`
}

// Connection returns connection id, or the default connection for id 0.
func (a *App) Connection(ctx context.Context, id int64) (store.Connection, error) {
	if id == 0 {
		id = a.defConn
	}
	if id == 0 {
		return store.Connection{}, errorf(Invalid, "no connection given: add ?connection=ID (this server has no default connection)")
	}
	c, err := a.store.GetConnection(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, errorf(NotFound, "connection %d does not exist", id)
	}
	return c, err
}

// ViewConnection returns what admins see of a connection.
func (a *App) ViewConnection(ctx context.Context, c store.Connection) (ConnectionView, error) {
	v := summary(c, a.defConn)
	for kind, side := range map[store.CredentialKind]*SideView{store.CredentialSalesforce: &v.Salesforce, store.CredentialIntercom: &v.Intercom} {
		_, err := a.store.GetCredential(ctx, c.ID, kind)
		switch {
		case err == nil:
			side.HasCredentials = true
		case errors.Is(err, store.ErrNotFound):
		case errors.Is(err, store.ErrNoSecret):
			// Without the key the credential cannot be read but exists.
			side.HasCredentials = true
		default:
			return ConnectionView{}, fmt.Errorf("connection %d: %s credential: %w", c.ID, kind, err)
		}
	}
	for _, kind := range []store.MappingKind{store.MappingPerson, store.MappingCompany} {
		n, err := a.store.CountMappings(ctx, c.ID, kind)
		if err != nil {
			return ConnectionView{}, fmt.Errorf("connection %d: count mappings: %w", c.ID, err)
		}
		v.Mappings[string(kind)] = n
	}
	syncs, err := a.store.ListInitialSyncs(ctx, c.ID)
	if err != nil {
		return ConnectionView{}, fmt.Errorf("connection %d: initial sync: %w", c.ID, err)
	}
	facts, err := engine.ReadSyncFacts(ctx, a.store, c, a.poll)
	if err != nil {
		return ConnectionView{}, fmt.Errorf("connection %d: %w", c.ID, err)
	}
	v.Sync = connection.AssessSync(facts, a.now(), a.stall)
	v.InitialSync = make([]InitialSyncView, 0, len(syncs))
	for _, is := range syncs {
		v.InitialSync = append(v.InitialSync, InitialSyncView{
			Object: is.Object, State: is.State, Processed: is.Processed, Total: is.Total, Matched: is.Matched, Ambiguous: is.Ambiguous,
			Message: is.Message, StartedAt: is.StartedAt.UTC(), FinishedAt: is.FinishedAt,
		})
	}
	res, err := connection.LastSetupCheck(ctx, a.store, c.ID)
	if err != nil {
		return ConnectionView{}, err
	}
	if !res.CheckedAt.IsZero() {
		v.SetupCheck = &res
	}
	return v, nil
}

// ConnectionSummaries returns every connection, oldest first, with what
// the connection row itself holds (name, state and cause, identities): no
// credentials, counts or progress, so listing them stays cheap on a large
// connection.
func (a *App) ConnectionSummaries(ctx context.Context) ([]ConnectionView, error) {
	conns, err := a.store.ListConnections(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ConnectionView, 0, len(conns))
	for _, c := range conns {
		out = append(out, summary(c, a.defConn))
	}
	return out, nil
}

// summary is the part of a connection's view its row holds.
func summary(c store.Connection, defConn int64) ConnectionView {
	return ConnectionView{
		ID: c.ID, Name: c.Name, Default: c.ID == defConn, State: string(c.State), Cause: c.Cause,
		CauseMessage: connection.CauseMessage(c.Cause), Since: c.StateChangedAt.UTC(), CreatedAt: c.CreatedAt.UTC(),
		Salesforce: SideView{OrgID: c.SalesforceOrgID, InstanceURL: c.SalesforceInstanceURL},
		Intercom:   SideView{WorkspaceID: c.IntercomWorkspaceID},
		Mappings:   map[string]int{},
	}
}

// GetConnection returns the view of connection id (0: the default).
func (a *App) GetConnection(ctx context.Context, id int64) (ConnectionView, error) {
	c, err := a.Connection(ctx, id)
	if err != nil {
		return ConnectionView{}, err
	}
	return a.ViewConnection(ctx, c)
}

// ListConnections returns every connection, oldest first.
func (a *App) ListConnections(ctx context.Context) ([]ConnectionView, error) {
	conns, err := a.store.ListConnections(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ConnectionView, 0, len(conns))
	for _, c := range conns {
		v, err := a.ViewConnection(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// CreateConnection adds a pending connection for another workspace and
// org, to be connected through the OAuth flows.
func (a *App) CreateConnection(ctx context.Context, name string) (ConnectionView, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return ConnectionView{}, errorf(Invalid, "name is required (at most 200 characters)")
	}
	var c store.Connection
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		c, err = tx.CreateConnection(ctx, store.Connection{Name: name})
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return ConnectionView{}, errorf(Conflict, "a connection named %q already exists", name)
	}
	if err != nil {
		return ConnectionView{}, err
	}
	a.log.InfoContext(ctx, "connection created", "connection", c.ID, "name", c.Name)
	return a.ViewConnection(ctx, c)
}

// Disconnect revokes a connection's tokens and forgets them; with purge it
// also deletes every row of the connection (F1.5).
func (a *App) Disconnect(ctx context.Context, id int64, purge bool) error {
	if _, err := a.Connection(ctx, id); err != nil {
		return err
	}
	if err := a.manager.Disconnect(ctx, id, purge); err != nil {
		return err
	}
	a.log.InfoContext(ctx, "connection disconnected by admin", "connection", id, "purge", purge)
	return nil
}
