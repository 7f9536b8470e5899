// Package store keeps ferry's state and its job queue: one interface with two
// engines, SQLite (the embedded default, pure Go, WAL) and PostgreSQL (for
// several instances), chosen by the database URL given to Open.
//
// Every row belongs to a connection (one Intercom workspace paired with one
// Salesforce org). Reads go through Store; writes happen inside InTx, whose Tx
// can also enqueue jobs, so a job commits or rolls back together with the data
// it concerns.
//
// The queue is River (github.com/riverqueue/river) on both engines, with the
// riversqlite and riverpgxv5 drivers pinned to v0.47.0, the newest riversqlite
// on the module proxy. River was chosen over a hand-written outbox because it
// already gives what ferry needs on both engines and commits in our
// transactions: InsertTx, retries with backoff, snooze, scheduled and
// leader-elected periodic jobs, unique jobs (one poll per connection per
// interval), stuck-job rescue after a crash, JobRetry for the sync-errors
// page, and FOR UPDATE SKIP LOCKED fetching on PostgreSQL so several
// instances share jobs without running one twice. An outbox would need two
// claim paths (SQLite has no SKIP LOCKED) and all of that rebuilt.
//
// The entity queries are written once (files named after the entity) because
// the two engines accept the same SQL for them: $N placeholders (modernc binds
// by number), INSERT … ON CONFLICT … RETURNING, partial unique indexes. What
// does differ lives in the engine files: DDL (migrations/sqlite and
// migrations/postgres), how times are encoded, row locks, error codes, pools
// and the River driver.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ferrysync/ferry/internal/secret"
)

// Engine names a database engine.
type Engine string

// The engines Open can pick.
const (
	EngineSQLite   Engine = "sqlite"
	EnginePostgres Engine = "postgres"
)

// DefaultDatabaseURL is used when FERRY_DATABASE_URL is empty.
const DefaultDatabaseURL = "./ferry.db"

// Errors the store returns; test with errors.Is.
var (
	// ErrNotFound: no row matches.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a uniqueness rule would be broken (for example an
	// identity mapping whose Salesforce record is already mapped elsewhere).
	ErrConflict = errors.New("store: conflict")
	// ErrVersionConflict: an optimistic-concurrency write lost the race.
	ErrVersionConflict = errors.New("store: version conflict")
	// ErrNoSecret: a credential operation on a store opened without a
	// secret.Box.
	ErrNoSecret = errors.New("store: no secret key configured for credentials")
	// ErrInvalid: the caller passed something the store refuses to write.
	ErrInvalid = errors.New("store: invalid input")
)

// Options configure Open. The zero value opens an insert-only queue client and
// a store that refuses to touch credentials.
type Options struct {
	// Secret encrypts credentials. Nil only for tools that never read or
	// write credentials; those calls then fail with ErrNoSecret.
	Secret *secret.Box
	// Logger receives the store's and River's logs. Nil discards them.
	Logger *slog.Logger
	// Workers run jobs. Nil gives an insert-only client: Enqueue works,
	// Start does nothing.
	Workers *river.Workers
	// Queues to work, by name. Defaults to the default queue with 10 workers
	// when Workers is set.
	Queues map[string]river.QueueConfig
	// PeriodicJobs are enqueued by the leader instance on their schedule.
	PeriodicJobs []*river.PeriodicJob
	// JobTimeout cancels a job's context after this long (River's default 1
	// minute when zero; -1 for none, but then a job whose instance died is
	// never rescued).
	JobTimeout time.Duration
	// RescueStuckJobsAfter makes a job that has been running this long (its
	// worker crashed) available again. River's default is 1 hour.
	RescueStuckJobsAfter time.Duration
	// RetryPolicy decides the backoff between attempts. Nil is River's
	// attempt^4 seconds.
	RetryPolicy river.ClientRetryPolicy
	// MaxAttempts per job unless the job says otherwise (River's default 25).
	MaxAttempts int
	// FetchPollInterval is how often idle workers look for new jobs when the
	// engine cannot notify (SQLite). River's default 1s when zero.
	FetchPollInterval time.Duration
	// FetchCooldown is the least time between two fetches of a queue
	// (River's default 100ms). Lower it for many short jobs.
	FetchCooldown time.Duration
	// ErrorHandler is told about job errors and panics.
	ErrorHandler river.ErrorHandler
	// ID names this instance in River's tables. Defaults to River's own.
	ID string
	// CompletedJobRetention is how long finished jobs (completed or
	// cancelled) stay in River's table before its cleaner deletes them;
	// River's default of 24 hours when zero.
	CompletedJobRetention time.Duration
}

