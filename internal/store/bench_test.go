package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

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
			defer reportCPU(b)()
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
			defer reportCPU(b)()
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
			defer reportCPU(b)()
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

// BenchmarkJobThroughput works b.N jobs that each record an effect in their
// completion transaction, on one instance with 20 workers.
func BenchmarkJobThroughput(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Engine), func(b *testing.B) {
			ctx := context.Background()
			w := &throughputWorker{}
			workers := river.NewWorkers()
			river.AddWorker(workers, w)
			s, err := store.Open(ctx, e.URL(b), store.Options{Secret: storetest.NewBox(b), Workers: workers,
				FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond,
				Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 20}}})
			if err != nil {
				b.Fatal(err)
			}
			w.s = s
			defer s.Close()
			if err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			c := newConnection(b, s)
			params := make([]river.InsertManyParams, b.N)
			for i := range params {
				params[i] = river.InsertManyParams{Args: throughputArgs{ConnectionID: c.ID}}
			}
			if _, err := s.EnqueueMany(ctx, params); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			if err := s.Start(ctx); err != nil {
				b.Fatal(err)
			}
			for {
				n, err := s.CountJobs(ctx, throughputArgs{}.Kind())
				if err != nil {
					b.Fatal(err)
				}
				if n[rivertype.JobStateCompleted] == b.N {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			b.StopTimer()
			stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_ = s.Stop(stopCtx)
			if got := effectCount(b, s, c.ID, "throughput"); got != int64(b.N) {
				b.Fatalf("effects = %d, want %d", got, b.N)
			}
		})
	}
}

type throughputArgs struct {
	ConnectionID int64 `json:"connection_id"`
}

func (throughputArgs) Kind() string { return "bench_throughput" }

type throughputWorker struct {
	river.WorkerDefaults[throughputArgs]
	s store.Store
}

func (w *throughputWorker) Work(ctx context.Context, job *river.Job[throughputArgs]) error {
	return store.CompleteInTx(ctx, w.s, job, func(tx store.Tx) error {
		_, err := tx.IncrementUsage(ctx, job.Args.ConnectionID, effectDay, "throughput", 1)
		return err
	})
}

// fieldStates returns the states of records×fields for benchmarks.
func fieldStates(connID int64, records, fields int) ([]store.FieldState, []string) {
	states := make([]store.FieldState, 0, records*fields)
	ids := make([]string, records)
	for r := range records {
		ids[r] = fmt.Sprintf("003%012d", r)
		for f := range fields {
			states = append(states, store.FieldState{ConnectionID: connID, Side: store.SideSalesforce, RecordID: ids[r],
				Field: fmt.Sprintf("Field%d__c", f), Value: `"some value"`, Origin: store.OriginSalesforce, ChangedAt: time.Now()})
		}
	}
	return states, ids
}

// BenchmarkPutFieldStates writes 1,000 field states in one transaction, and
// 1,037 for a batch that does not divide evenly.
func BenchmarkPutFieldStates(b *testing.B) {
	for _, e := range storetest.Engines() {
		for _, n := range []int{1000, 1037} {
			b.Run(fmt.Sprintf("%s/%d", e.Engine, n), func(b *testing.B) {
				s := storetest.Open(b, e.URL(b), store.Options{})
				c := newConnection(b, s)
				ctx := context.Background()
				states, _ := fieldStates(c.ID, n, 1)
				defer reportCPU(b)()
				for b.Loop() {
					if err := s.InTx(ctx, func(tx store.Tx) error { return tx.PutFieldStates(ctx, states) }); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkGetFieldStates1000 reads the states of 1,000 random records (5
// fields each) among 10,000.
func BenchmarkGetFieldStates1000(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e.Engine), func(b *testing.B) {
			url := e.URL(b)
			s := storetest.Open(b, url, store.Options{})
			c := newConnection(b, s)
			ctx := context.Background()
			states, all := fieldStates(c.ID, 10_000, 5)
			if err := s.InTx(ctx, func(tx store.Tx) error { return tx.PutFieldStates(ctx, states) }); err != nil {
				b.Fatal(err)
			}
			rawDB{b, e.Engine, url}.exec(`ANALYZE`)
			ids := make([]string, 1000)
			defer reportCPU(b)()
			for b.Loop() {
				for i := range ids {
					ids[i] = all[rand.IntN(len(all))]
				}
				got, err := s.GetFieldStates(ctx, c.ID, store.SideSalesforce, ids)
				if err != nil || len(got) == 0 {
					b.Fatal(len(got), err)
				}
			}
		})
	}
}
