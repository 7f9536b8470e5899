package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/config"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/web"
)

// FerryOptions configure one ferry instance run in process, wired like
// `ferry serve`: store and queue workers, connection manager, sync engine and
// the HTTP server with the webhook endpoint and the admin API.
type FerryOptions struct {
	// DatabaseURL is the store (SQLite file or postgres://). Required.
	DatabaseURL string
	// Key encrypts credentials; every instance on one database needs the
	// same key. Required.
	Key []byte
	// Listener serves ferry's HTTP; nil listens on a free loopback port.
	Listener net.Listener
	// PublicURL is how the emulators reach ferry (OAuth callbacks,
	// webhooks); default the listener's URL.
	PublicURL string
	// AdminToken authorizes the admin API. Required.
	AdminToken string
	// SalesforceURL is the Salesforce emulator (login and API).
	SalesforceURL string
	// IntercomURL is the Intercom emulator (API and OAuth).
	IntercomURL string
	// IntercomClientID and IntercomClientSecret are the Intercom app's;
	// the secret also checks webhook signatures.
	IntercomClientID, IntercomClientSecret string
	// PollInterval is how often Salesforce is polled. Default 5 s.
	PollInterval time.Duration
	// Workers is the number of queue workers. Default 10 (as serve).
	Workers int
	// FetchPollInterval and FetchCooldown tune how fast idle workers see
	// new jobs (see store.Options); zero keeps River's defaults.
	FetchPollInterval, FetchCooldown time.Duration
	// JobTimeout and RescueStuckJobsAfter are passed to the store: how long
	// a job may run, and when a job whose process died runs again. Zero
	// keeps River's defaults (1 minute, 1 hour).
	JobTimeout, RescueStuckJobsAfter time.Duration
	// Syncer builds the sync engine once the store and manager exist. Nil
	// runs no sync: events and polls stay queued.
	Syncer func(SyncerDeps) jobs.Syncer
	// Logger receives ferry's logs; nil discards them.
	Logger *slog.Logger
}

// SyncerDeps is what a sync engine is built from.
type SyncerDeps struct {
	Store   store.Store
	Manager *connection.Manager
	Logger  *slog.Logger
}

// Ferry is a running in-process ferry instance.
type Ferry struct {
	// URL is ferry's base URL (the public URL).
	URL string
	// Addr is the address ferry's HTTP server listens on.
	Addr string
	// Store is the instance's store.
	Store store.Store
	// Manager hands out the connection's clients.
	Manager *connection.Manager
	// ConnID is the default connection.
	ConnID int64

	adminToken string
	http       *http.Server
	served     chan error
	log        *slog.Logger
}

// lateStore is the store as the workers see it: set right after Open (the
// workers are registered before, as Open starts them).
type lateStore struct{ store.Store }

// lateSyncer lets the queue workers be registered before the store they
// need is open: the engine is set right after Open, before Start. It passes
// the optional jobs interfaces (initial sync, record retry) through.
type lateSyncer struct{ s jobs.Syncer }

func (l *lateSyncer) HandleIntercomEvent(ctx context.Context, conn store.Connection, ev store.WebhookEvent) error {
	return l.s.HandleIntercomEvent(ctx, conn, ev)
}

func (l *lateSyncer) Poll(ctx context.Context, conn store.Connection) error {
	return l.s.Poll(ctx, conn)
}

// InitialSync implements jobs.InitialSyncer when the engine does.
func (l *lateSyncer) InitialSync(ctx context.Context, conn store.Connection) error {
	s, ok := l.s.(jobs.InitialSyncer)
	if !ok {
		return fmt.Errorf("bench: the syncer runs no initial sync")
	}
	return s.InitialSync(ctx, conn)
}

// RetryRecord implements jobs.RecordRetrier when the engine does.
func (l *lateSyncer) RetryRecord(ctx context.Context, conn store.Connection, args jobs.RetryRecordArgs) error {
	s, ok := l.s.(jobs.RecordRetrier)
	if !ok {
		return fmt.Errorf("bench: the syncer retries no records")
	}
	return s.RetryRecord(ctx, conn, args)
}

