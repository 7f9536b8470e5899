package app

import (
	"context"
	"errors"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// actionWait is how long a request waits for another one creating the same
// record before it gives up; actionStale is how old a claim must be before
// it is taken as left by a crash.
const (
	actionWait  = 8 * time.Second
	actionStale = 2 * time.Minute
)

// once creates the Salesforce record of an inbox action at most once per
// key, whatever the number of identical requests (double clicks, retries,
// several instances): a claim row is committed before create runs, later
// requests wait for it and answer its record with existed. A failed create
// releases the claim, so a retry tries again; done runs in the transaction
// that records the created record.
func (a *App) once(ctx context.Context, connID int64, key string, create func() (string, error),
	done func(tx store.Tx, id string) error) (id string, existed bool, err error) {
	deadline := a.now().Add(actionWait)
	stale := 0
	for {
		var claimed bool
		err := a.store.InTx(ctx, func(tx store.Tx) error {
			var err error
			claimed, err = tx.ClaimInboxAction(ctx, connID, key, stale)
			return err
		})
		if err != nil {
			return "", false, err
		}
		if claimed {
			break
		}
		row, err := a.store.GetInboxAction(ctx, connID, key)
		switch {
		case errors.Is(err, store.ErrNotFound):
			stale = 0 // released by a failed create: claim afresh
			continue
		case err != nil:
			return "", false, err
		case row.State == store.InboxActionCreated:
			return row.RecordID, true, nil
		case a.now().Sub(row.UpdatedAt) > actionStale:
			stale = row.Attempt // left by a crash: take it over
			continue
		case a.now().After(deadline):
			return "", false, errorf(Conflict, "This is still being created by an earlier click. Wait a moment and reload the app.")
		}
		stale = 0
		select {
		case <-ctx.Done():
			return "", false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	id, err = create()
	if err != nil {
		if rerr := a.store.InTx(context.WithoutCancel(ctx), func(tx store.Tx) error {
			return tx.ReleaseInboxAction(ctx, connID, key)
		}); rerr != nil {
			a.log.WarnContext(ctx, "release the claim of a failed inbox action", "key", key, "error", rerr)
		}
		return "", false, err
	}
	err = a.store.InTx(context.WithoutCancel(ctx), func(tx store.Tx) error {
		if err := tx.FinishInboxAction(ctx, connID, key, id); err != nil {
			return err
		}
		if done != nil {
			return done(tx, id)
		}
		return nil
	})
	return id, false, err
}
