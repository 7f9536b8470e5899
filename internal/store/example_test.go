package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/store"
)

// pollArgs is a job: poll one connection's Salesforce object.
type pollArgs struct {
	ConnectionID int64  `json:"connection_id"`
	Object       string `json:"object"`
}

func (pollArgs) Kind() string { return "example_poll" }

// pollWorker advances the watermark in the same transaction that completes
// the job, so a crash can neither lose nor repeat the advance.
type pollWorker struct {
	river.WorkerDefaults[pollArgs]
	store store.Store
	done  chan struct{}
}

func (w *pollWorker) Work(ctx context.Context, job *river.Job[pollArgs]) error {
	defer close(w.done)
	return store.CompleteInTx(ctx, w.store, job, func(tx store.Tx) error {
		return tx.PutWatermark(ctx, store.Watermark{ConnectionID: job.Args.ConnectionID, Object: job.Args.Object,
			SystemModstamp: time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC), LastID: "003000000000042"})
	})
}

// Example opens an embedded store, writes data and a job in one transaction,
// and works the job.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "ferry-example")
	defer os.RemoveAll(dir)

	key, _ := secret.GenerateKey() // ferry serve: secret.ParseKey(FERRY_SECRET_KEY)
	box, _ := secret.NewBox(key)
	worker := &pollWorker{done: make(chan struct{})}
	workers := river.NewWorkers()
	river.AddWorker(workers, worker)

	s, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "ferry.db"), store.Options{Secret: box, Workers: workers})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	worker.store = s
	if err := s.Migrate(ctx); err != nil { // ferry migrate, and serve at start
		log.Fatal(err)
	}

	var conn store.Connection
	err = s.InTx(ctx, func(tx store.Tx) error {
		conn, err = tx.CreateConnection(ctx, store.Connection{Name: "Acme"})
		if err != nil {
			return err
		}
		// One poll per connection and object per 5 minutes, however many
		// times it is asked for.
		_, err = tx.Enqueue(ctx, pollArgs{ConnectionID: conn.ID, Object: "Contact"},
			&river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: 5 * time.Minute}})
		return err
	})
	if err != nil {
		log.Fatal(err)
	}

	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	<-worker.done
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Stop(stopCtx); err != nil {
		log.Fatal(err)
	}

	wm, err := s.GetWatermark(ctx, conn.ID, "Contact")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(wm.Object, wm.SystemModstamp.Format(time.RFC3339), wm.LastID)
	// Output: Contact 2026-11-21T09:00:00Z 003000000000042
}
