package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

func TestPendingWebhookEvents(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := storetest.Open(t, e.URL(t), store.Options{})
			var connA, connB store.Connection
			var ids []int64
			err := s.InTx(ctx, func(tx store.Tx) error {
				var err error
				if connA, err = tx.CreateConnection(ctx, store.Connection{Name: "a"}); err != nil {
					return err
				}
				if connB, err = tx.CreateConnection(ctx, store.Connection{Name: "b"}); err != nil {
					return err
				}
				for i := range 5 {
					ev, _, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: connA.ID,
						NotificationID: fmt.Sprintf("notif_a%d", i), Topic: "contact.user.updated", Payload: "{}"})
					if err != nil {
						return err
					}
					ids = append(ids, ev.ID)
				}
				_, _, err = tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: connB.ID,
					NotificationID: "notif_b", Topic: "contact.user.updated", Payload: "{}"})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.ListPendingWebhookEvents(ctx, connA.ID, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 || got[0].ID != ids[0] || got[2].ID != ids[2] {
				t.Fatalf("first page = %+v, want the 3 oldest of connection a", got)
			}
			if err := s.InTx(ctx, func(tx store.Tx) error {
				return tx.MarkWebhookEventsProcessed(ctx, []int64{ids[0], ids[1], ids[2]})
			}); err != nil {
				t.Fatal(err)
			}
			got, err = s.ListPendingWebhookEvents(ctx, connA.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].ID != ids[3] || got[1].ID != ids[4] {
				t.Fatalf("after marking = %+v, want events 4 and 5", got)
			}
			ev, err := s.GetWebhookEvent(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if ev.ProcessedAt == nil {
				t.Error("marked event has no processed time")
			}
			other, err := s.ListPendingWebhookEvents(ctx, connB.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(other) != 1 {
				t.Errorf("connection b pending = %d, want 1", len(other))
			}
		})
	}
}
