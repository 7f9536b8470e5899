package app

import (
	"context"
	"errors"

	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// Resync matches again, on demand, every record that has no mapping:
// Intercom contacts against Leads and Contacts by the person key and, with
// account sync on, companies against Accounts by the company field. It
// runs as the initial sync does (its progress is the connection's
// initial_sync), in the backfill lane of the API budget, which stops first
// when the day's calls run low. Matching only maps records that exist on
// both sides: it never creates a record on either side. Saving settings
// that change a key does the same by itself.
func (a *App) Resync(ctx context.Context, id int64) (ConnectionView, error) {
	c, err := a.Connection(ctx, id)
	if err != nil {
		return ConnectionView{}, err
	}
	if c.State != store.StateConnected {
		return ConnectionView{}, errorf(Conflict, "connection %d is not connected (%s): connect both sides before matching again", c.ID, c.State)
	}
	err = a.store.InTx(ctx, func(tx store.Tx) error {
		cur, err := tx.GetSettings(ctx, c.ID)
		if errors.Is(err, store.ErrNotFound) {
			return errorf(Conflict, "connection %d has no settings yet: save them first (saving them starts matching)", c.ID)
		}
		if err != nil {
			return err
		}
		doc, err := settings.Parse(cur.Doc)
		if err != nil {
			return errorf(Conflict, "the saved settings cannot be read (%v): save them again first", err)
		}
		objects := []string{engine.InitialContacts}
		if doc.Identity.Company.Salesforce != "" {
			objects = append(objects, engine.InitialCompanies)
		}
		return engine.RestartMatching(ctx, tx, c.ID, objects, a.now())
	})
	if err != nil {
		return ConnectionView{}, err
	}
	a.log.InfoContext(ctx, "matching started again by admin", "connection", c.ID)
	return a.GetConnection(ctx, c.ID)
}
