package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqlitePragmas are PocketBase's: busy_timeout first so that the others
// wait instead of failing while another connection holds a lock.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"

// sqliteWriterPragmas are the writer's own. Its page cache is 32 MB instead
// of 2 MB: every write reads the pages it changes, and an initial sync of
// 100,000 people touches indexes far larger than 2 MB, page by page, at
// random. It checkpoints the WAL every 8,000 pages (32 MB) instead of
// 1,000: a checkpoint copies each page changed since the last once, so
// pages changed over and over (index pages) are copied less often.
const sqliteWriterPragmas = "&_pragma=cache_size(-32768)&_pragma=wal_autocheckpoint(8000)&_txlock=immediate"

// sqliteStore is the SQLite engine: a single-connection writer pool, shared
// with River, whose transactions begin IMMEDIATE (so a transaction never has
// to upgrade a read lock and hit SQLITE_BUSY), and a pool of readers that see
// the last committed state through WAL.
type sqliteStore struct {
	reader

	path    string
	writeDB *sql.DB
	readDB  *sql.DB
	binder  *sqliteBinder
	riverQueue[*sql.Tx]
	opts Options

	// migrateMu serializes Migrate within the process; a file lock does it
	// across processes.
	migrateMu sync.Mutex
}

var sqliteDialect = &dialect{
	engine:          EngineSQLite,
	jobConnectionIs: `json_extract(args, '$.connection_id') = $1`,
	isUniqueViolation: func(err error) bool {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return false
		}
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	// A JSON array: json_each yields its strings as text (quotes and
	// any Unicode intact) and its numbers as integers. Go strings
	// that are not valid UTF-8 cannot be sent this way; ids come from
	// JSON APIs and are valid.
	inList: func(col string, n int) string {
		return fmt.Sprintf(`%s IN (SELECT value FROM json_each($%d))`, col, n)
	},
	listArg: func(list any) any {
		b, err := json.Marshal(list)
		if err != nil {
			panic(fmt.Sprintf("store: sqlite: list argument %T: %v", list, err)) // []string and []int64 always marshal
		}
		return string(b)
	},
}

// openSQLiteDB opens a pool whose connections keep their statements
// prepared (sqliteConnector).
func openSQLiteDB(dsn string) (*sql.DB, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(sqliteConnector{c}), nil
}

func openSQLite(_ context.Context, path string, opts Options) (*sqliteStore, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: sqlite: create directory: %w", err)
		}
	}
	writeDB, err := openSQLiteDB(path + "?" + sqlitePragmas + sqliteWriterPragmas)
	if err != nil {
		return nil, fmt.Errorf("store: sqlite: open writer: %w", err)
	}
	// One writer: SQLite allows one at a time anyway, and queueing in the
	// pool is cheaper and fairer than SQLITE_BUSY retries (River's advice).
	writeDB.SetMaxOpenConns(1)
	writeDB.SetConnMaxIdleTime(0)
	readDB, err := openSQLiteDB(path + "?" + sqlitePragmas + "&_pragma=query_only(true)")
	if err != nil {
		writeDB.Close()
		return nil, fmt.Errorf("store: sqlite: open readers: %w", err)
	}
	readDB.SetMaxOpenConns(32)
	readDB.SetMaxIdleConns(8)

	binder := newSQLiteBinder()
	s := &sqliteStore{
		reader:  reader{q: sqlQuerier{db: readDB, binder: binder}, d: sqliteDialect, box: opts.Secret},
		binder:  binder,
		path:    path,
		writeDB: writeDB,
		readDB:  readDB,
		opts:    opts,
	}
	s.working = opts.Workers != nil
	s.client, err = river.NewClient(riversqlite.New(writeDB), riverConfig(opts))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store: sqlite: river client: %w", err)
	}
	return s, nil
}