// StartFerry opens and migrates the store, ensures the default connection,
// starts the workers and serves HTTP. Stop it with Close.
func StartFerry(ctx context.Context, opts FerryOptions) (*Ferry, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 10
	}
	box, err := secret.NewBox(opts.Key)
	if err != nil {
		return nil, fmt.Errorf("bench: ferry key: %w", err)
	}
	ln := opts.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("bench: ferry listen: %w", err)
		}
	}
	public := opts.PublicURL
	if public == "" {
		public = "http://" + ln.Addr().String()
	}
	cfg := config.Config{
		DatabaseURL: opts.DatabaseURL,
		Listen:      ln.Addr().String(),
		PublicURL:   public,
		AdminToken:  opts.AdminToken,
		LogLevel:    "info",
		Salesforce: config.SalesforceConfig{
			LoginURL: opts.SalesforceURL, ClientID: sfClientID, ClientSecret: sfClientSecret,
			APIVersion: config.DefaultSalesforceVersion,
		},
		Intercom: config.IntercomConfig{
			URL: opts.IntercomURL, OAuthURL: opts.IntercomURL + "/oauth",
			ClientID: opts.IntercomClientID, ClientSecret: opts.IntercomClientSecret,
		},
		PollInterval: opts.PollInterval,
	}

	late, lateSt := &lateSyncer{}, &lateStore{}
	storeOpts := store.Options{
		Secret: box, Logger: opts.Logger,
		FetchPollInterval: opts.FetchPollInterval, FetchCooldown: opts.FetchCooldown,
		JobTimeout: opts.JobTimeout, RescueStuckJobsAfter: opts.RescueStuckJobsAfter,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: opts.Workers}},
	}
	if opts.Syncer != nil {
		workers := river.NewWorkers()
		storeOpts.Workers = workers
		storeOpts.PeriodicJobs = jobs.Register(workers, jobs.Options{
			Store: lateSt, Syncer: late, Logger: opts.Logger, PollInterval: opts.PollInterval,
		})
	}
	st, err := store.Open(ctx, opts.DatabaseURL, storeOpts)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("bench: open store: %w", err)
	}
	lateSt.Store = st
	fail := func(err error) (*Ferry, error) {
		_ = st.Close()
		ln.Close()
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		return fail(fmt.Errorf("bench: migrate: %w", err))
	}
	httpClient := &http.Client{Timeout: 60 * time.Second}
	manager := connection.NewManager(connection.Options{
		Store:  st,
		Logger: opts.Logger,
		Salesforce: salesforce.Config{
			LoginURL: cfg.Salesforce.LoginURL, ClientID: cfg.Salesforce.ClientID,
			ClientSecret: cfg.Salesforce.ClientSecret, RedirectURL: cfg.SalesforceCallbackURL(),
		},
		SalesforceAPIVersion: cfg.Salesforce.APIVersion,
		IntercomURL:          cfg.Intercom.URL,
		HTTPClient:           httpClient,
	})
	connID, err := defaultConnection(ctx, st)
	if err != nil {
		return fail(err)
	}
	if opts.Syncer != nil {
		late.s = opts.Syncer(SyncerDeps{Store: st, Manager: manager, Logger: opts.Logger})
	}
	if err := st.Start(ctx); err != nil {
		return fail(fmt.Errorf("bench: start workers: %w", err))
	}
	srv := web.New(web.Options{
		Config: cfg, Store: st, Manager: manager, Logger: opts.Logger,
		HTTPClient: httpClient, DefaultConnectionID: connID,
	})
	f := &Ferry{
		URL: public, Addr: ln.Addr().String(), Store: st, Manager: manager, ConnID: connID,
		adminToken: opts.AdminToken, served: make(chan error, 1), log: opts.Logger,
		http: &http.Server{
			Handler:           srv.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
		},
	}
	go func() { f.served <- f.http.Serve(ln) }()
	return f, nil
}

// defaultConnection returns the first connection, creating it on a new
// database. Two instances starting at once on one PostgreSQL may both
// create one; the oldest wins, as ListConnections orders them.
func defaultConnection(ctx context.Context, st store.Store) (int64, error) {
	conns, err := st.ListConnections(ctx)
	if err != nil {
		return 0, fmt.Errorf("bench: list connections: %w", err)
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
	if err != nil {
		return 0, fmt.Errorf("bench: create connection: %w", err)
	}
	return id, nil
}

// Connect connects the default connection to both emulators the way an
// admin's browser would: ferry's /connect endpoints, the emulators'
// (auto-approving) authorize pages and ferry's callbacks.
func (f *Ferry) Connect(ctx context.Context) error {
	browser := &http.Client{Timeout: 30 * time.Second}
	for _, side := range []string{"salesforce", "intercom"} {
		if _, err := f.admin(ctx, browser, http.MethodGet, "/connect/"+side, nil); err != nil {
			return fmt.Errorf("bench: connect %s: %w", side, err)
		}
	}
	return nil
}

// PutSettings replaces the settings document through the admin API, which
// validates it against the live schema.
func (f *Ferry) PutSettings(ctx context.Context, doc settings.Document) error {
	body, err := doc.MarshalIndent()
	if err != nil {
		return err
	}
	if _, err := f.admin(ctx, &http.Client{Timeout: 30 * time.Second}, http.MethodPut, "/api/v1/settings", body); err != nil {
		return fmt.Errorf("bench: put settings: %w", err)
	}
	return nil
}

// Connected reports whether the default connection is connected.
func (f *Ferry) Connected(ctx context.Context) (bool, error) {
	c, err := f.Store.GetConnection(ctx, f.ConnID)
	if err != nil {
		return false, err
	}
	return c.State == store.StateConnected, nil
}

func (f *Ferry) admin(ctx context.Context, hc *http.Client, method, path string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytesReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, f.URL+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+f.adminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return out, fmt.Errorf("%s %s: ferry answered %d: %s", method, path, resp.StatusCode, truncate(out, 500))
	}
	return out, nil
}

// Close stops HTTP, lets running jobs finish (bounded) and closes the store.
func (f *Ferry) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var errs []error
	if err := f.http.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, err)
	}
	if err := f.Store.Stop(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := f.Store.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
