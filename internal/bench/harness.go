package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/settings"
)

// The Salesforce emulator's connected app, which ferry is configured with.
const (
	sfClientID     = sfemu.DefaultClientID
	sfClientSecret = sfemu.DefaultClientSecret
)

// intercomClientID is the emulated Intercom app's id.
const intercomClientID = "ferry-bench"

// Options configure a Harness.
type Options struct {
	// DatabaseURL is the store; empty is a SQLite file in a temporary
	// directory removed by Close.
	DatabaseURL string
	// Isolate runs a PostgreSQL harness in a schema of its own, dropped by
	// Close, so that runs never share rows.
	Isolate bool
	// Instances is how many ferry instances share the store (PostgreSQL
	// only when more than one); Intercom's webhooks are spread over them
	// round robin. Default 1.
	Instances int
	// PollInterval is how often ferry polls Salesforce. Default 5 s.
	PollInterval time.Duration
	// Workers is each instance's number of queue workers. Default 10.
	Workers int
	// IntercomRateLimit is the Intercom emulator's requests per minute;
	// default 10,000 (Intercom's default for an app).
	IntercomRateLimit int
	// SalesforceDailyLimit is the org's daily API allowance; default
	// 10,000,000 so that large scenarios are not cut short.
	SalesforceDailyLimit int
	// Settings is the settings document applied after connecting; default
	// BenchSettings().
	Settings *settings.Document
	// Engine adjusts each in-process instance's sync engine options; nil
	// runs it as serve does.
	Engine func(engine.Options) engine.Options
	// Command, if set, runs each ferry instance as a process of its own
	// (e.g. ferry bench --serve-ferry, which calls ServeChild), so that
	// its memory is measured apart from the emulators'. Engine does not
	// apply to such instances.
	Command []string
	// Logger receives emulator and ferry logs; nil discards them.
	Logger *slog.Logger
	// PubSub serves the Salesforce emulator's Pub/Sub API and points
	// ferry at it, so Salesforce changes stream as change events.
	PubSub bool
	// Baseline, if set (BaselinePerEvent), runs a per-event integration in
	// ferry's place against the same emulators; BaselineToIntercom adds
	// its Salesforce → Intercom polling flow.
	Baseline           string
	BaselineToIntercom bool
}

// Harness is both emulators and ferry, running in this process and talking
// over loopback HTTP.
type Harness struct {
	// SF is the Salesforce org, IC the Intercom workspace.
	SF *sfemu.Server
	IC *icemu.Server
	// SFRec and ICRec observe the writes reaching each emulator.
	SFRec, ICRec *Recorder
	// SFURL and ICURL are the emulators' base URLs; PubSubURL the
	// Salesforce emulator's Pub/Sub API, with Options.PubSub.
	SFURL, ICURL, PubSubURL string
	// Ferries are the running ferry instances.
	Ferries []*Ferry
	// WebhookURL is where Intercom delivers (a round-robin proxy when there
	// are several instances).
	WebhookURL string

	// baseline is the per-event integration run instead of ferry, if
	// any.
	baseline *perEvent

	opts     Options
	closers  []func()
	children []*childProcess
}

// BenchSettings is the settings document the scenarios use: people matched
// by email, Intercom's job_title ↔ the Lead's and Contact's Title both ways,
// and an API budget large enough not to be what is measured.
func BenchSettings() settings.Document {
	d := settings.Default()
	d.Mappings = []settings.Mapping{
		{Object: "lead", Intercom: "custom_attributes.job_title", Salesforce: "Title", Direction: "both"},
		{Object: "user", Intercom: "custom_attributes.job_title", Salesforce: "Title", Direction: "both"},
	}
	d.APIBudget.DailyLimit = 5_000_000
	return d
}

