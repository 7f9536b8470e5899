// Package metrics provides ferry's sync metrics for Prometheus: counters
// the engine increments through engine.Observer, and gauges read from the
// store when /metrics is scraped, so that every instance reports the same
// truth about each connection (lag, last polls, errors, budget, queue,
// initial sync, stalls). Names follow Prometheus conventions: base units,
// _total for counters, _seconds and _timestamp_seconds for times, and
// labels bounded by the number of connections, objects and job kinds.
package metrics

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// Options configure the sync metrics.
type Options struct {
	// Store is read at scrape time. Required.
	Store store.Store
	// Logger receives scrape failures; nil discards them.
	Logger *slog.Logger
	// PollInterval is the operator's bound on poll intervals
	// (FERRY_POLL_INTERVAL); the stall rules use it.
	PollInterval time.Duration
	// StallAfter is how long a received change may wait before its
	// connection counts as stalled; default connection.DefaultStallAfter.
	StallAfter time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Sync is the sync metrics: register it with Register, hand it to the
// engine as its Observer.
type Sync struct {
	opts         Options
	records      *prometheus.CounterVec
	orgUsed      *prometheus.GaugeVec
	orgLimit     *prometheus.GaugeVec
	orgRemaining *prometheus.GaugeVec
	streamEvents *prometheus.CounterVec
	streamLag    *prometheus.GaugeVec
}

// New returns the sync metrics registered on reg.
func New(reg prometheus.Registerer, opts Options) *Sync {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.StallAfter <= 0 {
		opts.StallAfter = connection.DefaultStallAfter
	}
	s := &Sync{
		opts: opts,
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ferry_sync_records_total",
			Help: "Records written to the other side, by connection, direction (intercom_to_salesforce, salesforce_to_intercom) and object (lead, user, company).",
		}, []string{"connection", "direction", "object"}),
		orgUsed: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ferry_salesforce_org_api_calls_used",
			Help: "The Salesforce org's API calls used in the last 24 hours (all apps), from the latest response this instance saw.",
		}, []string{"connection"}),
		orgLimit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ferry_salesforce_org_api_calls_limit",
			Help: "The Salesforce org's daily API call limit, from the latest response this instance saw.",
		}, []string{"connection"}),
		orgRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "ferry_salesforce_org_api_calls_remaining",
			Help: "The Salesforce org's API calls remaining in its 24-hour window, from the latest response this instance saw.",
		}, []string{"connection"}),
	}
	s.streamEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ferry_salesforce_stream_events_total",
		Help: "Change events Salesforce streamed to this instance, by connection and kind (applied, echo: ferry's own write coming back).",
	}, []string{"connection", "kind"})
	s.streamLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ferry_salesforce_stream_lag_seconds",
		Help: "Seconds from the commit of the newest streamed change event to its being applied, by connection.",
	}, []string{"connection"})
	reg.MustRegister(s.records, s.orgUsed, s.orgLimit, s.orgRemaining, s.streamEvents, s.streamLag, &storeCollector{s: s})
	return s
}

var _ engine.Observer = (*Sync)(nil)

func id(connID int64) string { return strconv.FormatInt(connID, 10) }

// RecordsSynced implements engine.Observer.
func (s *Sync) RecordsSynced(connID int64, dir engine.Direction, object string, n int) {
	s.records.WithLabelValues(id(connID), string(dir), object).Add(float64(n))
}

// SalesforceUsage implements engine.Observer.
func (s *Sync) SalesforceUsage(connID int64, used, max int) {
	s.orgUsed.WithLabelValues(id(connID)).Set(float64(used))
	s.orgLimit.WithLabelValues(id(connID)).Set(float64(max))
	s.orgRemaining.WithLabelValues(id(connID)).Set(float64(max - used))
}

// StreamEvents implements engine.Observer.
func (s *Sync) StreamEvents(connID int64, events, echoes int, lag time.Duration) {
	s.streamEvents.WithLabelValues(id(connID), "applied").Add(float64(events - echoes))
	s.streamEvents.WithLabelValues(id(connID), "echo").Add(float64(echoes))
	s.streamLag.WithLabelValues(id(connID)).Set(lag.Seconds())
}

