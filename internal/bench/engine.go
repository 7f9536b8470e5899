package bench

import (
	"context"
	"time"

	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store"
)

// EngineSyncer builds ferry's sync engine, as `ferry serve` runs it.
func EngineSyncer(d SyncerDeps) jobs.Syncer {
	return engine.New(engine.Options{Store: d.Store, Manager: d.Manager, Logger: d.Logger})
}

// startInitialSync makes sure the connection's initial sync is queued. The
// engine does nothing when it was started already (by the connect
// callback), so calling it after connecting is safe either way.
func startInitialSync(ctx context.Context, f *Ferry) error {
	return f.Store.InTx(ctx, func(tx store.Tx) error {
		return engine.StartInitialSync(ctx, tx, f.ConnID, time.Now().UTC())
	})
}