// Store is ferry's persistent state and job queue.
type Store interface {
	Reader

	// Engine says which database engine is behind the store.
	Engine() Engine
	// Migrate brings the schema (ferry's tables and River's) up to date. It
	// is safe when several instances run it at once.
	Migrate(ctx context.Context) error
	// Start starts the workers, if Options.Workers was set.
	Start(ctx context.Context) error
	// Stop waits for running jobs to finish (until ctx ends), then cancels
	// the jobs still running and waits briefly for them to return (so they
	// can hand back what they hold), and stops the workers.
	Stop(ctx context.Context) error
	// Close releases the database pools. Stop the workers first.
	Close() error

	// InTx runs fn in one transaction, committed if fn returns nil and
	// rolled back otherwise (also on panic). On SQLite it holds the single
	// writer connection, so fn must use tx and never the Store's own
	// Enqueue, EnqueueMany, RetryJob, CancelJob, GetJob or a nested InTx:
	// those wait for the writer and would wait forever.
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// CompleteJobTx runs fn and marks the running job completed in the same
	// transaction, so the job's effects land exactly once even if the
	// process dies: either both commit or the job is rescued and re-run.
	// Call it from a worker's Work with job.JobRow (or use CompleteInTx).
	// Caution: with two instances on PostgreSQL, River v0.47's completer was
	// seen to panic ("job that wasn't finalized") after jobs completed this
	// way; ferry's own workers are idempotent and do not use it.
	CompleteJobTx(ctx context.Context, job *rivertype.JobRow, fn func(tx Tx) error) error

	// Enqueue inserts a job on its own. Prefer Tx.Enqueue when the job
	// belongs with a data change.
	Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// EnqueueMany inserts many jobs on their own, in one round trip where
	// the engine allows.
	EnqueueMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	// RetryJob makes a failed, discarded, cancelled or scheduled job
	// available to run now (the sync errors page's Retry). Running jobs are
	// left alone.
	RetryJob(ctx context.Context, jobID int64) (*rivertype.JobRow, error)
	// CancelJob cancels a job that has not finished.
	CancelJob(ctx context.Context, jobID int64) (*rivertype.JobRow, error)
	// GetJob returns one job.
	GetJob(ctx context.Context, jobID int64) (*rivertype.JobRow, error)
	// CountJobs counts jobs by state, optionally only of the given kinds.
	CountJobs(ctx context.Context, kinds ...string) (map[rivertype.JobState]int, error)
	// CountUnfinishedJobsByKind counts the queue's unfinished jobs
	// (available, scheduled, retryable, running, pending) by kind and state.
	CountUnfinishedJobsByKind(ctx context.Context) (map[string]map[rivertype.JobState]int, error)
}

