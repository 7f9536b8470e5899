package web

import (
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/config"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/store"
)

// Options configure a Server.
type Options struct {
	// Config is the process configuration: public URL, admin token, the
	// Salesforce and Intercom apps.
	Config config.Config
	// Store is ferry's state and job queue.
	Store store.Store
	// Manager hands out the connections' API clients.
	Manager *connection.Manager
	// Logger receives structured request logs; nil discards them.
	Logger *slog.Logger
	// Registry receives the HTTP, webhook and connection metrics and is
	// what /metrics serves; nil gives the server a registry of its own.
	Registry *prometheus.Registry
	// HTTPClient is used for the Intercom OAuth exchange; default a client
	// with a 30 s timeout.
	HTTPClient *http.Client
	// Now is the clock; default time.Now.
	Now func() time.Time
	// DefaultConnectionID is the connection `ferry serve` runs from the
	// environment; API calls without ?connection= use it.
	DefaultConnectionID int64
	// App is the application layer the handlers call; nil builds one from
	// Store, Manager, Logger, Now and DefaultConnectionID.
	App *app.App
	// Timeouts bound slow and idle clients, in the handlers and in the
	// http.Server that HTTPServer builds; zero fields take
	// DefaultTimeouts.
	Timeouts Timeouts
}

// Server serves ferry's HTTP endpoints. Build it with New.
type Server struct {
	cfg     config.Config
	store   store.Store
	manager *connection.Manager
	log     *slog.Logger
	reg     *prometheus.Registry
	client  *http.Client
	now     func() time.Time
	defConn int64

	// stateKey signs OAuth states, sessionKey session cookies; both are
	// derived from the process secrets so that every instance accepts the
	// others' states and sessions.
	stateKey   []byte
	sessionKey []byte

	metrics  *metrics
	app      *app.App
	limiter  *signInLimiter
	timeouts Timeouts
	// intake stores webhooks arriving together in one transaction.
	intake intakeGroup
}

// New returns a Server.
func New(opts Options) *Server {
	s := &Server{
		cfg:      opts.Config,
		store:    opts.Store,
		manager:  opts.Manager,
		log:      opts.Logger,
		reg:      opts.Registry,
		client:   opts.HTTPClient,
		now:      opts.Now,
		defConn:  opts.DefaultConnectionID,
		limiter:  newSignInLimiter(),
		timeouts: opts.Timeouts.orDefault(),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 30 * time.Second}
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.stateKey = deriveKey(s.cfg.SecretKey, s.cfg.AdminToken, "oauth-state")
	s.sessionKey = deriveKey(s.cfg.SecretKey, s.cfg.AdminToken, "admin-session")
	s.metrics = newMetrics(s.reg, s.store, s.log)
	s.app = opts.App
	if s.app == nil {
		s.app = app.New(app.Options{Store: s.store, Manager: s.manager, Logger: s.log, Now: s.now, DefaultConnectionID: s.defConn,
			PollInterval: s.cfg.PollInterval, StallAfter: s.cfg.StalledAfter})
	}
	return s
}

