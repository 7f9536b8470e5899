package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ferrysync/ferry/internal/store"
)

// Syncer is the sync engine as the workers see it: what to do with one
// Intercom event and with one poll of Salesforce. It must not keep its own
// transaction open across API calls.
type Syncer interface {
	// DrainIntercom applies the connection's pending webhook events of
	// one kind (the drain job, IntercomDrainArgs).
	DrainIntercom(ctx context.Context, conn store.Connection, kind DrainKind) error
	// Poll reads Salesforce changes since the connection's watermarks. For
	// a connection whose Salesforce API is paused (store.ConnectionState
	// APIPaused) it checks, with backoff, whether calls are accepted again.
	Poll(ctx context.Context, conn store.Connection) error
	// InitialSync matches the records both systems had when the connection
	// was made (F3.8), resuming where it stopped; args.Run names the run.
	InitialSync(ctx context.Context, conn store.Connection, args InitialSyncArgs) error
	// RetryRecord re-syncs one record, the sync-errors page's retry (F8.2).
	RetryRecord(ctx context.Context, conn store.Connection, args RetryRecordArgs) error
	// MapRecord maps a record to the one the admin picked in the match
	// review list (F2.2).
	MapRecord(ctx context.Context, conn store.Connection, args MapRecordArgs) error
}

// Options configure the workers.
type Options struct {
	Store  store.Store
	Syncer Syncer
	Logger *slog.Logger
	// PollInterval is how often every connected connection is polled.
	PollInterval time.Duration
	// DisconnectedRetry is how long work for a disconnected connection waits
	// before it looks again; default 1 minute. Waiting jobs are snoozed, not
	// failed, so nothing is lost and no attempt is spent (F1.3).
	DisconnectedRetry time.Duration
	// Retention is how long history and processed webhook events are kept
	// (store.Cleanup's defaults when zero).
	Retention store.Retention
	// CleanupInterval is how often the cleanup runs; default 1 hour.
	CleanupInterval time.Duration
}

// Register adds ferry's workers to workers and returns the periodic jobs to
// give the store.
func Register(workers *river.Workers, opts Options) []*river.PeriodicJob {
	periodic, _ := RegisterDeferred(workers, opts)
	return periodic
}

// RegisterDeferred is Register for a daemon whose store and syncer are
// created after the workers (the store needs the workers to open, the
// engine needs the store): call bind with them before starting the store.
func RegisterDeferred(workers *river.Workers, o Options) (periodic []*river.PeriodicJob, bind func(st store.Store, s Syncer)) {
	opts := &o
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.DisconnectedRetry <= 0 {
		opts.DisconnectedRetry = time.Minute
	}
	river.AddWorker(workers, &IntercomEventWorker{opts: opts})
	river.AddWorker(workers, &IntercomDrainWorker{opts: opts})
	river.AddWorker(workers, &PollWorker{opts: opts})
	river.AddWorker(workers, &PollTickWorker{opts: opts})
	river.AddWorker(workers, &RetryRecordWorker{opts: opts})
	river.AddWorker(workers, &InitialSyncWorker{opts: opts})
	river.AddWorker(workers, &MapRecordWorker{opts: opts})
	river.AddWorker(workers, &BackfillWorker{opts: opts})
	river.AddWorker(workers, &CleanupWorker{opts: opts})
	if opts.CleanupInterval <= 0 {
		opts.CleanupInterval = time.Hour
	}
	bind = func(st store.Store, s Syncer) {
		opts.Store, opts.Syncer = st, s
	}
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(opts.PollInterval),
			func() (river.JobArgs, *river.InsertOpts) { return PollTickArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(opts.CleanupInterval),
			func() (river.JobArgs, *river.InsertOpts) {
				return CleanupArgs{}, &river.InsertOpts{UniqueOpts: uniqueWhileUnfinished()}
			},
			&river.PeriodicJobOpts{RunOnStart: true}),
	}, bind
}

// connected loads the connection and says whether its work may run now. Work
// for a disconnected or not yet connected connection is snoozed.
func connected(ctx context.Context, opts *Options, connID int64) (store.Connection, error) {
	conn, err := opts.Store.GetConnection(ctx, connID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// Purged: its work has nothing left to act on.
			return conn, river.JobCancel(fmt.Errorf("connection %d no longer exists", connID))
		}
		return conn, err
	}
	if conn.State != store.StateConnected {
		return conn, river.JobSnooze(opts.DisconnectedRetry)
	}
	return conn, nil
}

// PollWorker polls one connection's Salesforce org.
type PollWorker struct {
	river.WorkerDefaults[PollArgs]
	opts *Options
}

// Work runs one poll.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	conn, err := connected(ctx, w.opts, job.Args.ConnectionID)
	if err != nil {
		var snooze *river.JobSnoozeError
		if errors.As(err, &snooze) {
			if conn.State.APIPaused() {
				// Salesforce refuses calls for now: the poll checks
				// (with backoff) whether it accepts them again.
				return w.opts.Syncer.Poll(ctx, conn)
			}
			// A later tick enqueues the next poll; this one has nothing to wait for.
			return nil
		}
		return err
	}
	return w.opts.Syncer.Poll(ctx, conn)
}

