package store_test

import (
	"context"
	"testing"

	"github.com/ferrysync/ferry/internal/store"
)

// TestInitialSyncProgressOfASupersededRun: progress of a run that a newer
// run replaced is not written over the newer run's (issue 8 item 10).
func TestInitialSyncProgressOfASupersededRun(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection) {
		put := func(f func(tx store.Tx) error) {
			t.Helper()
			if err := s.InTx(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		put(func(tx store.Tx) error {
			return tx.PutInitialSync(ctx, store.InitialSync{ConnectionID: conn.ID, Object: "contacts", State: "running", Cursor: "1"})
		})
		progress := func(run string, processed int64) (ok bool) {
			put(func(tx store.Tx) (err error) {
				ok, err = tx.PutInitialSyncProgress(ctx, store.InitialSync{ConnectionID: conn.ID, Object: "contacts",
					State: "running", Cursor: run, Processed: processed})
				return err
			})
			return ok
		}
		if !progress("1", 150) {
			t.Fatal("the current run's progress was refused")
		}
		put(func(tx store.Tx) error {
			return tx.PutInitialSync(ctx, store.InitialSync{ConnectionID: conn.ID, Object: "contacts", State: "running", Cursor: "2"})
		})
		if progress("1", 300) {
			t.Error("a superseded run's progress was written")
		}
		rows, err := s.ListInitialSyncs(ctx, conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Cursor != "2" || rows[0].Processed != 0 {
			t.Errorf("rows = %+v, want the new run from the start", rows)
		}
	})
}
