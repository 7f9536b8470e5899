package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// TestDrainRequest: a drain request is set once until cleared (the intake
// enqueues a drain job only when it sets it), a stale one is set again, and
// it belongs to one connection and kind.
func TestDrainRequest(t *testing.T) {
	eachEngine(t, func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection) {
		request := func(kind string, staleBefore time.Time) bool {
			t.Helper()
			var set bool
			if err := s.InTx(ctx, func(tx store.Tx) (err error) {
				set, err = tx.RequestDrain(ctx, conn.ID, kind, staleBefore)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return set
		}
		requested := func(kind string) bool {
			t.Helper()
			at, err := s.DrainRequested(ctx, conn.ID, kind)
			if err != nil {
				t.Fatal(err)
			}
			return at != nil
		}
		long := time.Now().Add(-time.Hour)
		if requested("contacts") {
			t.Fatal("requested before any request")
		}
		if !request("contacts", long) {
			t.Fatal("the first request did not set it")
		}
		if request("contacts", long) {
			t.Fatal("a second request set it again while it was set")
		}
		if !requested("contacts") || requested("conversations") {
			t.Fatal("the request is not of its kind only")
		}
		if !request("conversations", long) {
			t.Fatal("a request of another kind was taken as set")
		}
		if err := s.InTx(ctx, func(tx store.Tx) error { return tx.ClearDrainRequest(ctx, conn.ID, "contacts") }); err != nil {
			t.Fatal(err)
		}
		if requested("contacts") || !requested("conversations") {
			t.Fatal("the clear did not clear its kind only")
		}
		if !request("contacts", long) {
			t.Fatal("a request after the clear did not set it")
		}
		// A request older than staleBefore counts as not set.
		if !request("contacts", time.Now().Add(time.Minute)) {
			t.Fatal("a stale request was not set again")
		}
		// A request that rolls back leaves it as it was.
		rollback := errors.New("rollback")
		if err := s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.ClearDrainRequest(ctx, conn.ID, "contacts"); err != nil {
				return err
			}
			return rollback
		}); !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		if !requested("contacts") {
			t.Fatal("a rolled back clear cleared the request")
		}
		if err := s.InTx(ctx, func(tx store.Tx) error {
			_, err := tx.RequestDrain(ctx, conn.ID, "", long)
			return err
		}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("a request of no kind: %v, want ErrInvalid", err)
		}
		// Purging the connection takes its requests with it.
		// Counted in the purging transaction: once it commits, SQLite may
		// give the freed id to a connection a parallel test creates.
		var rows map[string]int64
		if err := s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.DeleteConnection(ctx, conn.ID); err != nil {
				return err
			}
			var err error
			rows, err = tx.CountConnectionRows(ctx, conn.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 0 {
			t.Fatalf("rows left after the purge: %v", rows)
		}
	})
}

// TestPendingWebhookEventEnds: the first and last pending events of some
// topics, 0 when there is none.
func TestPendingWebhookEventEnds(t *testing.T) {
	eachEngine(t, func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection) {
		var ids []int64
		if err := s.InTx(ctx, func(tx store.Tx) error {
			for i, topic := range []string{"contact.user.created", "conversation.user.created", "company.updated", "conversation.admin.closed"} {
				ev, _, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: conn.ID,
					NotificationID: "n" + string(rune('a'+i)), Topic: topic, Payload: "{}"})
				if err != nil {
					return err
				}
				ids = append(ids, ev.ID)
			}
			return tx.MarkWebhookEventsProcessed(ctx, ids[:1])
		}); err != nil {
			t.Fatal(err)
		}
		ends := func(prefixes ...string) [2]int64 {
			t.Helper()
			first, err := s.FirstPendingWebhookEvent(ctx, conn.ID, prefixes...)
			if err != nil {
				t.Fatal(err)
			}
			last, err := s.LastPendingWebhookEvent(ctx, conn.ID, prefixes...)
			if err != nil {
				t.Fatal(err)
			}
			return [2]int64{first, last}
		}
		if got, want := ends("contact.", "company."), [2]int64{ids[2], ids[2]}; got != want {
			t.Errorf("contacts and companies: %v, want %v", got, want)
		}
		if got, want := ends("conversation."), [2]int64{ids[1], ids[3]}; got != want {
			t.Errorf("conversations: %v, want %v", got, want)
		}
		if got, want := ends(), [2]int64{ids[1], ids[3]}; got != want {
			t.Errorf("all: %v, want %v", got, want)
		}
		if got := ends("ticket."); got != [2]int64{} {
			t.Errorf("no such topic: %v, want none", got)
		}
	})
}
