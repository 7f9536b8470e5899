package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/store"
)

// BackfillArgs runs (or resumes) one backfill of mapped values for matched
// pairs (F3.8). The backfill's row keeps its position after each page, so a
// job that starts again after a crash continues from there.
type BackfillArgs struct {
	ConnectionID int64 `json:"connection_id"`
	BackfillID   int64 `json:"backfill_id"`
}

// Kind implements river.JobArgs.
func (BackfillArgs) Kind() string { return "backfill" }

// BackfillInsertOpts makes a backfill's job unique while unfinished.
func BackfillInsertOpts() *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: uniqueWhileUnfinished(), MaxAttempts: 100}
}

// Backfiller is a Syncer that also runs backfills.
type Backfiller interface {
	// Backfill runs one backfill from where it stopped.
	Backfill(ctx context.Context, conn store.Connection, args BackfillArgs) error
	// BackfillFailed records that the backfill's job gave up with cause.
	BackfillFailed(ctx context.Context, conn store.Connection, args BackfillArgs, cause error) error
}

// BackfillWorker runs BackfillArgs.
type BackfillWorker struct {
	river.WorkerDefaults[BackfillArgs]
	opts *Options
}

// Timeout lets a large backfill run long; it saves its place after each
// page.
func (w *BackfillWorker) Timeout(*river.Job[BackfillArgs]) time.Duration { return 24 * time.Hour }

// Work runs the backfill.
func (w *BackfillWorker) Work(ctx context.Context, job *river.Job[BackfillArgs]) error {
	b, ok := w.opts.Syncer.(Backfiller)
	if !ok {
		return river.JobCancel(errors.New("jobs: this syncer does not run backfills"))
	}
	conn, err := connected(ctx, w.opts, job.Args.ConnectionID)
	if err != nil {
		return err
	}
	err = b.Backfill(ctx, conn, job.Args)
	if err == nil {
		return nil
	}
	var canceled *river.JobCancelError
	var snoozed *river.JobSnoozeError
	if errors.As(err, &canceled) || (job.Attempt >= job.MaxAttempts && !errors.As(err, &snoozed)) {
		// No attempt follows: the backfill must not stay "running".
		if ferr := b.BackfillFailed(ctx, conn, job.Args, err); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}
