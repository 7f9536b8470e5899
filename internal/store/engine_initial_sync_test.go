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
		put := func(f func(tx store.Tx) error) { inTx(t, ctx, s, f) }
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

// TestInitialSyncTotal: the records a run goes through, as Intercom counts
// them, are stored with its progress and start again at 0 with a new run.
func TestInitialSyncTotal(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection) {
		total := func() int64 {
			t.Helper()
			rows, err := s.ListInitialSyncs(ctx, conn.ID)
			if err != nil || len(rows) != 1 {
				t.Fatalf("rows = %+v (%v), want one", rows, err)
			}
			return rows[0].Total
		}
		put := func(f func(tx store.Tx) error) { inTx(t, ctx, s, f) }
		put(func(tx store.Tx) error {
			return tx.PutInitialSync(ctx, store.InitialSync{ConnectionID: conn.ID, Object: "contacts", State: "running", Cursor: "1"})
		})
		put(func(tx store.Tx) error {
			_, err := tx.PutInitialSyncProgress(ctx, store.InitialSync{ConnectionID: conn.ID, Object: "contacts",
				State: "running", Cursor: "1", Processed: 150, Total: 4200})
			return err
		})
		if got := total(); got != 4200 {
			t.Errorf("total after progress = %d, want 4200", got)
		}
		put(func(tx store.Tx) error {
			return tx.PutInitialSync(ctx, store.InitialSync{ConnectionID: conn.ID, Object: "contacts", State: "running", Cursor: "2"})
		})
		if got := total(); got != 0 {
			t.Errorf("total of a new run = %d, want 0 (unknown)", got)
		}
	})
}

// inTx runs f in a transaction of s and fails the test on an error.
func inTx(t *testing.T, ctx context.Context, s store.Store, f func(tx store.Tx) error) {
	t.Helper()
	if err := s.InTx(ctx, f); err != nil {
		t.Fatal(err)
	}
}
