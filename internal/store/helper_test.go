package store_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // raw access to the test database

	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// rawDB runs SQL on a test database behind the store's back, for assertions
// the store's API does not offer (and must not: they are test-only).
type rawDB struct {
	t      testing.TB
	engine store.Engine
	url    string
}

func (r rawDB) queryRow(query string, args []any, dest ...any) {
	r.t.Helper()
	ctx := context.Background()
	switch r.engine {
	case store.EnginePostgres:
		conn, err := pgx.Connect(ctx, r.url)
		if err != nil {
			r.t.Fatal(err)
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, query, args...).Scan(dest...); err != nil {
			r.t.Fatalf("raw %q: %v", query, err)
		}
	default:
		db, err := sql.Open("sqlite", strings.TrimPrefix(r.url, "sqlite://"))
		if err != nil {
			r.t.Fatal(err)
		}
		defer db.Close()
		if err := db.QueryRowContext(ctx, query, args...).Scan(dest...); err != nil {
			r.t.Fatalf("raw %q: %v", query, err)
		}
	}
}

func (r rawDB) exec(query string, args ...any) {
	r.t.Helper()
	ctx := context.Background()
	switch r.engine {
	case store.EnginePostgres:
		conn, err := pgx.Connect(ctx, r.url)
		if err != nil {
			r.t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, query, args...); err != nil {
			r.t.Fatalf("raw %q: %v", query, err)
		}
	default:
		db, err := sql.Open("sqlite", strings.TrimPrefix(r.url, "sqlite://")+"?_pragma=busy_timeout(10000)")
		if err != nil {
			r.t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(ctx, query, args...); err != nil {
			r.t.Fatalf("raw %q: %v", query, err)
		}
	}
}

func newConnection(t testing.TB, s store.Store) store.Connection {
	t.Helper()
	var c store.Connection
	err := s.InTx(context.Background(), func(tx store.Tx) error {
		var err error
		c, err = tx.CreateConnection(context.Background(), store.Connection{Name: t.Name()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eachEngine runs f on a fresh store of each engine with one connection.
func eachEngine(t *testing.T, f func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection)) {
	t.Helper()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := storetest.Open(t, e.URL(t), store.Options{})
			var conn store.Connection
			if err := s.InTx(ctx, func(tx store.Tx) (err error) {
				conn, err = tx.CreateConnection(ctx, store.Connection{Name: "a"})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			f(t, ctx, s, conn)
		})
	}
}
