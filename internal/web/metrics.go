package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ferrysync/ferry/internal/store"
)

// metrics are the server's Prometheus metrics (F8.5), registered on the
// registry given in Options, never globally.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	webhooks *prometheus.CounterVec
	oauth    *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry, st store.Store, log *slog.Logger) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ferry_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_webhook_events_total",
			Help: "Intercom webhook deliveries by result (accepted, rejected, ignored) and reason.",
		}, []string{"result", "reason"}),
		oauth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_oauth_callbacks_total",
			Help: "OAuth callbacks by provider and outcome.",
		}, []string{"provider", "outcome"}),
	}
	reg.MustRegister(m.requests, m.latency, m.webhooks, m.oauth, &stateCollector{store: st, log: log})
	return m
}

// handler serves the registry.
func (m *metrics) handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// instrument counts and times requests by their route pattern (not the
// path, which would make a series per id), and logs them without the query
// string, which carries OAuth codes and states.
func (s *Server) instrument(route string, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		bodyDeadline(w, r, s.timeouts.Body)
		rec := &statusRecorder{ResponseWriter: w}
		next(rec, r)
		d := time.Since(start)
		code := rec.status()
		s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(code)).Inc()
		s.metrics.latency.WithLabelValues(route).Observe(d.Seconds())
		level := slog.LevelInfo
		switch {
		case code >= 500:
			level = slog.LevelError
		case route == "GET /healthz" || route == "GET /readyz":
			level = slog.LevelDebug
		}
		s.log.Log(r.Context(), level, "http request", "method", r.Method, "route", route, "path", r.URL.Path,
			"status", code, "duration_ms", d.Milliseconds())
	})
}

// stateCollector reports each connection's state when scraped, read from
// the store so that every instance reports the same truth.
type stateCollector struct {
	store store.Store
	log   *slog.Logger
}

var connStateDesc = prometheus.NewDesc("ferry_connection_state",
	"1 for the state each connection is in (pending, connected, disconnected, api_limit_reached, api_disabled), with the cause.",
	[]string{"connection", "state", "cause"}, nil)

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- connStateDesc }

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conns, err := c.store.ListConnections(ctx)
	if err != nil {
		c.log.WarnContext(ctx, "metrics: list connections", "error", err)
		return
	}
	for _, conn := range conns {
		id := strconv.FormatInt(conn.ID, 10)
		for _, state := range []store.ConnectionState{store.StatePending, store.StateConnected, store.StateDisconnected,
			store.StateAPILimitReached, store.StateAPIDisabled} {
			v, cause := 0.0, ""
			if conn.State == state {
				v, cause = 1, conn.Cause
			}
			ch <- prometheus.MustNewConstMetric(connStateDesc, prometheus.GaugeValue, v, id, string(state), cause)
		}
	}
}
