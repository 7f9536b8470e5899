package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// seedMappings inserts n person mappings, 1,000 a transaction.
func seedMappings(b *testing.B, s store.Store, connID int64, n int) {
	b.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += 1000 {
		err := s.InTx(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				if _, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: connID, Kind: store.MappingPerson,
					IntercomID: fmt.Sprintf("ic%07d", i), IntercomRole: store.RoleUser, SFObject: store.ObjectContact,
					SFID: fmt.Sprintf("003%012d", i), MatchKey: "email"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMappingLookup200k looks up batches of 200 Intercom ids (one
// sObject Collections call's worth) among 200,000 mappings.
func BenchmarkMappingLookup200k(b *testing.B) {
	const records, batch = 200_000, 200
	for _, e := range storetest.Engines() {
		b.Run(string(e.Engine), func(b *testing.B) {
			url := e.URL(b)
			s := storetest.Open(b, url, store.Options{})
			c := newConnection(b, s)
			seedMappings(b, s, c.ID, records)
			// Fresh statistics, as autovacuum would have by now in a real
			// database; without them PostgreSQL plans for an empty table.
			rawDB{b, e.Engine, url}.exec(`ANALYZE`)
			ctx := context.Background()
			ids := make([]string, batch)
			b.ResetTimer()
			for b.Loop() {
				for i := range ids {
					ids[i] = fmt.Sprintf("ic%07d", rand.IntN(records))
				}
				got, err := s.ListMappingsByIntercomIDs(ctx, c.ID, ids)
				if err != nil || len(got) == 0 {
					b.Fatal(len(got), err)
				}
			}
		})
	}
}

// BenchmarkUpsertMappings200 writes 200 mappings in one transaction.
func BenchmarkUpsertMappings200(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Engine), func(b *testing.B) {
			s := storetest.Open(b, e.URL(b), store.Options{})
			c := newConnection(b, s)
			ctx := context.Background()
			round := 0
			for b.Loop() {
				round++
				err := s.InTx(ctx, func(tx store.Tx) error {
					for i := range 200 {
						if _, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: c.ID, Kind: store.MappingPerson,
							IntercomID: fmt.Sprintf("ic%d-%d", round, i), SFObject: store.ObjectLead, SFID: fmt.Sprintf("00Q%d-%d", round, i)}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFieldStates200x5 puts then gets the states of 200 records with
// 5 fields each, as a poll of one batch does.
func BenchmarkFieldStates200x5(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Engine), func(b *testing.B) {
			s := storetest.Open(b, e.URL(b), store.Options{})
			c := newConnection(b, s)
			ctx := context.Background()
			states := make([]store.FieldState, 0, 1000)
			ids := make([]string, 200)
			for r := range 200 {
				ids[r] = fmt.Sprintf("003%012d", r)
				for f := range 5 {
					states = append(states, store.FieldState{ConnectionID: c.ID, Side: store.SideSalesforce, RecordID: ids[r],
						Field: fmt.Sprintf("Field%d__c", f), Value: `"some value"`, Origin: store.OriginSalesforce, ChangedAt: time.Now()})
				}
			}
			for b.Loop() {
				if err := s.InTx(ctx, func(tx store.Tx) error { return tx.PutFieldStates(ctx, states) }); err != nil {
					b.Fatal(err)
				}
				got, err := s.GetFieldStates(ctx, c.ID, store.SideSalesforce, ids)
				if err != nil || len(got) != 200 {
					b.Fatal(len(got), err)
				}
			}
		})
	}
}

// BenchmarkWebhookIntake is the webhook endpoint's transaction: dedupe the
// event and enqueue its job.
func BenchmarkWebhookIntake(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Engine), func(b *testing.B) {
			s := storetest.Open(b, e.URL(b), store.Options{})
			c := newConnection(b, s)
			ctx := context.Background()
			n := 0
			for b.Loop() {
				n++
				err := s.InTx(ctx, func(tx store.Tx) error {
					ev, isNew, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: c.ID,
						NotificationID: fmt.Sprintf("notif_%d", n), Topic: "contact.user.updated", Payload: `{"type":"notification_event"}`})
					if err != nil || !isNew {
						return fmt.Errorf("insert: new=%v: %w", isNew, err)
					}
					_, err = tx.Enqueue(ctx, flakyArgs{ConnectionID: ev.ConnectionID}, nil)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
