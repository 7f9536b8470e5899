package app

import (
	"context"
	"errors"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/setupcheck"
)

// SetupCheckView is the answer of a setup check (F1.4): whether every
// Salesforce field ferry needs is there, each problem with its exact
// message and fix, and which features are off because of it.
type SetupCheckView struct {
	ConnectionID int64 `json:"connection_id"`
	setupcheck.Result
}

// SetupCheck runs connection id's setup check now (0: the default
// connection): the Salesforce objects are described afresh and checked
// against the fields ferry needs for its features, the person and company
// keys and every mapped field. The result is stored, so the connection
// shows it, and the sync engine picks it up (a field back resumes its
// mapping and writes the changes kept meanwhile).
func (a *App) SetupCheck(ctx context.Context, id int64) (SetupCheckView, error) {
	c, err := a.Connection(ctx, id)
	if err != nil {
		return SetupCheckView{}, err
	}
	res, err := a.manager.SetupCheck(ctx, c.ID)
	switch {
	case errors.Is(err, connection.ErrNotConnected):
		return SetupCheckView{}, errorf(Conflict, "Salesforce is not connected on connection %d: connect it, then run the setup check", c.ID)
	case connection.SalesforceCause(err) != "":
		return SetupCheckView{}, errorf(Unavailable, "cannot describe the Salesforce objects: %s", connection.CauseMessage(connection.SalesforceCause(err)))
	case err != nil:
		return SetupCheckView{}, err
	}
	a.log.InfoContext(ctx, "setup check run", "connection", c.ID, "ok", res.OK, "problems", len(res.Problems))
	return SetupCheckView{ConnectionID: c.ID, Result: res}, nil
}
