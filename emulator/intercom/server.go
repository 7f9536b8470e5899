package intercom

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. The zero value is usable: an empty workspace
// that accepts only OAuth-issued tokens.
type Options struct {
	// Seed is "demo" (a believable workspace) or "empty" (only the app's own
	// admin). Default "empty".
	Seed string
	// Tokens are access tokens the API accepts, in addition to tokens issued
	// through OAuth.
	Tokens []string
	// ClientID and ClientSecret identify the app. ClientSecret signs webhooks
	// and authenticates the OAuth token exchange.
	ClientID, ClientSecret string
	// AutoApprove makes GET /oauth redirect at once instead of showing the
	// "Authorize" page.
	AutoApprove bool
	// Webhooks are subscription URLs; each receives every topic.
	Webhooks []string
	// RateLimit is requests per minute per app (default 10000), enforced per
	// 10-second window as RateLimit/6.
	RateLimit int
	// WebhookRetryDelay is how long a failed delivery waits before its single
	// retry (default 1 minute, as Intercom).
	WebhookRetryDelay time.Duration
	// Logger receives request and delivery logs (default: discard).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// InboxApp is the Canvas Kit app shown beside conversations in the
	// inbox (see OpenInboxApp); SetInboxApp changes it at runtime.
	InboxApp InboxApp
}

// Server is the emulated Intercom workspace. It is an http.Handler.
type Server struct {
	opts   Options
	log    *slog.Logger
	now    func() time.Time
	appID  string
	mux    *http.ServeMux
	hooks  *deliverer
	calls  atomic.Int64
	limits rateLimiter
	faults faultState
	inbox  *inbox

	mu sync.RWMutex // guards everything below
	st state
}

// New builds a Server from opts, seeds it and starts its webhook workers.
// Call Close when done.
func New(opts Options) *Server {
	if opts.Seed == "" {
		opts.Seed = "empty"
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 10000
	}
	if opts.WebhookRetryDelay <= 0 {
		opts.WebhookRetryDelay = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:  opts,
		log:   opts.Logger,
		now:   opts.Now,
		appID: appIDFor(opts.ClientID),
	}
	s.limits.perMinute.Store(int64(opts.RateLimit))
	s.st = newState()
	for _, t := range opts.Tokens {
		s.st.tokens[t] = true
	}
	s.hooks = newDeliverer(s, opts.Webhooks)
	s.inbox = newInbox(opts.InboxApp)
	s.seedOwnAdmin()
	if opts.Seed == "demo" {
		s.seedDemo()
	}
	s.mux = http.NewServeMux()
	s.routes()
	return s
}

// Close stops the webhook workers, waiting for deliveries in flight. Queued
// and not yet started deliveries are dropped.
func (s *Server) Close() { s.hooks.close() }

// AppID is the workspace (app) id, e.g. "x7k2m9qa"; contacts carry it as
// workspace_id and webhooks as app_id.
func (s *Server) AppID() string { return s.appID }

// APICalls is how many Intercom REST calls were authorized (including those
// then refused with 429 or an injected fault).
func (s *Server) APICalls() int64 { return s.calls.Load() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// appIDFor derives a stable 8-character app id from the client id, so a
// restarted emulator keeps the same workspace id.
func appIDFor(clientID string) string {
	sum := sha1.Sum([]byte("ferry-intercom-app:" + clientID))
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b strings.Builder
	for _, c := range sum[:8] {
		b.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return b.String()
}

// api wraps an Intercom REST handler with what every call goes through, in
// Intercom's order: authentication, version check, rate limit, faults.
func (s *Server) api(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			writeError(w, http.StatusUnauthorized, "unauthorized", "Access Token Invalid")
			return
		}
		s.calls.Add(1)
		if !s.limits.allow(w, s.now()) {
			return
		}
		if v := r.Header.Get("Intercom-Version"); v != "" && !supportedVersion(v) {
			writeError(w, http.StatusBadRequest, "intercom_version_invalid", "Requested resource is not available in current API version.")
			return
		}
		if s.faults.inject(r.Context(), w) {
			return
		}
		s.log.Debug("intercom: request", "method", r.Method, "path", r.URL.Path)
		h(w, r)
	}
}

// supportedVersion reports whether v is an Intercom-Version whose shapes this
// emulator serves: 2.11 to 2.14 share the 2.11 shapes for what ferry uses.
func supportedVersion(v string) bool {
	switch strings.TrimSpace(v) {
	case "2.11", "2.12", "2.13", "2.14":
		return true
	}
	return false
}

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	tok = strings.TrimSpace(tok)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return tok != "" && s.st.tokens[tok]
}

// tokenHint names a token in logs without revealing it.
func tokenHint(tok string) string {
	sum := sha1.Sum([]byte(tok))
	return "sha1:" + hex.EncodeToString(sum[:4])
}

// ctxDone reports whether ctx is finished, for long scans.
func ctxDone(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}
