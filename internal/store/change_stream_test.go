package store_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// TestChangeStreamLease: one subscriber per connection across instances
// (F3.3); a lease that ran out or was released is taken over; a replay id
// is saved only by the lease's holder, so a stalled old holder cannot move
// the new one's position back.
func TestChangeStreamLease(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection) {
		if _, err := s.GetChangeStream(ctx, conn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetChangeStream before any = %v, want ErrNotFound", err)
		}
		acquire := func(owner string, until time.Time) bool {
			t.Helper()
			var ok bool
			if err := s.InTx(ctx, func(tx store.Tx) error {
				var err error
				ok, err = tx.AcquireChangeStream(ctx, conn.ID, owner, until)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		save := func(owner string, replay []byte, at time.Time) bool {
			t.Helper()
			var ok bool
			if err := s.InTx(ctx, func(tx store.Tx) error {
				var err error
				ok, err = tx.SaveChangeStreamReplay(ctx, conn.ID, owner, replay, at, 1500*time.Millisecond, 3)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		long := time.Now().Add(time.Hour)
		if !acquire("a", long) {
			t.Fatal("a could not take a free lease")
		}
		if acquire("b", long) {
			t.Fatal("b took a's live lease")
		}
		if !acquire("a", long) {
			t.Fatal("a could not renew its own lease")
		}
		commit := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		if !save("a", []byte{0, 0, 0, 0, 0, 0, 0, 7}, commit) {
			t.Fatal("the holder could not save its replay id")
		}
		if save("b", []byte{0, 0, 0, 0, 0, 0, 0, 9}, commit) {
			t.Fatal("a non-holder saved a replay id")
		}
		cs, err := s.GetChangeStream(ctx, conn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(cs.ReplayID, []byte{0, 0, 0, 0, 0, 0, 0, 7}) || cs.Holder != "a" || !cs.LastEventAt.Equal(commit) ||
			cs.Lag != 1500*time.Millisecond || cs.Events != 3 {
			t.Errorf("stream = %+v, want a's replay id 7, its event time and lag, 3 events", cs)
		}
		// a stops renewing: its lease runs out and b takes over.
		if !acquire("a", time.Now().Add(-time.Second)) {
			t.Fatal("renew into the past")
		}
		if !acquire("b", long) {
			t.Fatal("b could not take over an expired lease")
		}
		if save("a", []byte{0, 0, 0, 0, 0, 0, 0, 8}, time.Time{}) {
			t.Fatal("the old holder saved after the takeover")
		}
		if err := s.InTx(ctx, func(tx store.Tx) error { return tx.ReleaseChangeStream(ctx, conn.ID, "b") }); err != nil {
			t.Fatal(err)
		}
		if !acquire("c", long) {
			t.Fatal("c could not take a released lease")
		}
		// The replay id survives takeovers; a reset forgets it.
		cs, _ = s.GetChangeStream(ctx, conn.ID)
		if !bytes.Equal(cs.ReplayID, []byte{0, 0, 0, 0, 0, 0, 0, 7}) {
			t.Errorf("replay id after takeovers = %x, want the last saved", cs.ReplayID)
		}
		if err := s.InTx(ctx, func(tx store.Tx) error { return tx.ResetChangeStreamReplay(ctx, conn.ID) }); err != nil {
			t.Fatal(err)
		}
		if cs, _ = s.GetChangeStream(ctx, conn.ID); cs.ReplayID != nil {
			t.Errorf("replay id after reset = %x, want none", cs.ReplayID)
		}
	})
}

// TestChangeStreamMode: the mode and its cause are kept; the time it
// began moves only when the mode changes.
func TestChangeStreamMode(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection) {
		set := func(mode, cause string, objects []string) store.ChangeStream {
			t.Helper()
			if err := s.InTx(ctx, func(tx store.Tx) error {
				return tx.SetChangeStreamMode(ctx, conn.ID, mode, cause, objects, []string{"Account"})
			}); err != nil {
				t.Fatal(err)
			}
			cs, err := s.GetChangeStream(ctx, conn.ID)
			if err != nil {
				t.Fatal(err)
			}
			return cs
		}
		first := set(store.StreamModePoll, "stream failing", []string{})
		again := set(store.StreamModePoll, "stream failing still", nil)
		if again.Cause != "stream failing still" || !again.ModeSince.Equal(first.ModeSince) || again.Objects != nil {
			t.Errorf("same mode: %+v, want the new cause and the first time", again)
		}
		streaming := set(store.StreamModeStream, "", []string{"Lead", "Contact"})
		if streaming.Mode != store.StreamModeStream || streaming.Cause != "" || streaming.ModeSince.Before(first.ModeSince) ||
			!slices.Equal(streaming.Objects, []string{"Lead", "Contact"}) || !slices.Equal(streaming.Missing, []string{"Account"}) {
			t.Errorf("mode change: %+v", streaming)
		}
		if kept := set(store.StreamModePoll, "down", nil); !slices.Equal(kept.Objects, []string{"Lead", "Contact"}) {
			t.Errorf("objects after a change without them = %v, want kept", kept.Objects)
		}
		if err := s.InTx(ctx, func(tx store.Tx) error { return tx.SaveChangeStreamAllocation(ctx, conn.ID, 50000, 49000) }); err != nil {
			t.Fatal(err)
		}
		if cs, err := s.GetChangeStream(ctx, conn.ID); err != nil || cs.DeliveryMax != 50000 || cs.DeliveryRemaining != 49000 ||
			cs.DeliveryReadAt.IsZero() || cs.Mode != store.StreamModePoll {
			t.Errorf("after saving the allocation: %+v, %v", cs, err)
		}
	})
}
