package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// TestClaimPendingWebhookEvents: leases keep two owners off one
// connection's events; an expired lease or a release frees them; topics
// filter; processed events are never claimed.
func TestClaimPendingWebhookEvents(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := storetest.Open(t, e.URL(t), store.Options{})
			var conn store.Connection
			err := s.InTx(ctx, func(tx store.Tx) error {
				var err error
				if conn, err = tx.CreateConnection(ctx, store.Connection{Name: "a"}); err != nil {
					return err
				}
				for i, topic := range []string{"contact.user.updated", "contact.lead.created", "conversation.user.created",
					"company.updated", "contact.deleted"} {
					if _, _, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: conn.ID,
						NotificationID: fmt.Sprintf("n%d", i), Topic: topic, Payload: "{}"}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			claim := func(owner string, limit int, lease time.Duration) []store.WebhookEvent {
				t.Helper()
				var got []store.WebhookEvent
				if err := s.InTx(ctx, func(tx store.Tx) error {
					var err error
					got, err = tx.ClaimPendingWebhookEvents(ctx, conn.ID, limit, owner, time.Now().Add(lease), "contact.", "company.")
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return got
			}
			ids := func(evs []store.WebhookEvent) []string {
				var out []string
				for _, e := range evs {
					out = append(out, e.NotificationID)
				}
				return out
			}

			a := claim("a", 2, time.Minute)
			if got := fmt.Sprint(ids(a)); got != "[n0 n1]" {
				t.Fatalf("a claimed %s, want [n0 n1]", got)
			}
			if b := claim("b", 10, time.Minute); len(b) != 0 {
				t.Fatalf("b claimed %v while a holds a lease", ids(b))
			}
			if got := fmt.Sprint(ids(claim("a", 10, time.Minute))); got != "[n3 n4]" {
				t.Fatalf("a's second claim = %s, want [n3 n4] (conversation topics are not claimed)", got)
			}
			// a finishes the first two and gives up the others.
			if err := s.InTx(ctx, func(tx store.Tx) error {
				if err := tx.MarkWebhookEventsProcessed(ctx, []int64{a[0].ID, a[1].ID}); err != nil {
					return err
				}
				pending, err := tx.ListPendingWebhookEvents(ctx, conn.ID, 10)
				if err != nil {
					return err
				}
				var all []int64
				for _, p := range pending {
					all = append(all, p.ID)
				}
				return tx.ReleaseWebhookEvents(ctx, all, "a")
			}); err != nil {
				t.Fatal(err)
			}
			// An expired lease frees events too.
			if got := fmt.Sprint(ids(claim("b", 10, -time.Second))); got != "[n3 n4]" {
				t.Fatalf("b claimed %s after the release, want [n3 n4]", got)
			}
			c := claim("c", 10, time.Second)
			if got := fmt.Sprint(ids(c)); got != "[n3 n4]" {
				t.Fatalf("c claimed %s after b's lease expired, want [n3 n4]", got)
			}
			// A renewed lease keeps others off after the first one would
			// have run out; a renewal by an owner that lost the events
			// renews nothing.
			renew := func(owner string, lease time.Duration) int {
				t.Helper()
				var n int
				if err := s.InTx(ctx, func(tx store.Tx) error {
					var err error
					n, err = tx.RenewWebhookEventClaims(ctx, []int64{c[0].ID, c[1].ID}, owner, time.Now().Add(lease))
					return err
				}); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := renew("c", time.Minute); n != 2 {
				t.Fatalf("c renewed %d of its 2 events", n)
			}
			time.Sleep(1100 * time.Millisecond) // past the first lease
			if d := claim("d", 10, time.Minute); len(d) != 0 {
				t.Fatalf("d claimed %v while c's renewed lease runs", ids(d))
			}
			if n := renew("b", time.Minute); n != 0 {
				t.Fatalf("b renewed %d events it no longer holds", n)
			}
		})
	}
}
