package store

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// riverQueue is the job-queue half of a store, the same on both engines but
// for River's transaction type (*sql.Tx for SQLite, pgx.Tx for PostgreSQL).
type riverQueue[TTx any] struct {
	client *river.Client[TTx]
	// working: the client has workers (Options.Workers); started: Start ran.
	working, started bool
}

func (q *riverQueue[TTx]) Start(ctx context.Context) error {
	if !q.working {
		return nil
	}
	if err := q.client.Start(ctx); err != nil {
		return fmt.Errorf("store: start workers: %w", err)
	}
	q.started = true
	return nil
}

func (q *riverQueue[TTx]) Stop(ctx context.Context) error {
	if !q.started {
		return nil
	}
	err := q.client.Stop(ctx)
	if err == nil || ctx.Err() == nil {
		if err != nil {
			return fmt.Errorf("store: stop workers: %w", err)
		}
		return nil
	}
	// Jobs still running when the graceful wait ends are cancelled: their
	// work returns with a cancelled context and hands back what it held
	// (the drain releases its events), which beats leaving it to expire.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelGrace)
	defer cancel()
	if cerr := q.client.StopAndCancel(cctx); cerr != nil {
		return fmt.Errorf("store: stop workers: %w; cancel the jobs still running: %w", err, cerr)
	}
	return nil
}

// cancelGrace is how long Stop waits for cancelled jobs to return.
const cancelGrace = 5 * time.Second

func (q *riverQueue[TTx]) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := q.client.Insert(ctx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("store: enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

func (q *riverQueue[TTx]) EnqueueMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	res, err := q.client.InsertMany(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("store: enqueue %d jobs: %w", len(params), err)
	}
	return res, nil
}

func (q *riverQueue[TTx]) RetryJob(ctx context.Context, jobID int64) (*rivertype.JobRow, error) {
	return jobResult(q.client.JobRetry(ctx, jobID))("retry", jobID)
}

func (q *riverQueue[TTx]) CancelJob(ctx context.Context, jobID int64) (*rivertype.JobRow, error) {
	return jobResult(q.client.JobCancel(ctx, jobID))("cancel", jobID)
}

func (q *riverQueue[TTx]) GetJob(ctx context.Context, jobID int64) (*rivertype.JobRow, error) {
	return jobResult(q.client.JobGet(ctx, jobID))("get", jobID)
}

// riverTxQueue is the job-queue half of a transaction: inserts and retries
// that commit or roll back with it.
type riverTxQueue[TTx any] struct {
	tx     TTx
	client *river.Client[TTx]
}

func (t *riverTxQueue[TTx]) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := t.client.InsertTx(ctx, t.tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("store: enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

func (t *riverTxQueue[TTx]) EnqueueMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	res, err := t.client.InsertManyTx(ctx, t.tx, params)
	if err != nil {
		return nil, fmt.Errorf("store: enqueue %d jobs: %w", len(params), err)
	}
	return res, nil
}

func (t *riverTxQueue[TTx]) RetryJob(ctx context.Context, jobID int64) (*rivertype.JobRow, error) {
	return jobResult(t.client.JobRetryTx(ctx, t.tx, jobID))("retry", jobID)
}
