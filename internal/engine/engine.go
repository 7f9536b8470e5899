// Package engine is ferry's sync engine: it turns stored Intercom webhook
// events and Salesforce polls into identity mappings and attribute writes on
// the other side, using the pure rules of internal/sync and the state kept in
// internal/store.
//
// Two flows run through one pipeline (batch.go):
//
//   - Intercom → Salesforce (F3.3, at once): DrainIntercom (the drain job,
//     one per round however many webhooks arrive) drains the connection's
//     pending webhook events in leased batches, so a burst of changes
//     becomes a few sObject Collections calls, not one call each.
//   - Salesforce → Intercom (F3.3, polling): Poll reads each object's changes
//     since its SystemModstamp watermark, page by page, saving the watermark
//     after each page so an interrupted poll resumes where it stopped.
//
// No store transaction is ever held across an API call: a batch reads what
// it needs, calls the APIs, then writes states, history, errors, mappings and
// the processed marks in one short transaction.
//
// Wiring in a daemon (the store needs the workers to open, the engine needs
// the store):
//
//	workers := river.NewWorkers()
//	periodic, bind := jobs.RegisterDeferred(workers, jobs.Options{Logger: log, PollInterval: every})
//	st, _ := store.Open(ctx, url, store.Options{Workers: workers, PeriodicJobs: periodic, …})
//	mgr := connection.NewManager(connection.Options{Store: st, …})
//	eng := engine.New(engine.Options{Store: st, Manager: mgr, Logger: log})
//	bind(st, eng)
//	_ = st.Start(ctx)
//
// When a connection becomes connected, call StartInitialSync in the same
// transaction (the first poll does it otherwise). The admin API reads the
// initial sync's progress with Engine.Progress and applies a match review's
// pick with EnqueueMapRecord; sync errors are retried through their JobID.
package engine

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/salesforce/pubsub"
	"github.com/ferrysync/ferry/internal/store"
)

// Options configure an Engine.
type Options struct {
	// Store keeps mappings, states, history, errors and the queue. Required.
	Store store.Store
	// Manager hands out the connection's API clients. Required.
	Manager *connection.Manager
	// Logger receives the engine's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock for change times, budget days and snoozes; default
	// time.Now. Leases use the wall clock.
	Now func() time.Time
	// BatchSize is how many records one Salesforce write carries (sObject
	// Collections take 200). Default 200.
	BatchSize int
	// PollChunk is how many polled records are applied together, between
	// two watermark saves: their store reads and commit are shared, and
	// their Intercom writes run side by side. Default 1,000.
	PollChunk int
	// DrainLimit is how many webhook events one drain round claims. Default
	// 2000.
	DrainLimit int
	// CoalesceWindow spaces one connection's drain rounds in this instance:
	// a change arriving after a quiet spell is drained at once, but under a
	// stream of changes rounds start at most this often, so the changes
	// arriving meanwhile are written together — one collections call for
	// many changes instead of one each (F8.1). The window shrinks so that
	// waiting plus a round stays within LatencyTarget, and grows when the
	// day's budget is tight (sync.NextRound). Default 500 ms; negative for
	// none.
	CoalesceWindow time.Duration
	// LatencyTarget is how soon an Intercom change should reach
	// Salesforce under a stream of changes; it bounds CoalesceWindow.
	// Default 1 s; negative for none.
	LatencyTarget time.Duration
	// TaskCoalesceWindow spaces the rounds that turn conversations into
	// Tasks the same way: nobody waits on a Task by the second, so many
	// conversations closing over a minute become a few Collections calls
	// (F6.1). Default 2 s; negative for none.
	TaskCoalesceWindow time.Duration
	// Lease is how long claimed events stay reserved for this engine before
	// another worker may take them (a crashed worker's events). A round
	// renews it every Lease/3 while it runs, so it bounds how long a
	// crashed process's events wait, not how long a round may take.
	// Default 10 seconds.
	Lease time.Duration
	// Owner names this instance in event leases; default a random id.
	Owner string
	// PollOverlap is how far before the watermark each poll starts reading
	// again: SystemModstamp is set when a Salesforce transaction starts, so
	// a record may become visible after later ones were read, and clocks
	// differ a little. Records already processed at the same
	// SystemModstamp are skipped (the watermark orders by SystemModstamp,
	// then Id), so the overlap costs no call and re-applies nothing; it
	// only has to cover a transaction's commit lag. Default 5 seconds.
	PollOverlap time.Duration
	// CatalogTTL is how long a connection's schema (describe and data
	// attributes) is reused before it is read again. Default 10 minutes.
	CatalogTTL time.Duration
	// RetryAfter is how far in the future the retry job of a sync error is
	// scheduled; the admin's "retry" makes it run at once. Default 30 days.
	RetryAfter time.Duration
	// DisconnectedRetry is how long work waits after a connection broke
	// before it looks again. Default 1 minute.
	DisconnectedRetry time.Duration
	// SettingsPollInterval makes each connection's settings poll_interval
	// (F3.3) bound how often it is polled; the queue's poll tick
	// (jobs.Options.PollInterval) should then be short, e.g. 5 s. Off, every
	// poll job polls and the tick alone sets the pace (FERRY_POLL_INTERVAL).
	SettingsPollInterval bool
	// Observer receives counts of what the engine did (records synced,
	// the org's API usage) for metrics; nil observes nothing.
	Observer Observer
	// MaxPollInterval, with SettingsPollInterval, is the operator's bound
	// (FERRY_POLL_INTERVAL): a connection is polled at least this often
	// even if its settings ask for less. Zero means no bound.
	MaxPollInterval time.Duration
	// PubSubURL is the Salesforce Pub/Sub API endpoint change events are
	// streamed from (FERRY_SALESFORCE_PUBSUB_URL, see
	// config.PubSubTarget); RunStreams does nothing without it.
	PubSubURL string
	// PubSubTLSConfig replaces the system roots for a TLS endpoint.
	PubSubTLSConfig *tls.Config
	// StreamFailAfter is how long a change stream may keep failing before
	// the connection's changes are polled at the normal interval again.
	// Default 30 seconds.
	StreamFailAfter time.Duration
	// StreamBatch is the most change events applied together. Default
	// 1000.
	StreamBatch int
}

