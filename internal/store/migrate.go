package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
)

// migrationsFS holds each engine's DDL; the binary carries its migrations.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationsFS embed.FS

// gooseUp applies ferry's migrations for one engine with goose.
func gooseUp(ctx context.Context, db *sql.DB, dialect goose.Dialect, dir string, logger *slog.Logger) error {
	sub, err := fs.Sub(migrationsFS, dir)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	provider, err := goose.NewProvider(dialect, db, sub,
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(logger),
	)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range results {
		logger.InfoContext(ctx, "store: applied migration", slog.String("file", r.Source.Path), slog.Int64("duration_ms", r.Duration.Milliseconds()))
	}
	return nil
}