// The gauges read from the store.
var (
	descErrorsOpen = prometheus.NewDesc("ferry_sync_errors_open",
		"Sync errors not yet resolved, by connection.", []string{"connection"}, nil)
	descPending = prometheus.NewDesc("ferry_sync_pending_changes",
		"Received Intercom changes waiting to be synced, by connection.", []string{"connection"}, nil)
	descLag = prometheus.NewDesc("ferry_sync_oldest_pending_change_age_seconds",
		"Age of the oldest received Intercom change not yet synced (0 when none), by connection.", []string{"connection"}, nil)
	descLastPoll = prometheus.NewDesc("ferry_sync_last_successful_poll_timestamp_seconds",
		"Unix time of the last successful Salesforce poll, by connection and object (absent before the first).", []string{"connection", "object"}, nil)
	descPollInterval = prometheus.NewDesc("ferry_sync_poll_interval_seconds",
		"How often the connection is polled (its settings bounded by FERRY_POLL_INTERVAL).", []string{"connection"}, nil)
	descStalled = prometheus.NewDesc("ferry_sync_stalled",
		"1 when the connection's sync is stalled for the reason (poll_overdue, changes_waiting, salesforce_unreachable), else 0.", []string{"connection", "reason"}, nil)
	descStreaming = prometheus.NewDesc("ferry_salesforce_changes_streamed",
		"1 while the connection's Salesforce changes arrive by change stream, 0 while they are found by polling (absent before the first subscription).", []string{"connection"}, nil)
	descUsedToday = prometheus.NewDesc("ferry_salesforce_api_calls_used_today",
		"Salesforce API calls ferry made today (UTC), all purposes, by connection.", []string{"connection"}, nil)
	descBudget = prometheus.NewDesc("ferry_salesforce_api_budget_calls",
		"ferry's own daily Salesforce API budget (settings api_budget.daily_limit; absent when unlimited), by connection.", []string{"connection"}, nil)
	descBudgetRemaining = prometheus.NewDesc("ferry_salesforce_api_budget_remaining_calls",
		"Calls left today in ferry's own daily budget (absent when unlimited), by connection.", []string{"connection"}, nil)
	descQueue = prometheus.NewDesc("ferry_queue_jobs",
		"Unfinished jobs in the queue, by kind and state (available, scheduled, retryable, running, pending).", []string{"kind", "state"}, nil)
	descInitialProcessed = prometheus.NewDesc("ferry_initial_sync_records_processed",
		"Records the initial sync has processed, by connection and object.", []string{"connection", "object"}, nil)
	descInitialDone = prometheus.NewDesc("ferry_initial_sync_done",
		"1 when the initial sync of the object is done, else 0.", []string{"connection", "object"}, nil)
	descScrapeErrors = prometheus.NewDesc("ferry_metrics_store_read_errors",
		"Store reads that failed during this scrape (the gauges they feed are missing).", nil, nil)
)

var stallReasons = []string{connection.StallPollOverdue, connection.StallChangesWaiting, connection.StallSalesforceUnreachable}

// storeCollector reads the gauges from the store at scrape time.
type storeCollector struct{ s *Sync }

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descErrorsOpen, descPending, descLag, descLastPoll, descPollInterval, descStalled,
		descStreaming, descUsedToday, descBudget, descBudgetRemaining, descQueue, descInitialProcessed, descInitialDone, descScrapeErrors} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, log, now := c.s.opts.Store, c.s.opts.Logger, c.s.opts.Now()
	failures := 0
	fail := func(what string, err error) {
		failures++
		log.WarnContext(ctx, "metrics: read store", "what", what, "error", err)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	defer func() { gauge(descScrapeErrors, float64(failures)) }()

	if byKind, err := st.CountUnfinishedJobsByKind(ctx); err != nil {
		fail("queue", err)
	} else {
		for kind, states := range byKind {
			for state, n := range states {
				gauge(descQueue, float64(n), kind, string(state))
			}
		}
	}
	conns, err := st.ListConnections(ctx)
	if err != nil {
		fail("connections", err)
		return
	}
	for _, conn := range conns {
		cid := id(conn.ID)
		if _, total, err := st.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: conn.ID, Limit: 1}); err != nil {
			fail("sync errors", err)
		} else {
			gauge(descErrorsOpen, float64(total), cid)
		}
		facts, err := engine.ReadSyncFacts(ctx, st, conn, c.s.opts.PollInterval)
		if err != nil {
			fail("sync facts", err)
		} else {
			h := connection.AssessSync(facts, now, c.s.opts.StallAfter)
			gauge(descPending, float64(h.PendingChanges), cid)
			lag := 0.0
			if h.OldestPending != nil {
				lag = max(now.Sub(*h.OldestPending).Seconds(), 0)
			}
			gauge(descLag, lag, cid)
			for object, t := range facts.LastPolls {
				gauge(descLastPoll, float64(t.UnixNano())/1e9, cid, object)
			}
			gauge(descPollInterval, facts.PollInterval.Seconds(), cid)
			if cs := facts.Stream; cs != nil {
				v := 0.0
				if cs.Mode == store.StreamModeStream && now.Before(cs.HeldUntil) {
					v = 1
				}
				gauge(descStreaming, v, cid)
			}
			for _, reason := range stallReasons {
				v := 0.0
				for _, r := range h.Reasons {
					if r.Code == reason {
						v = 1
					}
				}
				gauge(descStalled, v, cid, reason)
			}
		}
		used, err := connection.UsedToday(ctx, st, conn.ID, now.UTC())
		if err != nil {
			fail("API usage", err)
		} else {
			gauge(descUsedToday, float64(used), cid)
			if limit := c.dailyLimit(ctx, conn.ID); limit > 0 {
				gauge(descBudget, float64(limit), cid)
				gauge(descBudgetRemaining, float64(max(limit-used, 0)), cid)
			}
		}
		syncs, err := st.ListInitialSyncs(ctx, conn.ID)
		if err != nil {
			fail("initial sync", err)
			continue
		}
		for _, is := range syncs {
			gauge(descInitialProcessed, float64(is.Processed), cid, is.Object)
			done := 0.0
			if is.State == "done" {
				done = 1
			}
			gauge(descInitialDone, done, cid, is.Object)
		}
	}
}

// dailyLimit is the connection's own daily API budget (0: none).
func (c *storeCollector) dailyLimit(ctx context.Context, connID int64) int {
	doc := settings.Default()
	if s, err := c.s.opts.Store.GetSettings(ctx, connID); err == nil {
		if d, err := settings.Parse(s.Doc); err == nil {
			doc = d
		}
	}
	return doc.APIBudget.DailyLimit
}
