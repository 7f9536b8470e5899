// Package daemon assembles a running ferry from its parts: the store and its
// job queue, the connection manager, the sync engine and its workers, and the
// HTTP server (admin API, OAuth callbacks, webhook endpoint, health and
// metrics). `ferry serve`, `ferry demo` and `ferry bench` all run this one
// assembly, so what is benchmarked and demonstrated is what is deployed.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/config"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/metrics"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/web"
)

// pollTick is how often the queue checks which connections are due for a
// poll.
const pollTick = 5 * time.Second

// Options configure Start. Only Config is required.
type Options struct {
	// Config is the process configuration (FERRY_* environment).
	Config config.Config
	// Key encrypts credentials; nil parses Config.SecretKey. Every instance
	// on one database needs the same key.
	Key []byte
	// Listener serves HTTP; nil listens on Config.Listen.
	Listener net.Listener
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// NoSync runs no sync engine: webhook events and polls stay queued.
	NoSync bool
	// Workers is how many jobs run at once in this instance; default 10.
	Workers int
	// FetchPollInterval, FetchCooldown, JobTimeout and RescueStuckJobsAfter
	// tune the queue (see store.Options); zero keeps River's defaults.
	FetchPollInterval, FetchCooldown, JobTimeout, RescueStuckJobsAfter time.Duration
	// Engine adjusts the sync engine's options (tests and benchmarks); the
	// store, manager and logger are already set in what it receives.
	Engine func(engine.Options) engine.Options
	// HTTPClient calls Salesforce and Intercom; default a 60 s timeout.
	HTTPClient *http.Client
}

// Daemon is a running ferry instance.
type Daemon struct {
	// Config is the configuration it runs with.
	Config config.Config
	// Store is its store and job queue.
	Store store.Store
	// Manager hands out the connections' API clients.
	Manager *connection.Manager
	// Engine is the sync engine; nil with Options.NoSync.
	Engine *engine.Engine
	// ConnID is the default connection, configured from the environment.
	ConnID int64
	// Addr is the address the HTTP server listens on.
	Addr string
	// OpsAddr is where /metrics and /readyz are served when
	// FERRY_METRICS_LISTEN is set; empty otherwise.
	OpsAddr string

	log    *slog.Logger
	http   *http.Server
	ops    *http.Server
	unlock func()
	served chan error
	// stopStreams ends the change stream subscribers; nil without sync.
	stopStreams func()
}

// Start opens and migrates the store, ensures the default connection (with
// FERRY_INTERCOM_TOKEN if set), starts the workers and serves HTTP. Stop it
// with Close, or Wait for ctx to end.
func Start(ctx context.Context, opts Options) (*Daemon, error) {
	cfg := opts.Config
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
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
	// The listen addresses are taken before anything touches the store:
	// a wrong or busy address is reported before migrations run, and
	// leaves no database file behind.
	lns, err := listen(cfg, opts.Listener)
	if err != nil {
		return nil, err
	}
	unlock, err := store.LockInstance(cfg.DatabaseURL)
	if err != nil {
		lns.close()
		return nil, err
	}
	if opts.Workers <= 0 {
		opts.Workers = 10
	}
	// Without LISTEN/NOTIFY (SQLite) River finds new jobs only by polling;
	// its default of once a second would be most of a webhook's latency.
	if opts.FetchPollInterval == 0 {
		opts.FetchPollInterval = 100 * time.Millisecond
	}
	if opts.FetchCooldown == 0 {
		opts.FetchCooldown = 20 * time.Millisecond
	}
	httpClient := opts.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 60 * time.Second}
	}

	// The workers are registered before the store opens (River needs them
	// then) but need the store and the engine, which need the open store:
	// they are bound right after.
	storeOpts := store.Options{
		Secret: box, Logger: logger,
		FetchPollInterval: opts.FetchPollInterval, FetchCooldown: opts.FetchCooldown,
		JobTimeout: opts.JobTimeout, RescueStuckJobsAfter: opts.RescueStuckJobsAfter,
		// Every webhook is a job: finished ones are kept an hour, not
		// River's day, so the job table stays a few thousand rows.
		CompletedJobRetention: time.Hour,
	}
	var bind func(store.Store, jobs.Syncer)
	if !opts.NoSync {
		workers := river.NewWorkers()
		storeOpts.Workers = workers
		storeOpts.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}}
		// Polls are due per connection: at the interval its settings ask
		// for (F3.3, down to seconds), and at least every
		// FERRY_POLL_INTERVAL. The tick that checks is short and cheap.
		tick := min(cfg.PollInterval, pollTick)
		storeOpts.PeriodicJobs, bind = jobs.RegisterDeferred(workers, jobs.Options{Logger: logger, PollInterval: tick,
			Retention: store.Retention{History: cfg.HistoryRetention}})
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, storeOpts)
	if err != nil {
		lns.close()
		unlock()
		return nil, err
	}
	d := &Daemon{Config: cfg, Store: st, log: logger, served: make(chan error, 2), unlock: unlock}
	fail := func(err error) (*Daemon, error) {
		_ = st.Close()
		lns.close()
		unlock()
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		return fail(err)
	}
	managerOpts := connection.Options{
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
	}
	if !opts.NoSync {
		// Connecting both sides starts the initial sync (F3.8); a
		// reconnect finds it done or under way and re-imports nothing.
		managerOpts.OnConnected = func(ctx context.Context, tx store.Tx, connID int64) error {
			return engine.StartInitialSync(ctx, tx, connID, time.Now().UTC())
		}
	}
	d.Manager = connection.NewManager(managerOpts)
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	syncMetrics := metrics.New(registry, metrics.Options{Store: st, Logger: logger, PollInterval: cfg.PollInterval, StallAfter: cfg.StalledAfter})
	if !opts.NoSync {
		eo := engine.Options{Store: st, Manager: d.Manager, Logger: logger, Observer: syncMetrics,
			SettingsPollInterval: true, MaxPollInterval: cfg.PollInterval, PubSubURL: cfg.Salesforce.PubSubURL}
		if opts.Engine != nil {
			eo = opts.Engine(eo)
		}
		d.Engine = engine.New(eo)
		bind(st, d.Engine)
	}
	if d.ConnID, err = defaultConnection(ctx, st); err != nil {
		return fail(err)
	}
	if cfg.Intercom.Token != "" {
		if err := d.useIntercomToken(ctx, httpClient); err != nil {
			return fail(err)
		}
	}
	// The workers outlive ctx (a SIGTERM ends it): Close stops them
	// gracefully, letting running jobs finish or hand their work back,
	// instead of cancelling them mid-write.
	if err := st.Start(context.WithoutCancel(ctx)); err != nil {
		return fail(err)
	}
	if d.Engine != nil {
		// Webhooks a previous process stored but did not apply get a drain
		// job now (their job may have died with it).
		if err := jobs.ResumeDrains(ctx, st); err != nil {
			logger.WarnContext(ctx, "resuming the drain of stored webhooks failed; the next webhook or poll drains them", "error", err)
		}
		// Salesforce change streams (F3.3), one subscriber per connection
		// across instances; Close ends them and hands their leases back.
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() { defer close(done); d.Engine.RunStreams(sctx) }()
		d.stopStreams = func() { cancel(); <-done }
	}

	srv := web.New(web.Options{
		Config:              cfg,
		Store:               st,
		Manager:             d.Manager,
		Logger:              logger,
		Registry:            registry,
		HTTPClient:          httpClient,
		DefaultConnectionID: d.ConnID,
	})
	ln := lns.main
	d.Addr = ln.Addr().String()
	d.http = srv.HTTPServer(srv.Handler())
	if lns.ops != nil {
		d.OpsAddr = lns.ops.Addr().String()
		d.ops = srv.HTTPServer(srv.OpsHandler())
		go func() { d.served <- d.ops.Serve(lns.ops) }()
	}
	go func() { d.served <- d.http.Serve(ln) }()
	logger.Info("ferry serving", "listen", d.Addr, "public_url", cfg.PublicURL,
		"webhook_url", cfg.WebhookURL(), "store", string(st.Engine()), "sync", !opts.NoSync)
	return d, nil
}