// Reader holds the read operations, available on Store and inside a Tx.
// Missing rows give ErrNotFound; batch reads simply omit them.
type Reader interface {
	// GetConnection returns one connection.
	GetConnection(ctx context.Context, id int64) (Connection, error)
	// ListConnections returns all connections, oldest first.
	ListConnections(ctx context.Context) ([]Connection, error)

	// GetCredential returns a decrypted credential (ErrNoSecret without a
	// secret.Box, secret.ErrDecrypt under the wrong key).
	GetCredential(ctx context.Context, connID int64, kind CredentialKind) (Credential, error)

	// GetSettings returns a connection's settings document and version.
	GetSettings(ctx context.Context, connID int64) (Settings, error)

	// GetMappingByIntercomID returns the mapping of an Intercom record.
	GetMappingByIntercomID(ctx context.Context, connID int64, intercomID string) (Mapping, error)
	// GetMappingBySalesforceID returns the mapping of a Salesforce record.
	GetMappingBySalesforceID(ctx context.Context, connID int64, sfObject SalesforceObject, sfID string) (Mapping, error)
	// ListMappingsByIntercomIDs returns the mappings of many Intercom
	// records keyed by Intercom id, in one query per 500 ids.
	ListMappingsByIntercomIDs(ctx context.Context, connID int64, intercomIDs []string) (map[string]Mapping, error)
	// ListMappingsBySalesforceIDs returns the mappings of many records of
	// one Salesforce object keyed by Salesforce id.
	ListMappingsBySalesforceIDs(ctx context.Context, connID int64, sfObject SalesforceObject, sfIDs []string) (map[string]Mapping, error)
	// ListMappingsAfter returns up to limit mappings to records of one
	// Salesforce object with ids above afterID, in id order (a backfill's
	// pages).
	ListMappingsAfter(ctx context.Context, connID int64, sfObject SalesforceObject, afterID int64, limit int) ([]Mapping, error)
	// GetBackfill returns one backfill of a connection.
	GetBackfill(ctx context.Context, connID, id int64) (Backfill, error)
	// CountMappings counts mappings of one kind ("" for all).
	CountMappings(ctx context.Context, connID int64, kind MappingKind) (int, error)
	// CountConnectionRows counts, per table, the rows of a connection
	// (its own row, every table with its id, its jobs); tables without
	// any are left out.
	CountConnectionRows(ctx context.Context, connID int64) (map[string]int64, error)

	// GetFieldStates returns the field states of many records of one side,
	// keyed by record id, fields sorted by name.
	GetFieldStates(ctx context.Context, connID int64, side Side, recordIDs []string) (map[string][]FieldState, error)

	// GetWatermark returns how far polling an object has read.
	GetWatermark(ctx context.Context, connID int64, object string) (Watermark, error)
	// GetChangeStream returns the state of a connection's Salesforce
	// change stream (F3.3), or ErrNotFound before its first subscription.
	GetChangeStream(ctx context.Context, connID int64) (ChangeStream, error)

	// GetSetupCheck returns the last setup check of a connection (F1.4).
	GetSetupCheck(ctx context.Context, connID int64) (SetupCheck, error)

	// GetSyncError returns one sync error.
	GetSyncError(ctx context.Context, id int64) (SyncError, error)
	// ListSyncErrors returns a page of sync errors, most recent first, and
	// the total that match the filter.
	ListSyncErrors(ctx context.Context, f SyncErrorFilter) ([]SyncError, int, error)

	// ListHistory returns a record's history (by Intercom or Salesforce
	// id), newest first.
	ListHistory(ctx context.Context, connID int64, recordID string, page Page) ([]HistoryEntry, error)
	// LatestHistoryOutcomes returns the outcome of the newest history entry
	// of each Intercom id that has one.
	LatestHistoryOutcomes(ctx context.Context, connID int64, intercomIDs []string) (map[string]string, error)

	// ListUsage returns API usage rows for the UTC days from..to inclusive.
	ListUsage(ctx context.Context, connID int64, from, to time.Time) ([]UsageRow, error)

	// GetWebhookEvent returns one received webhook.
	GetWebhookEvent(ctx context.Context, id int64) (WebhookEvent, error)
	// ListPendingWebhookEvents returns up to limit unprocessed events of a
	// connection, oldest first, for batched draining.
	ListPendingWebhookEvents(ctx context.Context, connID int64, limit int) ([]WebhookEvent, error)

	// ListInitialSyncs returns the initial sync progress of a connection.
	ListInitialSyncs(ctx context.Context, connID int64) ([]InitialSync, error)

	// ListMatchReviews returns ambiguous matches, newest first.
	ListMatchReviews(ctx context.Context, connID int64, includeResolved bool) ([]MatchReview, error)

	// GetAdminSession returns a signed-in admin session that has not
	// expired or ended; otherwise ErrNotFound.
	GetAdminSession(ctx context.Context, id string) (AdminSession, error)
	// ListConversationTasks returns the Salesforce Tasks of conversations,
	// each conversation's first Task first.
	ListConversationTasks(ctx context.Context, connID int64, conversationIDs []string) ([]ConversationTask, error)
	// GetInboxAction returns the record a teammate's action created (or is
	// creating) for a key, or ErrNotFound.
	GetInboxAction(ctx context.Context, connID int64, key string) (InboxAction, error)
	// CountHistoryOfDay counts history entries with an outcome created on
	// a UTC date, by origin (the admin overview's changes synced today).
	CountHistoryOfDay(ctx context.Context, connID int64, day time.Time, outcome string) (map[Origin]int, error)
	// ListMappingsByMatchKey returns mappings matched by a key such as a
	// normalized email (finding a record's history by email).
	ListMappingsByMatchKey(ctx context.Context, connID int64, key string, limit int) ([]Mapping, error)
	// ListSyncErrorCodes returns the distinct codes of open sync errors.
	ListSyncErrorCodes(ctx context.Context, connID int64) ([]string, error)

	// GetReachability returns whether a side of a connection answered
	// ferry's last calls; ErrNotFound before anything was recorded.
	GetReachability(ctx context.Context, connID int64, side Side) (Reachability, error)
	// SummarizePendingWebhookEvents counts a connection's unprocessed
	// webhook events of the given topic prefixes and finds the oldest.
	SummarizePendingWebhookEvents(ctx context.Context, connID int64, topicPrefixes ...string) (PendingSummary, error)
	// FirstPendingWebhookEvent and LastPendingWebhookEvent return the
	// lowest and highest id of a connection's unprocessed events of the
	// given topic prefixes, 0 when there is none.
	FirstPendingWebhookEvent(ctx context.Context, connID int64, topicPrefixes ...string) (int64, error)
	LastPendingWebhookEvent(ctx context.Context, connID int64, topicPrefixes ...string) (int64, error)
	// DrainRequested returns since when a connection's drain request of
	// one kind is set, nil when it is not.
	DrainRequested(ctx context.Context, connID int64, kind string) (*time.Time, error)
}