// deriveKey derives a purpose-specific HMAC key from the process secrets.
// Without any secret (a throwaway setup) the key is random: states and
// sessions then last as long as the process.
func deriveKey(secretKey, adminToken, purpose string) []byte {
	if secretKey == "" && adminToken == "" {
		return []byte(rand.Text() + rand.Text())
	}
	h := sha256.New()
	for _, part := range []string{"ferry/web/v1", purpose, secretKey, adminToken} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// Handler returns the HTTP handler with every route. With
// FERRY_METRICS_LISTEN set, /metrics and /readyz are left to OpsHandler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc) {
		mux.Handle(pattern, s.instrument(pattern, h))
	}
	admin := func(pattern string, h http.HandlerFunc) {
		handle(pattern, s.requireAdmin(h))
	}

	handle("GET /healthz", s.healthz)
	if s.cfg.MetricsListen == "" {
		s.opsRoutes(mux)
	}

	// OAuth: the start needs the admin, the callback carries a signed state.
	admin("GET /connect/salesforce", s.connectSalesforce)
	handle("GET /oauth/salesforce/callback", s.salesforceCallback)
	admin("GET /connect/intercom", s.connectIntercom)
	handle("GET /oauth/intercom/callback", s.intercomCallback)
	handle("GET /connected", s.connectedPage)

	// Webhooks are authenticated by X-Hub-Signature.
	wh := s.webhookHandler()
	handle("POST /webhooks/intercom", wh)
	handle("HEAD /webhooks/intercom", wh)

	// The inbox app (Canvas Kit) is authenticated by X-Body-Signature.
	handle("POST /canvas/initialize", s.canvasInitialize)
	handle("POST /canvas/submit", s.canvasSubmit)

	handle("POST /api/v1/session", s.createSession)
	handle("DELETE /api/v1/session", s.deleteSession)

	admin("GET /api/v1/connections", s.listConnections)
	admin("POST /api/v1/connections", s.createConnection)
	admin("GET /api/v1/connections/{id}", s.getConnection)
	admin("POST /api/v1/connections/{id}/disconnect", s.disconnectConnection)
	admin("POST /api/v1/connections/{id}/resync", s.resyncConnection)
	admin("GET /api/v1/diagnostics/accounts", s.accountDiagnostics)

	admin("POST /api/v1/backfills", s.createBackfill)
	admin("GET /api/v1/backfills/{id}", s.getBackfill)
	admin("POST /api/v1/backfills/{id}/cancel", s.cancelBackfill)

	admin("GET /api/v1/settings", s.getSettings)
	admin("PUT /api/v1/settings", s.putSettings)

	admin("GET /api/v1/setup-check", s.setupCheck)

	admin("GET /api/v1/sync-errors", s.listSyncErrors)
	admin("GET /api/v1/sync-errors/{id}", s.getSyncError)
	admin("POST /api/v1/sync-errors/{id}/retry", s.retrySyncError)
	admin("POST /api/v1/sync-errors/retry", s.retrySyncErrors)

	admin("POST /api/v1/leads", inboxAction(s, s.app.CreateLead, func(r app.LeadResult) bool { return r.Existed }))
	admin("POST /api/v1/tasks", inboxAction(s, s.app.LogToSalesforce, func(r app.TaskResult) bool { return r.Existed }))
	admin("POST /api/v1/cases", inboxAction(s, s.app.CreateCase, func(r app.CaseResult) bool { return r.Existed }))

	admin("GET /api/v1/history", s.listHistory)
	admin("GET /api/v1/usage", s.listUsage)

	admin("GET /api/v1/reviews", s.listReviews)
	admin("POST /api/v1/reviews/{id}/resolve", s.resolveReview)

	// The admin web UI.
	s.uiRoutes(handle)

	// Anything else under the API answers in JSON, not the mux's text:
	// 405 with Allow for a known path, else 404.
	handle("/api/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r, "/api/"); len(allow) > 0 {
			notAllowed(w, r, allow)
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "no such API endpoint: "+r.Method+" "+r.URL.Path)
	})
	return secureHeaders(mux)
}

// OpsHandler serves /metrics, /readyz and /healthz alone, for the separate
// listener of FERRY_METRICS_LISTEN.
func (s *Server) OpsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", s.instrument("GET /healthz", s.healthz))
	s.opsRoutes(mux)
	return secureHeaders(mux)
}

// opsRoutes adds /readyz and /metrics, behind FERRY_METRICS_TOKEN if set.
func (s *Server) opsRoutes(mux *http.ServeMux) {
	mux.Handle("GET /readyz", s.requireMetricsToken(s.instrument("GET /readyz", s.readyz)))
	mux.Handle("GET /metrics", s.requireMetricsToken(s.metrics.handler(s.reg)))
}