// riverConfig turns Options into River's configuration for either engine.
func riverConfig(opts Options) *river.Config {
	cfg := &river.Config{
		ErrorHandler:         opts.ErrorHandler,
		FetchCooldown:        opts.FetchCooldown,
		FetchPollInterval:    opts.FetchPollInterval,
		ID:                   opts.ID,
		JobTimeout:           opts.JobTimeout,
		Logger:               riverLogger(opts.Logger),
		MaxAttempts:          opts.MaxAttempts,
		RescueStuckJobsAfter: opts.RescueStuckJobsAfter,
		RetryPolicy:          opts.RetryPolicy,
		// Completed and cancelled jobs only record that work was done;
		// discarded ones (failed for good) keep River's week for a look.
		CompletedJobRetentionPeriod: opts.CompletedJobRetention,
		CancelledJobRetentionPeriod: opts.CompletedJobRetention,
	}
	if opts.Logger != nil {
		maxAttempts := opts.MaxAttempts
		if maxAttempts <= 0 {
			maxAttempts = river.MaxAttemptsDefault
		}
		cfg.ErrorHandler = jobErrorLogger{log: opts.Logger, next: opts.ErrorHandler, maxAttempts: maxAttempts}
	}
	if opts.Workers != nil {
		cfg.Workers = opts.Workers
		cfg.Queues = opts.Queues
		if len(cfg.Queues) == 0 {
			cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}}
		}
		cfg.PeriodicJobs = opts.PeriodicJobs
	}
	return cfg
}

func (s *sqliteStore) Engine() Engine { return EngineSQLite }

func (s *sqliteStore) Migrate(ctx context.Context) error {
	s.migrateMu.Lock()
	defer s.migrateMu.Unlock()
	unlock, err := lockFile(s.path + ".migrate-lock")
	if err != nil {
		return fmt.Errorf("store: sqlite: migrate: %w", err)
	}
	defer unlock()
	if err := gooseUp(ctx, s.writeDB, goose.DialectSQLite3, "migrations/sqlite", s.opts.Logger); err != nil {
		return err
	}
	m, err := rivermigrate.New(riversqlite.New(s.writeDB), &rivermigrate.Config{Logger: riverLogger(s.opts.Logger)})
	if err != nil {
		return fmt.Errorf("store: sqlite: river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("store: sqlite: river migrate: %w", err)
	}
	return nil
}

func (s *sqliteStore) Close() error {
	// SQLite's advice for connections that close: let it refresh the query
	// planner's statistics where they have drifted. Cheap when nothing has.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = s.writeDB.ExecContext(ctx, `PRAGMA optimize`)
	return errors.Join(s.readDB.Close(), s.writeDB.Close())
}

func (s *sqliteStore) InTx(ctx context.Context, fn func(tx Tx) error) error {
	return s.inTx(ctx, func(tx *sqliteTx) error { return fn(tx) })
}

func (s *sqliteStore) inTx(ctx context.Context, fn func(tx *sqliteTx) error) (err error) {
	sqlTx, err := s.writeDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
	}()
	tx := &sqliteTx{writer: writer{reader{q: sqlQuerier{db: sqlTx, binder: s.binder}, d: sqliteDialect, box: s.opts.Secret}},
		riverTxQueue: riverTxQueue[*sql.Tx]{tx: sqlTx, client: s.client}}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func (s *sqliteStore) CompleteJobTx(ctx context.Context, job *rivertype.JobRow, fn func(tx Tx) error) error {
	return s.inTx(ctx, func(tx *sqliteTx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx.tx, &river.Job[completeArgs]{JobRow: job}); err != nil {
			return fmt.Errorf("store: complete job %d: %w", job.ID, err)
		}
		return nil
	})
}

// sqliteTx is a transaction on the writer connection.
type sqliteTx struct {
	writer
	riverTxQueue[*sql.Tx] // holds the transaction
}

// sqlQuerier adapts database/sql, converting times to SQLite's stored text.
type sqlQuerier struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
	// binder turns $N into ?, shared by the store's pools.
	binder *sqliteBinder
}

// sqliteArgs returns query's SQLite text and its arguments, in the order
// of its placeholders, with times as SQLite's stored text.
func (q sqlQuerier) sqliteArgs(query string, args []any) (string, []any, error) {
	query, args, err := q.binder.bind(query, args)
	if err != nil {
		return "", nil, err
	}
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			args[i] = t.UTC().Format(sqliteTimeLayout)
		}
	}
	return query, args, nil
}

func (q sqlQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	query, args, err := q.sqliteArgs(query, args)
	if err != nil {
		return 0, err
	}
	res, err := q.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqlQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	query, args, err := q.sqliteArgs(query, args)
	if err != nil {
		return nil, err
	}
	rs, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rs}, nil
}

func (q sqlQuerier) queryRow(ctx context.Context, query string, args ...any) row {
	query, args, err := q.sqliteArgs(query, args)
	if err != nil {
		return errRow{err}
	}
	return q.db.QueryRowContext(ctx, query, args...)
}

// errRow is a row whose statement could not run.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }
