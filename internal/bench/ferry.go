package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"time"

	"github.com/ferrysync/ferry/internal/config"
	"github.com/ferrysync/ferry/internal/daemon"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// FerryOptions configure one ferry instance run in process. It runs the
// daemon's own assembly (internal/daemon), as `ferry serve` does: store and
// queue workers, connection manager, sync engine, and the HTTP server with
// the webhook endpoint and the admin API.
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
	// PubSubURL is the Salesforce emulator's Pub/Sub API
	// (FERRY_SALESFORCE_PUBSUB_URL); empty: changes are polled only.
	PubSubURL string
	// IntercomClientID and IntercomClientSecret are the Intercom app's;
	// the secret also checks webhook signatures.
	IntercomClientID, IntercomClientSecret string
	// PollInterval is how often Salesforce is polled. Default 5 s.
	PollInterval time.Duration
	// Workers is the number of queue workers. Default 10 (as serve).
	Workers int
	// FetchPollInterval, FetchCooldown, JobTimeout and RescueStuckJobsAfter
	// tune the queue (see daemon.Options); zero keeps the daemon's
	// defaults.
	FetchPollInterval, FetchCooldown, JobTimeout, RescueStuckJobsAfter time.Duration
	// Engine adjusts the sync engine's options (e.g. a short event lease
	// for the SIGKILL test); nil runs it as serve does.
	Engine func(engine.Options) engine.Options
	// Logger receives ferry's logs; nil discards them.
	Logger *slog.Logger
}

// Ferry is a running ferry instance.
type Ferry struct {
	// URL is ferry's base URL (the public URL).
	URL string
	// Addr is the address ferry's HTTP server listens on.
	Addr string
	// Store is the instance's store.
	Store store.Store
	// ConnID is the default connection.
	ConnID int64

	adminToken string
	daemon     *daemon.Daemon // nil for an instance in another process
}

// StartFerry starts a ferry instance in this process. Stop it with Close.
func StartFerry(ctx context.Context, opts FerryOptions) (*Ferry, error) {
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	ln := opts.Listener
	if ln == nil {
		var err error
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
			APIVersion: config.DefaultSalesforceVersion, PubSubURL: opts.PubSubURL,
		},
		Intercom: config.IntercomConfig{
			URL: opts.IntercomURL, OAuthURL: opts.IntercomURL + "/oauth",
			ClientID: opts.IntercomClientID, ClientSecret: opts.IntercomClientSecret,
		},
		PollInterval: opts.PollInterval,
	}
	d, err := daemon.Start(ctx, daemon.Options{
		Config: cfg, Key: opts.Key, Listener: ln, Logger: opts.Logger, Workers: opts.Workers,
		FetchPollInterval: opts.FetchPollInterval, FetchCooldown: opts.FetchCooldown,
		JobTimeout: opts.JobTimeout, RescueStuckJobsAfter: opts.RescueStuckJobsAfter,
		Engine: opts.Engine,
	})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("bench: start ferry: %w", err)
	}
	return &Ferry{URL: public, Addr: d.Addr, Store: d.Store, ConnID: d.ConnID,
		adminToken: opts.AdminToken, daemon: d}, nil
}

// defaultConnection returns the connection the instances run (the oldest).
func defaultConnection(ctx context.Context, st store.Store) (int64, error) {
	conns, err := st.ListConnections(ctx)
	if err != nil {
		return 0, fmt.Errorf("bench: list connections: %w", err)
	}
	if len(conns) == 0 {
		return 0, errors.New("bench: ferry created no connection")
	}
	return conns[0].ID, nil
}

// Connect connects the default connection to both emulators the way an
// admin's browser would: ferry's /connect endpoints, the emulators'
// (auto-approving) authorize pages and ferry's callbacks.
func (f *Ferry) Connect(ctx context.Context) error {
	// A browser keeps cookies: ferry binds each OAuth flow to the
	// browser that starts it.
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	browser := &http.Client{Timeout: 30 * time.Second, Jar: jar}
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

// Close stops HTTP, lets running jobs finish (bounded) and closes the
// store.
func (f *Ferry) Close() error {
	if f.daemon == nil {
		return nil
	}
	return f.daemon.Close()
}