// Tx is one transaction: every read of Reader (seeing the transaction's own
// writes) plus the writes, and Enqueue.
type Tx interface {
	Reader

	// Enqueue inserts a job in this transaction: it becomes visible to
	// workers only when the transaction commits.
	Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// EnqueueMany inserts many jobs in this transaction (a backfill's
	// batches).
	EnqueueMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	// RetryJob is Store.RetryJob inside this transaction, e.g. to retry a
	// sync error's job and mark it retried together.
	RetryJob(ctx context.Context, jobID int64) (*rivertype.JobRow, error)

	// CreateConnection inserts a connection (state pending unless set).
	CreateConnection(ctx context.Context, c Connection) (Connection, error)
	// UpdateConnectionState sets connected/disconnected and the cause
	// (cleared when connected); StateChangedAt moves only on a change.
	UpdateConnectionState(ctx context.Context, id int64, state ConnectionState, cause string) error
	// UpdateConnectionIdentity records the workspace and org reached.
	UpdateConnectionIdentity(ctx context.Context, id int64, intercomWorkspaceID, salesforceOrgID, salesforceInstanceURL string) error
	// DeleteConnection deletes a connection and every row it owns.
	DeleteConnection(ctx context.Context, id int64) error

	// PutCredential encrypts and stores (or replaces) a credential.
	PutCredential(ctx context.Context, c Credential) error
	// SwapCredential stores c only if the stored one is still at
	// c.Version, and reports whether it did (a token refresh's
	// compare-and-swap: no transaction is held across the token call).
	SwapCredential(ctx context.Context, c Credential) (bool, error)
	// DeleteCredential forgets a credential.
	DeleteCredential(ctx context.Context, connID int64, kind CredentialKind) error

	// PutSettings saves the document if the stored version is still
	// expectVersion (0: none yet), else ErrVersionConflict.
	PutSettings(ctx context.Context, connID int64, doc []byte, expectVersion int64) (Settings, error)

	// CreateBackfill inserts a backfill and returns it with its id.
	CreateBackfill(ctx context.Context, b Backfill) (Backfill, error)
	// PutBackfillProgress saves a backfill's state, position and counts
	// (a canceled one stays canceled) and returns the state stored.
	PutBackfillProgress(ctx context.Context, b Backfill) (string, error)
	// CancelBackfill marks a running or paused backfill canceled and
	// reports whether it was one.
	CancelBackfill(ctx context.Context, connID, id int64) (bool, error)

	// UpsertMapping creates or updates the mapping of m.IntercomID;
	// ErrConflict if the Salesforce record is mapped to another one.
	UpsertMapping(ctx context.Context, m Mapping) (Mapping, error)
	// RepointMapping points a mapping at another Salesforce record.
	RepointMapping(ctx context.Context, connID int64, intercomID string, sfObject SalesforceObject, sfID string) (Mapping, error)
	// DeleteMappingByIntercomID deletes the mapping of an Intercom record.
	DeleteMappingByIntercomID(ctx context.Context, connID int64, intercomID string) error
	// DeleteMappingBySalesforceID deletes the mapping of a Salesforce record.
	DeleteMappingBySalesforceID(ctx context.Context, connID int64, sfObject SalesforceObject, sfID string) error

	// PutFieldStates inserts or replaces many field states, 100 a statement.
	PutFieldStates(ctx context.Context, states []FieldState) error
	// DeleteFieldStates forgets a record's field states.
	DeleteFieldStates(ctx context.Context, connID int64, side Side, recordID string) error

	// PutWatermark saves how far polling an object has read.
	PutWatermark(ctx context.Context, w Watermark) error
	// AcquireChangeStream takes or renews an instance's subscriber lease
	// on a connection's change stream (one subscriber across instances);
	// ReleaseChangeStream hands it back.
	AcquireChangeStream(ctx context.Context, connID int64, owner string, until time.Time) (bool, error)
	ReleaseChangeStream(ctx context.Context, connID int64, owner string) error
	// SaveChangeStreamReplay records the replay id of the events applied,
	// only while owner holds the lease; ResetChangeStreamReplay forgets it.
	SaveChangeStreamReplay(ctx context.Context, connID int64, owner string, replayID []byte, lastEvent time.Time, lag time.Duration, events int) (bool, error)
	ResetChangeStreamReplay(ctx context.Context, connID int64) error
	// SaveChangeStreamAllocation records the org's daily event delivery
	// allocation and what is left of it.
	SaveChangeStreamAllocation(ctx context.Context, connID int64, max, remaining int64) error
	// SetChangeStreamMode records whether changes arrive by stream or by
	// poll, why, which objects stream and which have no change events
	// (nil objects keeps both).
	SetChangeStreamMode(ctx context.Context, connID int64, mode, cause string, objects, missing []string) error

	// PutSetupCheck replaces the setup check of a connection.
	PutSetupCheck(ctx context.Context, c SetupCheck) error

	// UpsertSyncError records a failure, updating the open error of the
	// same record and operation (attempts+1) if there is one.
	UpsertSyncError(ctx context.Context, e SyncError) (SyncError, error)
	// ResolveSyncErrors marks a record's open errors of an operation (""
	// for all) resolved after a success and says how many.
	ResolveSyncErrors(ctx context.Context, connID int64, recordID, operation string) (int, error)
	// DeleteSyncError deletes one sync error.
	DeleteSyncError(ctx context.Context, id int64) error

	// AppendHistory adds a history entry.
	AppendHistory(ctx context.Context, e HistoryEntry) (HistoryEntry, error)
	// AppendHistoryBatch adds many history entries, 100 a statement.
	AppendHistoryBatch(ctx context.Context, entries []HistoryEntry) error
	// DeleteHistoryBefore deletes up to limit history entries created
	// before t (retention).
	DeleteHistoryBefore(ctx context.Context, connID int64, t time.Time, limit int) (int64, error)
	// DeleteProcessedWebhookEventsBefore deletes up to limit webhook events
	// processed before t (past the redelivery window).
	DeleteProcessedWebhookEventsBefore(ctx context.Context, connID int64, t time.Time, limit int) (int64, error)

	// IncrementUsage atomically adds n API calls for a UTC day and purpose
	// and returns the new count.
	IncrementUsage(ctx context.Context, connID int64, day time.Time, purpose string, n int64) (int64, error)

	// InsertWebhookEvent stores a webhook unless its notification id was
	// seen; it returns the stored event and whether it is new.
	InsertWebhookEvent(ctx context.Context, e WebhookEvent) (WebhookEvent, bool, error)
	// MarkWebhookEventsProcessed marks many events processed.
	MarkWebhookEventsProcessed(ctx context.Context, ids []int64) error
	// ClaimPendingWebhookEvents leases a batch of unprocessed events to
	// owner so no other worker or instance processes them meanwhile.
	ClaimPendingWebhookEvents(ctx context.Context, connID int64, limit int, owner string, leaseUntil time.Time, topicPrefixes ...string) ([]WebhookEvent, error)
	// ReleaseWebhookEvents gives up owner's lease on events.
	ReleaseWebhookEvents(ctx context.Context, ids []int64, owner string) error
	// RenewWebhookEventClaims extends owner's lease on unprocessed events
	// and returns how many it still held (a drain round's heartbeat).
	RenewWebhookEventClaims(ctx context.Context, ids []int64, owner string, leaseUntil time.Time) (int, error)
	// RequestDrain sets a connection's drain request of one kind unless it
	// is set (and newer than staleBefore), locking it either way, and
	// reports whether it set it: the caller enqueues the drain job then.
	RequestDrain(ctx context.Context, connID int64, kind string, staleBefore time.Time) (bool, error)
	// ClearDrainRequest clears it: the drain job, before it drains.
	ClearDrainRequest(ctx context.Context, connID int64, kind string) error

	// PutInitialSync saves the initial sync progress of one object kind.
	PutInitialSync(ctx context.Context, s InitialSync) error
	// PutInitialSyncProgress saves progress only while the run it belongs
	// to is current (the stored Cursor is s.Cursor) and reports whether it
	// did.
	PutInitialSyncProgress(ctx context.Context, s InitialSync) (bool, error)

	// AddMatchReview stores an ambiguous match for the admin.
	AddMatchReview(ctx context.Context, r MatchReview) (MatchReview, error)
	// ResolveMatchReview records the admin's decision (ErrNotFound if
	// already resolved).
	ResolveMatchReview(ctx context.Context, id int64, resolution string) error
	// CloseMappedReviews resolves as ReviewSuperseded the open reviews of
	// records just mapped (Intercom people or Salesforce records).
	CloseMappedReviews(ctx context.Context, connID int64, intercomIDs, sfIDs []string) (int64, error)

	// PutConversationTasks inserts or updates conversations' Tasks.
	PutConversationTasks(ctx context.Context, tasks []ConversationTask) error
	// ClaimConversationTasks inserts the Tasks not stored yet and says
	// which it inserted: where "this conversation already has a Task for
	// this person" is decided. SetConversationTaskIf and
	// DropConversationTaskIf change or drop a row only while it is still in
	// a given state (a claim's holder finishing or releasing it, or taking
	// over one left by a crash).
	ClaimConversationTasks(ctx context.Context, tasks []ConversationTask) ([]bool, error)
	SetConversationTaskIf(ctx context.Context, ct ConversationTask, from ConversationTaskState, writtenBefore time.Time) (bool, error)
	DropConversationTaskIf(ctx context.Context, ct ConversationTask, from ConversationTaskState) (bool, error)

	// ClaimInboxAction claims the creation of an inbox action's record;
	// FinishInboxAction records the record, ReleaseInboxAction drops a
	// failed claim.
	ClaimInboxAction(ctx context.Context, connID int64, key string, staleAttempt int) (bool, error)
	FinishInboxAction(ctx context.Context, connID int64, key, recordID string) error
	ReleaseInboxAction(ctx context.Context, connID int64, key string) error

	// CreateOAuthState stores a pending OAuth state until it expires.
	CreateOAuthState(ctx context.Context, s OAuthState) error
	// ConsumeOAuthState returns and deletes a state; a second consume, an
	// unknown or expired state gives ErrNotFound.
	ConsumeOAuthState(ctx context.Context, state string) (OAuthState, error)

	// CreateAdminSession stores a signed-in admin session until it expires.
	CreateAdminSession(ctx context.Context, s AdminSession) error
	// DeleteAdminSession ends a session (signing out); an unknown id is
	// not an error.
	DeleteAdminSession(ctx context.Context, id string) error

	// PutReachability records whether a side of a connection answers; a
	// side already unreachable keeps its first UnreachableSince.
	PutReachability(ctx context.Context, r Reachability) error
}

