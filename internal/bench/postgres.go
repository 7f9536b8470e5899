package bench

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ferrysync/ferry/internal/store"
)

// isolatePostgres gives a harness a schema of its own in the PostgreSQL
// database at databaseURL, so that scenarios run one after another (or a
// database already used by ferry) never see each other's rows. It returns
// the URL whose search_path is that schema and a function dropping it.
// Other URLs are returned as they are.
func isolatePostgres(ctx context.Context, databaseURL string) (string, func(), error) {
	engine, _, err := store.ParseDatabaseURL(databaseURL)
	if err != nil {
		return "", nil, err
	}
	if engine != store.EnginePostgres {
		return databaseURL, func() {}, nil
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", nil, fmt.Errorf("bench: database URL: %w", err)
	}
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return "", nil, fmt.Errorf("bench: connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	schema := "ferry_bench_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("bench: create schema %s: %w", schema, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, databaseURL)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	}
	return u.String(), drop, nil
}