// Engine is the sync engine. It implements jobs.Syncer and is safe for
// concurrent use: several workers (and instances) may run it at once.
type Engine struct {
	opts  Options
	log   *slog.Logger
	store store.Store

	mu    sync.Mutex
	confs map[int64]*connConfig
	// limitsRead is when each connection's org limits were last read.
	limitsRead map[int64]time.Time
	// probes schedules, per connection whose Salesforce API is paused,
	// the next read of the org's limits.
	probes map[int64]*apiProbe
	// rounds numbers drain rounds, naming their leases.
	rounds atomic.Int64
	// stopping: a shutdown began; drain jobs hand their work back.
	stopping atomic.Bool
	// paces are, per connection and kind of round, this instance's last
	// drain round (see Options.CoalesceWindow); lanes are the connections'
	// background budgets as their last rounds left them.
	paces map[roundKey]roundPace
	lanes map[int64]laneLeft
	// dirs are the connections' Users and teammates (ownership.go).
	dirs map[int64]*directory
	// pubsubs are the connections' Pub/Sub clients (stream_run.go).
	pubsubs map[int64]*pubsub.Client
}

// New returns an Engine.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BatchSize <= 0 || opts.BatchSize > 200 {
		opts.BatchSize = 200
	}
	if opts.PollChunk <= 0 {
		opts.PollChunk = 1000
	}
	if opts.DrainLimit <= 0 {
		opts.DrainLimit = 2000
	}
	if opts.CoalesceWindow == 0 {
		opts.CoalesceWindow = 500 * time.Millisecond
	}
	if opts.LatencyTarget == 0 {
		opts.LatencyTarget = time.Second
	}
	if opts.TaskCoalesceWindow == 0 {
		opts.TaskCoalesceWindow = 2 * time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = 10 * time.Second
	}
	if opts.Owner == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		opts.Owner = "engine-" + hex.EncodeToString(b)
	}
	if opts.PollOverlap <= 0 {
		opts.PollOverlap = 5 * time.Second
	}
	if opts.CatalogTTL <= 0 {
		opts.CatalogTTL = 10 * time.Minute
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = 30 * 24 * time.Hour
	}
	if opts.DisconnectedRetry <= 0 {
		opts.DisconnectedRetry = time.Minute
	}
	if opts.StreamFailAfter <= 0 {
		opts.StreamFailAfter = 30 * time.Second
	}
	if opts.StreamBatch <= 0 {
		opts.StreamBatch = 1000
	}
	return &Engine{opts: opts, log: opts.Logger, store: opts.Store, confs: map[int64]*connConfig{}, limitsRead: map[int64]time.Time{},
		probes: map[int64]*apiProbe{},
		paces:  map[roundKey]roundPace{}, lanes: map[int64]laneLeft{}, dirs: map[int64]*directory{},
		pubsubs: map[int64]*pubsub.Client{}}
}

// now is the engine's clock in UTC.
func (e *Engine) now() time.Time { return e.opts.Now().UTC() }

// purposeCtx tags ctx for the API budget's usage counting.
func purposeCtx(ctx context.Context, p connection.Purpose) context.Context {
	return connection.WithPurpose(ctx, p)
}

// The engine is what the queue's workers run.
var _ jobs.Syncer = (*Engine)(nil)