// listeners are the daemon's listen sockets: the main one and, with
// FERRY_METRICS_LISTEN, the one for /metrics and /readyz.
type listeners struct{ main, ops net.Listener }

func (l listeners) close() {
	for _, ln := range []net.Listener{l.main, l.ops} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// listen opens the listen addresses (main given: only the ops one).
func listen(cfg config.Config, main net.Listener) (listeners, error) {
	l := listeners{main: main}
	if l.main == nil {
		ln, err := net.Listen("tcp", cfg.Listen)
		if err != nil {
			return l, fmt.Errorf("FERRY_LISTEN: cannot listen on %s: %w", cfg.Listen, err)
		}
		l.main = ln
	}
	if cfg.MetricsListen != "" {
		ln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			l.close()
			return listeners{}, fmt.Errorf("FERRY_METRICS_LISTEN: cannot listen on %s: %w", cfg.MetricsListen, err)
		}
		l.ops = ln
	}
	return l, nil
}

// useIntercomToken stores FERRY_INTERCOM_TOKEN as the default connection's
// Intercom credential, with the workspace it belongs to.
func (d *Daemon) useIntercomToken(ctx context.Context, hc *http.Client) error {
	ic := intercom.New(intercom.Config{BaseURL: d.Config.Intercom.URL, Token: d.Config.Intercom.Token, HTTPClient: hc, Logger: d.log})
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
	return d.Manager.StoreIntercomToken(ctx, d.ConnID, d.Config.Intercom.Token, workspace)
}

// defaultConnection returns the first connection, creating it on a new
// database. Two instances starting at once on one PostgreSQL may both create
// one; the oldest wins, as ListConnections orders them.
func defaultConnection(ctx context.Context, st store.Store) (int64, error) {
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

// Wait blocks until ctx ends or the HTTP server fails, then shuts down.
func (d *Daemon) Wait(ctx context.Context) error {
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-d.served:
	}
	return errors.Join(serveErr, d.Close())
}

// Close stops HTTP, lets running jobs finish (for up to 20 s; drain jobs
// end after their current round and hand the rest back), cancels those
// still running so they release what they hold, and closes the store.
func (d *Daemon) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range []*http.Server{d.http, d.ops} {
		if srv == nil {
			continue
		}
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if d.Engine != nil {
		d.Engine.StopDraining()
	}
	if d.stopStreams != nil {
		d.stopStreams()
	}
	if err := d.Store.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := d.Store.Close(); err != nil {
		errs = append(errs, err)
	}
	d.unlock()
	d.log.Info("ferry stopped")
	return errors.Join(errs...)
}