// Start starts both emulators and ferry; Connect then connects them (load
// data first to have it found by the initial sync). Close stops
// everything.
func Start(ctx context.Context, opts Options) (h *Harness, err error) {
	if opts.Instances <= 0 {
		opts.Instances = 1
	}
	if opts.IntercomRateLimit <= 0 {
		opts.IntercomRateLimit = 10_000
	}
	if opts.SalesforceDailyLimit <= 0 {
		opts.SalesforceDailyLimit = 10_000_000
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 10
	}
	h = &Harness{opts: opts}
	defer func() {
		if err != nil {
			h.Close()
		}
	}()
	if opts.DatabaseURL != "" && opts.Isolate {
		isolated, drop, err := isolatePostgres(ctx, opts.DatabaseURL)
		if err != nil {
			return nil, err
		}
		h.closers = append(h.closers, drop)
		opts.DatabaseURL = isolated
	}
	if opts.DatabaseURL == "" {
		dir, err := os.MkdirTemp("", "ferry-bench-")
		if err != nil {
			return nil, err
		}
		h.closers = append(h.closers, func() { os.RemoveAll(dir) })
		opts.DatabaseURL = "sqlite://" + filepath.Join(dir, "ferry.db")
	}

	// Ferry's listeners come first: Intercom needs the webhook URL.
	lns := make([]net.Listener, opts.Instances)
	// Closed again by each ferry's Close; closing twice is harmless and
	// covers a failure before the instances start.
	h.closers = append(h.closers, func() {
		for _, ln := range lns {
			if ln != nil {
				ln.Close()
			}
		}
	})
	for i := range lns {
		if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, fmt.Errorf("bench: listen: %w", err)
		}
	}
	ferryURLs := make([]string, len(lns))
	for i, ln := range lns {
		ferryURLs[i] = "http://" + ln.Addr().String()
	}
	h.WebhookURL = ferryURLs[0] + "/webhooks/intercom"
	if len(lns) > 1 {
		proxyURL, stop, err := serveRoundRobin(ferryURLs)
		if err != nil {
			return nil, err
		}
		h.closers = append(h.closers, stop)
		h.WebhookURL = proxyURL + "/webhooks/intercom"
	}

	h.SF = sfemu.New(sfemu.Options{AutoApprove: true, APIDailyLimit: opts.SalesforceDailyLimit,
		Logger: opts.Logger.With("emulator", "salesforce")})
	h.SFRec = NewRecorder(SideSalesforce, h.SF)
	if opts.PubSub {
		// Salesforce's change events, streamed over its Pub/Sub API.
		addr, err := h.SF.StartPubSub("127.0.0.1:0", nil)
		if err != nil {
			return nil, err
		}
		h.closers = append(h.closers, h.SF.StopPubSub)
		h.PubSubURL = "http://" + addr
	}
	var stop func()
	if h.SFURL, stop, err = serve(h.SFRec); err != nil {
		return nil, err
	}
	h.closers = append(h.closers, stop)

	icSecret := randomHex(16)
	h.IC = icemu.New(icemu.Options{
		ClientID: intercomClientID, ClientSecret: icSecret, AutoApprove: true,
		Webhooks: []string{h.WebhookURL}, RateLimit: opts.IntercomRateLimit,
		WebhookRetryDelay: 2 * time.Second,
		Logger:            opts.Logger.With("emulator", "intercom"),
	})
	h.ICRec = NewRecorder(SideIntercom, h.IC)
	if h.ICURL, stop, err = serve(h.ICRec); err != nil {
		return nil, err
	}
	h.closers = append(h.closers, stop)
	// Stop Intercom's webhook deliveries before anything else (closers
	// run newest first): ferry is going away.
	defer func() { h.closers = append(h.closers, h.IC.Close) }()
	if err := h.IC.CustomAttribute("contact", "job_title", "string"); err != nil {
		return nil, fmt.Errorf("bench: define job_title: %w", err)
	}

	if opts.Baseline != "" {
		if opts.Baseline != BaselinePerEvent {
			return nil, fmt.Errorf("bench: unknown baseline %q: want %s", opts.Baseline, BaselinePerEvent)
		}
		h.opts = opts
		if h.baseline, err = h.startPerEvent(ctx, lns[0], opts.PollInterval, opts.BaselineToIntercom); err != nil {
			return nil, err
		}
		h.closers = append(h.closers, h.baseline.close)
		return h, nil
	}
	key, err := secret.GenerateKey()
	if err != nil {
		return nil, err
	}
	admin := randomHex(24)
	if len(opts.Command) > 0 {
		h.opts = opts
		if err := h.startChildren(ctx, lns, key, admin, icSecret); err != nil {
			return nil, err
		}
		return h, nil
	}
	for i, ln := range lns {
		f, err := StartFerry(ctx, FerryOptions{
			DatabaseURL: opts.DatabaseURL, Key: key, Listener: ln, AdminToken: admin,
			SalesforceURL: h.SFURL, IntercomURL: h.ICURL, PubSubURL: h.PubSubURL,
			IntercomClientID: intercomClientID, IntercomClientSecret: icSecret,
			PollInterval: opts.PollInterval, Workers: opts.Workers,
			Engine: opts.Engine, Logger: opts.Logger.With("ferry", i),
		})
		if err != nil {
			return nil, err
		}
		h.Ferries = append(h.Ferries, f)
		h.closers = append(h.closers, func() { _ = f.Close() })
	}
	return h, nil
}

// storeName names ferry's store engine, or the baseline run instead.
func (h *Harness) storeName() string {
	if h.baseline != nil {
		return "none: " + h.opts.Baseline + " baseline"
	}
	return string(h.Ferries[0].Store.Engine())
}

// Connect connects ferry to both emulators through the real OAuth flows
// and applies the settings document.
func (h *Harness) Connect(ctx context.Context) error {
	if err := h.Ferries[0].Connect(ctx); err != nil {
		return err
	}
	doc := BenchSettings()
	if h.opts.Settings != nil {
		doc = *h.opts.Settings
	}
	// Connecting both sides starts the initial sync (the daemon does it).
	return h.Ferries[0].PutSettings(ctx, doc)
}

// Close stops ferry and the emulators, newest first.
func (h *Harness) Close() {
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
	h.closers = nil
}

// serve serves handler on a free loopback port until stop is called.
func serve(handler http.Handler) (baseURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("bench: listen: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// serveRoundRobin is a load balancer in front of several ferry instances:
// each request goes to the next one, so Intercom's deliveries (each sent
// once, to one URL) are shared between them.
func serveRoundRobin(targets []string) (string, func(), error) {
	urls := make([]*url.URL, len(targets))
	for i, t := range targets {
		u, err := url.Parse(t)
		if err != nil {
			return "", nil, err
		}
		urls[i] = u
	}
	var n atomic.Uint64
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(urls[int(n.Add(1)-1)%len(urls)])
			r.Out.Host = r.In.Host
		},
		ErrorLog: nil,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	return serve(proxy)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// errTimeout: a scenario's changes did not all land in time.
var errTimeout = errors.New("bench: timed out waiting for changes to land")
