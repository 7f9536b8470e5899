// Package storetest is the conformance suite every store engine passes, and
// helpers that give tests (in any package) a fresh, migrated store on SQLite
// or, when FERRY_TEST_DATABASE_URL is set, on an isolated PostgreSQL schema.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/store"
)

// EnvPostgresURL names the variable that points tests at a PostgreSQL
// database; PostgreSQL tests skip when it is unset.
const EnvPostgresURL = "FERRY_TEST_DATABASE_URL"

// SQLiteURL returns the URL of a new SQLite file in the test's temp dir.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite://" + filepath.Join(t.TempDir(), "ferry.db")
}

// PostgresURL creates a schema of its own in the database named by
// FERRY_TEST_DATABASE_URL, drops it when the test ends, and returns a URL
// whose search_path is that schema, so parallel tests and packages never
// see each other's rows. It skips the test when the variable is unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvPostgresURL)
	if base == "" {
		t.Skipf("%s not set; skipping PostgreSQL", EnvPostgresURL)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("storetest: connect to %s: %v", EnvPostgresURL, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "ferry_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("storetest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: parse %s: %v", EnvPostgresURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// NewBox returns a secret box with a fresh random key.
func NewBox(t testing.TB) *secret.Box {
	t.Helper()
	key, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// Open opens and migrates the store at databaseURL, with a fresh secret box
// if opts has none, starts its workers if it has any, and stops and closes
// it when the test ends.
func Open(t testing.TB, databaseURL string, opts store.Options) store.Store {
	t.Helper()
	ctx := context.Background()
	if opts.Secret == nil {
		opts.Secret = NewBox(t)
	}
	s, err := store.Open(ctx, databaseURL, opts)
	if err != nil {
		t.Fatalf("storetest: open: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("storetest: stop: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("storetest: close: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("storetest: migrate: %v", err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatalf("storetest: start: %v", err)
	}
	return s
}

// Engines lists the engines to test, each with a function giving a fresh
// database URL; PostgreSQL skips itself when FERRY_TEST_DATABASE_URL is
// unset. Use it to run a test on both:
//
//	for _, e := range storetest.Engines() {
//		t.Run(string(e.Engine), func(t *testing.T) { s := storetest.Open(t, e.URL(t), opts) … })
//	}
func Engines() []Engine {
	return []Engine{
		{Engine: store.EngineSQLite, URL: SQLiteURL},
		{Engine: store.EnginePostgres, URL: PostgresURL},
	}
}

// Engine is one engine to test on.
type Engine struct {
	Engine store.Engine
	URL    func(t testing.TB) string
}