// PollTickArgs is the periodic job that schedules one poll per connected
// connection.
type PollTickArgs struct{}

// Kind implements river.JobArgs.
func (PollTickArgs) Kind() string { return "salesforce_poll_tick" }

// PollTickWorker enqueues polls. Polls are unique per connection while one
// is waiting or running, so a slow poll is never doubled by the next tick.
type PollTickWorker struct {
	river.WorkerDefaults[PollTickArgs]
	opts *Options
}

// Work enqueues a poll for every connected connection.
func (w *PollTickWorker) Work(ctx context.Context, _ *river.Job[PollTickArgs]) error {
	conns, err := w.opts.Store.ListConnections(ctx)
	if err != nil {
		return err
	}
	for _, c := range conns {
		if c.State != store.StateConnected && !c.State.APIPaused() {
			continue
		}
		if _, err := w.opts.Store.Enqueue(ctx, PollArgs{ConnectionID: c.ID}, PollInsertOpts()); err != nil {
			return fmt.Errorf("enqueue poll for connection %d: %w", c.ID, err)
		}
	}
	return nil
}

// uniqueWhileUnfinished makes a job unique by its arguments among the jobs
// that have not finished: waiting, scheduled, running or retrying.
func uniqueWhileUnfinished() river.UniqueOpts {
	return river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled,
		},
	}
}

// PollInsertOpts makes a poll unique per connection among polls not yet
// finished.
func PollInsertOpts() *river.InsertOpts {
	return &river.InsertOpts{
		UniqueOpts: uniqueWhileUnfinished(),
	}
}

// RetryRecordInsertOpts schedules a record's retry job at runAt, unique per
// record among jobs not yet finished, so repeated failures share one job.
// (A failure inside the running retry job gets that job's id; River's retry
// makes a completed job available again.)
func RetryRecordInsertOpts(runAt time.Time) *river.InsertOpts {
	return &river.InsertOpts{
		ScheduledAt: runAt,
		UniqueOpts:  uniqueWhileUnfinished(),
	}
}

// InitialSyncInsertOpts makes the initial sync unique per connection while
// it waits or runs.
func InitialSyncInsertOpts() *river.InsertOpts {
	return &river.InsertOpts{
		UniqueOpts: uniqueWhileUnfinished(),
	}
}

// RetryRecordWorker runs RetryRecordArgs.
type RetryRecordWorker struct {
	river.WorkerDefaults[RetryRecordArgs]
	opts *Options
}

// Work re-syncs the record.
func (w *RetryRecordWorker) Work(ctx context.Context, job *river.Job[RetryRecordArgs]) error {
	conn, err := connected(ctx, w.opts, job.Args.ConnectionID)
	if err != nil {
		return err
	}
	return w.opts.Syncer.RetryRecord(ctx, conn, job.Args)
}

// InitialSyncWorker runs InitialSyncArgs.
type InitialSyncWorker struct {
	river.WorkerDefaults[InitialSyncArgs]
	opts *Options
}

// Timeout lets the initial sync of a large workspace run for long; it saves
// its progress as it goes, so a rescued run resumes.
func (w *InitialSyncWorker) Timeout(*river.Job[InitialSyncArgs]) time.Duration { return 6 * time.Hour }

// Work runs the initial sync.
func (w *InitialSyncWorker) Work(ctx context.Context, job *river.Job[InitialSyncArgs]) error {
	conn, err := connected(ctx, w.opts, job.Args.ConnectionID)
	if err != nil {
		return err
	}
	return w.opts.Syncer.InitialSync(ctx, conn, job.Args)
}

// MapRecordWorker runs MapRecordArgs.
type MapRecordWorker struct {
	river.WorkerDefaults[MapRecordArgs]
	opts *Options
}

// Work maps the record.
func (w *MapRecordWorker) Work(ctx context.Context, job *river.Job[MapRecordArgs]) error {
	conn, err := connected(ctx, w.opts, job.Args.ConnectionID)
	if err != nil {
		return err
	}
	return w.opts.Syncer.MapRecord(ctx, conn, job.Args)
}

// CleanupWorker runs CleanupArgs.
type CleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	opts *Options
}

// Timeout lets a first cleanup of a large store run long; every step it
// commits stays done if it is cut short.
func (w *CleanupWorker) Timeout(*river.Job[CleanupArgs]) time.Duration { return 30 * time.Minute }

// Work deletes history past its retention and processed webhook events past
// the redelivery window, and logs what it deleted.
func (w *CleanupWorker) Work(ctx context.Context, _ *river.Job[CleanupArgs]) error {
	done, err := store.Cleanup(ctx, w.opts.Store, w.opts.Retention, time.Now())
	if err != nil {
		return fmt.Errorf("jobs: cleanup: %w", err)
	}
	if done.History > 0 || done.WebhookEvents > 0 {
		w.opts.Logger.InfoContext(ctx, "cleanup", "history_deleted", done.History, "webhook_events_deleted", done.WebhookEvents)
	}
	return nil
}
