package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/ferrysync/ferry/internal/config"
	"github.com/ferrysync/ferry/internal/daemon"
	"github.com/ferrysync/ferry/internal/logs"
	"github.com/ferrysync/ferry/internal/store"
)

func cmdServe(ctx context.Context, args []string, env *cliEnv) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	listen := fs.String("listen", "", "HTTP listen address (overrides FERRY_LISTEN, default "+config.DefaultListen+")")
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: ferry serve [--listen ADDR]")
		fmt.Fprintln(env.Stderr, "\nRuns the daemon. Configuration comes from the environment:")
		for _, v := range config.Vars {
			def := v.Default
			if def == "" {
				def = "-"
			}
			fmt.Fprintf(env.Stderr, "  %-32s %-30s %s\n", v.Name, def, v.Help)
		}
		fmt.Fprintln(env.Stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(env, *listen)
	if err != nil {
		return err
	}
	if err := cfg.RequireSecrets(); err != nil {
		return err
	}
	d, err := daemon.Start(ctx, daemon.Options{Config: cfg, Logger: newLogger(cfg, env)})
	if err != nil {
		return err
	}
	return d.Wait(ctx)
}

// newLogger returns ferry's structured logger at the configured level and
// format (FERRY_LOG_LEVEL, FERRY_LOG_FORMAT), both checked by config.Load.
func newLogger(cfg config.Config, env *cliEnv) *slog.Logger {
	log, err := logs.New(env.Stderr, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		log, _ = logs.New(env.Stderr, "info", "json")
	}
	return log
}

// loadConfig reads the environment and applies a --listen override (which
// also moves the default public URL).
func loadConfig(env *cliEnv, listen string) (config.Config, error) {
	getenv := env.Getenv
	if listen != "" {
		getenv = func(k string) string {
			if k == "FERRY_LISTEN" {
				return listen
			}
			return env.Getenv(k)
		}
	}
	return config.Load(getenv)
}

func cmdMigrate(ctx context.Context, args []string, env *cliEnv) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: ferry migrate\n\nApplies the store's migrations to FERRY_DATABASE_URL (serve also does this at start). Safe to run from several instances at once.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(env.Getenv)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Logger: newLogger(cfg, env)})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "ferry: %s store is up to date\n", st.Engine())
	return nil
}
