package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/config"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/web"
)

// daemon is a running ferry: store and workers, connection manager, HTTP.
type daemon struct {
	cfg      config.Config
	log      *slog.Logger
	store    store.Store
	manager  *connection.Manager
	connID   int64 // the default connection
	listener net.Listener
	http     *http.Server
	served   chan error
}

// daemonOptions are what serve and demo decide differently.
type daemonOptions struct {
	// Key encrypts credentials; parsed from FERRY_SECRET_KEY when nil.
	Key []byte
	// Listener, if set, is used instead of listening on cfg.Listen.
	Listener net.Listener
	// Syncer runs the sync; nil leaves events and polls queued.
	Syncer jobs.Syncer
}

// newLogger returns ferry's structured JSON logger at the configured level.
func newLogger(cfg config.Config, env *cliEnv) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	return slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
}

// startDaemon opens and migrates the store, ensures the default connection,
// starts the workers and the HTTP server. Stop it with shutdown.
func startDaemon(ctx context.Context, cfg config.Config, logger *slog.Logger, opts daemonOptions) (*daemon, error) {
	key := opts.Key
	if key == nil {
		var err error
		if key, err = secret.ParseKey(cfg.SecretKey); err != nil {
			return nil, fmt.Errorf("FERRY_SECRET_KEY: %w", err)
		}
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return nil, err
	}
	storeOpts := store.Options{Secret: box, Logger: logger}
	if opts.Syncer != nil {
		workers := river.NewWorkers()
		storeOpts.Workers = workers
		storeOpts.PeriodicJobs = jobs.Register(workers, jobs.Options{
			Syncer: opts.Syncer, Logger: logger, PollInterval: cfg.PollInterval,
		})
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, storeOpts)
	if err != nil {
		return nil, err
	}
	d := &daemon{cfg: cfg, log: logger, store: st, served: make(chan error, 1)}
	fail := func(err error) (*daemon, error) {
		_ = st.Close()
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		return fail(err)
	}
	httpClient := &http.Client{Timeout: 60 * time.Second}
	d.manager = connection.NewManager(connection.Options{
		Store:  st,
		Logger: logger,
		Salesforce: salesforce.Config{
			LoginURL:     cfg.Salesforce.LoginURL,
			ClientID:     cfg.Salesforce.ClientID,
			ClientSecret: cfg.Salesforce.ClientSecret,
			RedirectURL:  cfg.SalesforceCallbackURL(),
		},
		SalesforceAPIVersion: cfg.Salesforce.APIVersion,
		IntercomURL:          cfg.Intercom.URL,
		HTTPClient:           httpClient,
	})
	if d.connID, err = ensureDefaultConnection(ctx, st); err != nil {
		return fail(err)
	}
	if cfg.Intercom.Token != "" {
		if err := d.useIntercomToken(ctx, httpClient); err != nil {
			return fail(err)
		}
	}
	if err := st.Start(ctx); err != nil {
		return fail(err)
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := web.New(web.Options{
		Config:              cfg,
		Store:               st,
		Manager:             d.manager,
		Logger:              logger,
		Registry:            registry,
		HTTPClient:          httpClient,
		DefaultConnectionID: d.connID,
	})
	d.listener = opts.Listener
	if d.listener == nil {
		if d.listener, err = net.Listen("tcp", cfg.Listen); err != nil {
			_ = st.Stop(ctx)
			return fail(fmt.Errorf("listen on %s: %w", cfg.Listen, err))
		}
	}
	d.http = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() { d.served <- d.http.Serve(d.listener) }()
	logger.Info("ferry serving", "listen", d.listener.Addr().String(), "public_url", cfg.PublicURL,
		"webhook_url", cfg.WebhookURL(), "store", string(st.Engine()), "sync", opts.Syncer != nil)
	return d, nil
}

// useIntercomToken stores FERRY_INTERCOM_TOKEN as the default connection's
// Intercom credential, with the workspace it belongs to.
func (d *daemon) useIntercomToken(ctx context.Context, hc *http.Client) error {
	ic := intercom.New(intercom.Config{BaseURL: d.cfg.Intercom.URL, Token: d.cfg.Intercom.Token, HTTPClient: hc, Logger: d.log})
	workspace := ""
	me, err := ic.Me(ctx)
	switch {
	case err == nil && me.App != nil:
		workspace = me.App.IDCode
	case intercom.IsUnauthorized(err):
		return fmt.Errorf("FERRY_INTERCOM_TOKEN: Intercom refused the token: %w", err)
	case err != nil:
		d.log.Warn("could not reach Intercom to check FERRY_INTERCOM_TOKEN; storing it anyway", "error", err)
	}
	return d.manager.StoreIntercomToken(ctx, d.connID, d.cfg.Intercom.Token, workspace)
}

// ensureDefaultConnection returns the first connection, creating it on a
// new database.
func ensureDefaultConnection(ctx context.Context, st store.Store) (int64, error) {
	conns, err := st.ListConnections(ctx)
	if err != nil {
		return 0, err
	}
	if len(conns) > 0 {
		return conns[0].ID, nil
	}
	var id int64
	err = st.InTx(ctx, func(tx store.Tx) error {
		c, err := tx.CreateConnection(ctx, store.Connection{Name: "default"})
		id = c.ID
		return err
	})
	return id, err
}

// wait blocks until ctx ends or the HTTP server fails, then shuts down.
func (d *daemon) wait(ctx context.Context) error {
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-d.served:
	}
	return errors.Join(serveErr, d.shutdown())
}

// shutdown stops HTTP, lets running jobs finish (bounded) and closes the store.
func (d *daemon) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var errs []error
	if err := d.http.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	if err := d.store.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := d.store.Close(); err != nil {
		errs = append(errs, err)
	}
	d.log.Info("ferry stopped")
	return errors.Join(errs...)
}

// stderrIsTerminal reports whether stderr is a terminal (for friendlier demo
// output).
func stderrIsTerminal() bool {
	fi, err := os.Stderr.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
