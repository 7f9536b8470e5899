package web

import (
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Timeouts bound how long a client may hold a connection, so slow or idle
// clients cannot pile up open connections (a file descriptor each).
type Timeouts struct {
	// ReadHeader bounds reading a request's headers.
	ReadHeader time.Duration
	// Read bounds reading a whole request, headers and body.
	Read time.Duration
	// Body bounds reading a request body from the start of the handler
	// (a per-request read deadline); at most Read.
	Body time.Duration
	// Write bounds a request from the end of its headers to the end of
	// the response; the OAuth callbacks make up to three calls to the
	// provider within it.
	Write time.Duration
	// Idle bounds how long a keep-alive connection waits for its next
	// request.
	Idle time.Duration
}

// DefaultTimeouts are what `ferry serve` uses.
var DefaultTimeouts = Timeouts{
	ReadHeader: 10 * time.Second,
	Read:       30 * time.Second,
	Body:       20 * time.Second,
	Write:      120 * time.Second,
	Idle:       90 * time.Second,
}

// HTTPServer returns an http.Server for h (Handler or OpsHandler) with the
// server's timeouts.
func (s *Server) HTTPServer(h http.Handler) *http.Server {
	t := s.timeouts
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

func (t Timeouts) orDefault() Timeouts {
	d := DefaultTimeouts
	for _, f := range []struct{ v, def *time.Duration }{
		{&t.ReadHeader, &d.ReadHeader}, {&t.Read, &d.Read}, {&t.Body, &d.Body}, {&t.Write, &d.Write}, {&t.Idle, &d.Idle},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	t.Body = min(t.Body, t.Read)
	return t
}

// pageStyle is the one inline style of ferry's own small pages; the
// Content-Security-Policy allows exactly it by hash.
const pageStyle = `body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em}`

// contentSecurityPolicy allows scripts, styles, images, fonts and fetches
// from ferry itself only, no plugins, no framing, forms posting only back
// to ferry.
var contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'sha256-" + hashStyle(pageStyle) +
	"'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func hashStyle(css string) string {
	sum := sha256.Sum256([]byte(css))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// secureHeaders sets the headers every response carries: no MIME sniffing
// (a JSON body is never run as a script or page), no framing, no referrer
// leaking OAuth query strings, and the Content-Security-Policy, which
// matters for HTML and is harmless elsewhere. A handler may replace the
// policy with a stricter one.
func secureHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		next.ServeHTTP(w, r)
	})
}

// bodyDeadline sets a read deadline for a request's body, on top of the
// server's whole-request ReadTimeout: a client trickling a body is cut off.
// It replaces the connection's deadline, so Body must not exceed Read
// (orDefault sees to that).
func bodyDeadline(w http.ResponseWriter, r *http.Request, d time.Duration) {
	if r.ContentLength == 0 && len(r.TransferEncoding) == 0 {
		return
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
}

// methodsProbe are the methods allowedMethods tries.
var methodsProbe = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowedMethods lists the methods mux serves r's path with, other than
// through the catch-all pattern: what a 405's Allow header says.
func allowedMethods(mux *http.ServeMux, r *http.Request, catchAll string) []string {
	var allow []string
	for _, m := range methodsProbe {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != catchAll {
			allow = append(allow, m)
		}
	}
	return allow
}

// notAllowed answers 405 in JSON with the Allow header.
func notAllowed(w http.ResponseWriter, r *http.Request, allow []string) {
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
		r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+strings.Join(allow, ", "))
}

// requireMetricsToken guards /metrics and /readyz with FERRY_METRICS_TOKEN
// when it is set (the admin token works too); they list connection names.
func (s *Server) requireMetricsToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.MetricsToken == "" || s.bearerIs(r, s.cfg.MetricsToken) || s.bearerIs(r, s.cfg.AdminToken) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="ferry-metrics"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "send Authorization: Bearer $FERRY_METRICS_TOKEN")
	})
}
