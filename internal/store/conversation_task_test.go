package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// A conversation's Task row is claimed once whoever asks (F6.1, F6.2), and
// moved out of a state or dropped only while it is still in it.
func TestConversationTaskClaims(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection) {
		row := store.ConversationTask{ConnectionID: conn.ID, ConversationID: "c1", WhoID: "003A", IntercomID: "ic1", State: store.TaskLogging}
		claim := func(ct store.ConversationTask) (won []bool) {
			t.Helper()
			if err := s.InTx(ctx, func(tx store.Tx) (err error) {
				won, err = tx.ClaimConversationTasks(ctx, []store.ConversationTask{ct})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return won
		}
		inTx := func(f func(tx store.Tx) (bool, error)) (ok bool) {
			t.Helper()
			if err := s.InTx(ctx, func(tx store.Tx) (err error) { ok, err = f(tx); return err }); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if won := claim(row); !won[0] {
			t.Fatal("the first claim lost")
		}
		engineRow := row
		engineRow.State = store.TaskCreating
		if won := claim(engineRow); won[0] {
			t.Fatal("a second claim of the same conversation and person won")
		}
		// Not taken over while the claim is fresh.
		if inTx(func(tx store.Tx) (bool, error) {
			return tx.SetConversationTaskIf(ctx, engineRow, store.TaskLogging, time.Now().Add(-store.LoggingTimeout))
		}) {
			t.Fatal("a fresh claim was taken over")
		}
		done := row
		done.TaskID, done.State = "00T1", store.TaskCompleted
		if !inTx(func(tx store.Tx) (bool, error) {
			return tx.SetConversationTaskIf(ctx, done, store.TaskLogging, time.Time{})
		}) {
			t.Fatal("the holder could not finish its claim")
		}
		if inTx(func(tx store.Tx) (bool, error) { return tx.DropConversationTaskIf(ctx, row, store.TaskLogging) }) {
			t.Fatal("a finished Task was dropped")
		}
		rows, err := s.ListConversationTasks(ctx, conn.ID, []string{"c1"})
		if err != nil || len(rows) != 1 || rows[0].TaskID != "00T1" || rows[0].State != store.TaskCompleted {
			t.Fatalf("rows %+v (%v)", rows, err)
		}
		// A failed create's claim is dropped and can be claimed again.
		other := row
		other.ConversationID = "c2"
		claim(other)
		if !inTx(func(tx store.Tx) (bool, error) { return tx.DropConversationTaskIf(ctx, other, store.TaskLogging) }) {
			t.Fatal("a claim could not be dropped")
		}
		if won := claim(other); !won[0] {
			t.Fatal("a dropped claim could not be claimed again")
		}
	})
}
