package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// pgStore is the PostgreSQL engine: one pgx pool shared by the store and
// River (riverpgxv5, which fetches with FOR UPDATE SKIP LOCKED and wakes
// workers with LISTEN/NOTIFY), so several instances share one database.
type pgStore struct {
	reader

	pool *pgxpool.Pool
	riverQueue[pgx.Tx]
	opts   Options
	schema string
}

var pgDialect = &dialect{
	engine: EnginePostgres,
	// jsonb equality, so a non-numeric connection_id cannot break the cast.
	jobConnectionIs: `args -> 'connection_id' = to_jsonb($1::bigint)`,
	isUniqueViolation: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
	// pgx sends a []string as text[] and a []int64 as bigint[].
	inList:  func(col string, n int) string { return fmt.Sprintf(`%s = ANY($%d)`, col, n) },
	listArg: func(list any) any { return list },
}

// schemaName is what Options-free callers can put in search_path for River
// to use as its schema too (tests isolate themselves this way).
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func openPostgres(ctx context.Context, databaseURL string, opts Options) (*pgStore, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// pgx's parse errors can quote the URL, password included.
		return nil, fmt.Errorf("store: postgres: invalid database URL %s", redactURL(databaseURL))
	}
	if !strings.Contains(databaseURL, "pool_max_conns") {
		// pgx's default (4 on a small machine) starves River: every worker
		// holds a connection for its transaction while the producer,
		// completer and notifier need their own.
		cfg.MaxConns = 25
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: postgres: connect: %w", err)
	}
	s := &pgStore{
		reader: reader{q: pgQuerier{pool}, d: pgDialect, box: opts.Secret},
		pool:   pool,
		opts:   opts,
	}
	// A search_path of one plain schema (set in the URL) is River's schema
	// too, so that ferry and River live side by side in it.
	if sp := cfg.ConnConfig.RuntimeParams["search_path"]; schemaName.MatchString(sp) {
		s.schema = sp
	}
	rcfg := riverConfig(opts)
	rcfg.Schema = s.schema
	s.working = opts.Workers != nil
	s.client, err = river.NewClient(riverpgxv5.New(pool), rcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: postgres: river client: %w", err)
	}
	return s, nil
}

func (s *pgStore) Engine() Engine { return EnginePostgres }

// Migrate runs ferry's and River's migrations under one session-level
// advisory lock (keyed by schema), so instances starting together take turns
// and the later ones find nothing to do. rivermigrate takes no lock of its
// own, hence one lock around both rather than goose's locker.
func (s *pgStore) Migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: postgres: migrate: %w", err)
	}
	defer conn.Release()
	h := fnv.New64a()
	h.Write([]byte("ferry migrate " + s.schema))
	key := int64(h.Sum64())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("store: postgres: migrate: lock: %w", err)
	}
	defer func() {
		// A fresh context: the lock must go even if ctx was cancelled,
		// or the pooled session would keep it.
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()

	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	if err := gooseUp(ctx, db, goose.DialectPostgres, "migrations/postgres", s.opts.Logger); err != nil {
		return err
	}
	m, err := rivermigrate.New(riverpgxv5.New(s.pool), &rivermigrate.Config{Logger: riverLogger(s.opts.Logger), Schema: s.schema})
	if err != nil {
		return fmt.Errorf("store: postgres: river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("store: postgres: river migrate: %w", err)
	}
	return nil
}

func (s *pgStore) Close() error {
	s.pool.Close()
	return nil
}

func (s *pgStore) InTx(ctx context.Context, fn func(tx Tx) error) error {
	return s.inTx(ctx, func(tx *pgTx) error { return fn(tx) })
}

func (s *pgStore) inTx(ctx context.Context, fn func(tx *pgTx) error) error {
	pgxTx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	// Rollback after Commit is a no-op; this also covers panics.
	defer func() { _ = pgxTx.Rollback(context.WithoutCancel(ctx)) }()
	tx := &pgTx{writer: writer{reader{q: pgQuerier{pgxTx}, d: pgDialect, box: s.opts.Secret}}, riverTxQueue: riverTxQueue[pgx.Tx]{tx: pgxTx, client: s.client}}
	if err := fn(tx); err != nil {
		return err
	}
	if err := pgxTx.Commit(ctx); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func (s *pgStore) CompleteJobTx(ctx context.Context, job *rivertype.JobRow, fn func(tx Tx) error) error {
	return s.inTx(ctx, func(tx *pgTx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx.tx, &river.Job[completeArgs]{JobRow: job}); err != nil {
			return fmt.Errorf("store: complete job %d: %w", job.ID, err)
		}
		return nil
	})
}

// pgTx is a transaction on the pool.
type pgTx struct {
	writer
	riverTxQueue[pgx.Tx] // holds the transaction
}

// pgQuerier adapts a pgx pool or transaction.
type pgQuerier struct {
	db interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
}

func (q pgQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.db.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	rs, err := q.db.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return rs, nil
}

func (q pgQuerier) queryRow(ctx context.Context, query string, args ...any) row {
	return pgRow{q.db.QueryRow(ctx, query, args...)}
}

// pgRow reports no row as sql.ErrNoRows, like database/sql, so the entity
// code checks one error.
type pgRow struct{ pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sql.ErrNoRows
	}
	return err
}