// CompleteInTx runs fn and completes job in one transaction; see
// Store.CompleteJobTx. Use it in a worker:
//
//	func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
//		return store.CompleteInTx(ctx, w.store, job, func(tx store.Tx) error { … })
//	}
func CompleteInTx[T river.JobArgs](ctx context.Context, s Store, job *river.Job[T], fn func(tx Tx) error) error {
	return s.CompleteJobTx(ctx, job.JobRow, fn)
}

// Open opens the store named by databaseURL without migrating it:
// "postgres://…" or "postgresql://…" is PostgreSQL; "sqlite:///path/ferry.db",
// "sqlite://ferry.db", "file:ferry.db" or a plain file path is SQLite; empty is
// DefaultDatabaseURL.
func Open(ctx context.Context, databaseURL string, opts Options) (Store, error) {
	engine, target, err := ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	switch engine {
	case EnginePostgres:
		return openPostgres(ctx, target, opts)
	default:
		return openSQLite(ctx, target, opts)
	}
}

// ParseDatabaseURL says which engine a database URL selects and what to hand
// it: the URL itself for PostgreSQL, the file path for SQLite.
func ParseDatabaseURL(databaseURL string) (Engine, string, error) {
	u := strings.TrimSpace(databaseURL)
	if u == "" {
		u = DefaultDatabaseURL
	}
	lower := strings.ToLower(u)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return EnginePostgres, u, nil
	case strings.HasPrefix(lower, "sqlite://"):
		u = u[len("sqlite://"):]
	case strings.HasPrefix(lower, "sqlite:"):
		u = u[len("sqlite:"):]
	case strings.HasPrefix(lower, "file:"):
		u = u[len("file:"):]
	case strings.Contains(u, "://"):
		return "", "", fmt.Errorf("store: unsupported database URL scheme in %q: want postgres://, sqlite:// or a file path", redactURL(u))
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return "", "", fmt.Errorf("store: SQLite URL %q: query parameters are not supported, ferry sets its own", u)
	}
	if u == "" || u == ":memory:" {
		return "", "", fmt.Errorf("store: SQLite needs a file path (got %q)", databaseURL)
	}
	return EngineSQLite, u, nil
}

// redactURL hides a password in a database URL before it goes into an error.
func redactURL(s string) string {
	at := strings.LastIndexByte(s, '@')
	scheme := strings.Index(s, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return s
	}
	userinfo := s[scheme+3 : at]
	if i := strings.IndexByte(userinfo, ':'); i >= 0 {
		return s[:scheme+3] + userinfo[:i] + ":xxxxx" + s[at:]
	}
	return s
}

// Page selects a slice of a newest-first list. BeforeID continues after the
// last row of the previous page (0 for the first page).
type Page struct {
	Limit    int
	BeforeID int64
}

func (p Page) limit() int {
	if p.Limit <= 0 || p.Limit > 1000 {
		return 100
	}
	return p.Limit
}
