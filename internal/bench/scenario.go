package bench

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/settings"
)

// Scenario names.
const (
	ScenarioBurst = "burst"
	// ScenarioBurstBoth: burst with the mapping both ways.
	ScenarioBurstBoth = "burst-both"
	ScenarioSteady    = "steady"
	ScenarioSFBurst   = "sf-burst"
	ScenarioInitial   = "initial"
	// ScenarioSparse: changes trickling in, to-Salesforce mappings only.
	ScenarioSparse = "sparse"
	// ScenarioSparseBoth: the same with the mapping both ways.
	ScenarioSparseBoth = "sparse-both"
	// ScenarioIdle: nothing changes; what the polls and the background
	// cost.
	ScenarioIdle = "idle"
)

// ScenarioNames lists the scenarios in the order `all` runs them.
func ScenarioNames() []string {
	return []string{ScenarioSparse, ScenarioSparseBoth, ScenarioSteady, ScenarioBurst, ScenarioBurstBoth, ScenarioIdle,
		ScenarioSFBurst, ScenarioInitial, ScenarioConversations, ScenarioBackfill, ScenarioStreamSteady, ScenarioStreamBurst}
}

// Defaults of each scenario: the sizes issue 5 asks about.
const (
	DefaultBurstChanges   = 10_000
	DefaultSteadyRate     = 200
	DefaultSteadyDuration = time.Minute
	DefaultSparseRate     = 1
	DefaultSparseDuration = 5 * time.Minute
	// DefaultSparsePoll is the poll interval of the sparse scenarios
	// (unless one is given): 5 minutes, a common setting.
	DefaultSparsePoll = 5 * time.Minute
	// DefaultIdlePolls is how many idle polls idle measures.
	DefaultIdlePolls      = 12
	DefaultSFBurstChanges = 10_000
	DefaultInitialPeople  = 100_000
	// DefaultLimitedPeople sizes the initial sync run at Intercom's real
	// default rate limit (10,000 calls a minute): large enough to run at
	// the limit for a while, small enough to finish in under a minute.
	DefaultLimitedPeople = 6_000
	DefaultPollInterval  = 5 * time.Second
)

// Config sizes and places a scenario run. Zero values take the scenario's
// defaults.
type Config struct {
	// DatabaseURL is ferry's store; empty is a temporary SQLite file. On
	// PostgreSQL each scenario runs in a schema of its own, dropped after;
	// a SQLite URL is used as it is, so it must name a new file.
	DatabaseURL string
	// Changes is the number of changes of burst, burst-both and sf-burst.
	Changes int
	// Rate (changes per second) and Duration shape steady.
	Rate     int
	Duration time.Duration
	// People is how many people each side holds in initial.
	People int
	// LimitedPeople is the size of initial's run at Intercom's default rate
	// limit; negative skips it.
	LimitedPeople int
	// PollInterval is how often ferry polls Salesforce; zero takes each
	// scenario's default (5 minutes for sparse, 5 s for the others).
	PollInterval time.Duration
	// Polls is how many polls idle measures (default 12).
	Polls int
	// Baseline, if set (BaselinePerEvent), runs each scenario that has a
	// baseline a second time with a per-event integration in ferry's
	// place, against the same emulators and the same changes.
	Baseline string
	// Timeout bounds the wait for a scenario's changes; default 10 minutes.
	Timeout time.Duration
	// Workers is ferry's number of queue workers (default 10).
	Workers int
	// Command runs ferry as a process of its own (see Options.Command).
	Command []string
	// Logger receives ferry's and the emulators' logs; nil discards them.
	Logger *slog.Logger

	// baseline runs the per-event integration instead of ferry (set by
	// Run for the baseline's run).
	baseline bool
	// settings replaces BenchSettings for a scenario.
	settings *settings.Document
	// toIntercom: the baseline runs its Salesforce → Intercom flow too.
	toIntercom bool
	// engine adjusts ferry's engine options (in process only).
	engine func(engine.Options) engine.Options
}

// Target is one of issue 5's goals, checked against a result.
type Target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

// Result is what one scenario measured.
type Result struct {
	Scenario string `json:"scenario"`
	// Mode is "ferry" or the baseline that ran in ferry's place.
	Mode      string `json:"mode"`
	Store     string `json:"store"`
	Direction string `json:"direction,omitempty"`
	// People on each side, and Changes made (or people to match).
	People  int `json:"people"`
	Changes int `json:"changes"`
	// Landed is how many changes reached the other side in time.
	Landed int `json:"landed"`
	// Wall is the span from the first change to the last landing.
	Wall time.Duration `json:"wall_ns"`
	// Throughput is landed changes per second of Wall.
	Throughput float64 `json:"throughput_per_s"`
	// API calls counted by the emulators during the scenario.
	SalesforceCalls int64   `json:"salesforce_calls"`
	IntercomCalls   int64   `json:"intercom_calls"`
	SFCallsPerChg   float64 `json:"salesforce_calls_per_change"`
	ICCallsPerChg   float64 `json:"intercom_calls_per_change"`
	// EchoWrites are writes of the changed field back to the side the
	// change came from; WritesBack are all writes to that side's changed
	// records (echoes plus enrichment such as SALESFORCE_* attributes).
	EchoWrites int64 `json:"echo_writes"`
	WritesBack int64 `json:"writes_back"`
	// Duplicates are values written to the same record field more than
	// once.
	Duplicates int64 `json:"duplicate_writes"`
	// Mismatches are records whose final value on the other side is not
	// the last change's.
	Mismatches int `json:"mismatches"`
	// AfterPoll is, for changes found by a poll (sf-burst), the span from
	// the poll that found them to the last landing.
	AfterPoll time.Duration `json:"after_poll_ns,omitempty"`
	// IntercomFloor is, for sf-burst, the time the same number of contact
	// updates take when sent straight to an Intercom emulator alone
	// (intercomFloor): the bound of any Salesforce → Intercom sync.
	IntercomFloor time.Duration `json:"intercom_floor_ns,omitempty"`
	// PollCalls is the Salesforce calls one poll made, Polls how many polls
	// were measured, BackgroundPerMin the other Salesforce calls a minute
	// and IdleDay an idle day's calls at 5-minute polls (idle).
	PollCalls        float64 `json:"salesforce_calls_per_poll,omitempty"`
	Polls            int     `json:"polls,omitempty"`
	BackgroundPerMin float64 `json:"background_salesforce_calls_per_min,omitempty"`
	IdleDay          float64 `json:"idle_day_salesforce_calls,omitempty"`
	// Latency from the change to its write on the other side.
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
	// WebhooksDropped are Intercom deliveries the emulator gave up on (its
	// queue full, or ferry unreachable twice).
	WebhooksDropped int64 `json:"webhooks_dropped"`
	// MaxQueued is the most webhook deliveries seen waiting in the
	// Intercom emulator while changes were made: a large number means the
	// webhook path (the emulator's 4 delivery workers times ferry's intake
	// time per webhook) held changes back before ferry stored them.
	MaxQueued int64 `json:"max_webhooks_queued,omitempty"`
	// SFRoutes and ICRoutes break the requests down by route.
	SFRoutes map[string]int64 `json:"salesforce_routes,omitempty"`
	ICRoutes map[string]int64 `json:"intercom_routes,omitempty"`
	// TooMany is how many API calls were answered 429.
	TooMany int64 `json:"rate_limited_429"`
	// WriteRate is Intercom writes per second (initial, rate-limited run),
	// against RateLimit per second.
	WriteRate float64 `json:"intercom_writes_per_s,omitempty"`
	RateLimit float64 `json:"intercom_limit_per_s,omitempty"`
	// PeakHeap is the peak Go heap+stacks in use while the scenario ran
	// (the emulators included: they run in this process); MaxRSS is the
	// process's peak RSS so far (VmHWM).
	PeakHeap uint64 `json:"peak_heap_bytes"`
	// FerryCPU is the CPU time (user and system) the ferry processes used
	// during the measured part, when ferry runs apart (Config.Command): on
	// a shared machine it says more of ferry's own cost than wall time.
	FerryCPU time.Duration `json:"ferry_cpu_ns,omitempty"`
	// FerryRSS is the peak RSS (VmHWM) of the ferry processes, when ferry
	// runs apart (Config.Command); 0 otherwise.
	FerryRSS uint64 `json:"ferry_max_rss_bytes,omitempty"`
	// BaseHeap is what was in use when the measured part began, after a
	// garbage collection: the emulators' loaded data and an idle ferry.
	// PeakHeap minus BaseHeap approximates what ferry's work added.
	BaseHeap uint64   `json:"base_heap_bytes"`
	MaxRSS   uint64   `json:"max_rss_bytes"`
	Targets  []Target `json:"targets,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	Error    string   `json:"error,omitempty"`
}

// Run runs one scenario (or every one, for "all") and returns the results.
// A scenario that fails still returns its result with Error set.
func Run(ctx context.Context, scenario string, cfg Config) ([]Result, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.Baseline != "" && cfg.Baseline != BaselinePerEvent {
		return nil, fmt.Errorf("bench: unknown baseline %q: want %s", cfg.Baseline, BaselinePerEvent)
	}
	names := []string{scenario}
	if scenario == "all" {
		names = ScenarioNames()
	}
	var out []Result
	for _, name := range names {
		c := cfg
		if c.PollInterval <= 0 {
			c.PollInterval = DefaultPollInterval
			switch name {
			case ScenarioSparse, ScenarioSparseBoth:
				c.PollInterval = DefaultSparsePoll
			case ScenarioStreamSteady, ScenarioStreamBurst:
				c.PollInterval = DefaultStreamPoll
			}
		}
		res, err := runOne(ctx, name, c)
		for i := range res {
			res[i].Mode = "ferry"
		}
		out = append(out, res...)
		if err != nil {
			return out, err
		}
		if cfg.Baseline == "" || !hasBaseline(name) {
			continue
		}
		c.baseline = true
		base, err := runOne(ctx, name, c)
		for i := range base {
			base[i].Mode = cfg.Baseline
			base[i].Targets = nil
		}
		out = append(out, base...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// hasBaseline says whether a per-event integration can run scenario: the
// scenarios about changes to mapped people, not those about matching,
// Tasks or backfills, which such flows do not do.
func hasBaseline(scenario string) bool {
	switch scenario {
	case ScenarioSparse, ScenarioSparseBoth, ScenarioSteady, ScenarioBurst, ScenarioBurstBoth, ScenarioIdle, ScenarioSFBurst:
		return true
	}
	return false
}

func runOne(ctx context.Context, name string, cfg Config) ([]Result, error) {
	switch name {
	case ScenarioBurst, ScenarioBurstBoth:
		return runBurst(ctx, cfg, name == ScenarioBurstBoth)
	case ScenarioSteady:
		return runSteady(ctx, cfg)
	case ScenarioSparse:
		return runSparse(ctx, cfg, false)
	case ScenarioSparseBoth:
		return runSparse(ctx, cfg, true)
	case ScenarioIdle:
		return runIdle(ctx, cfg)
	case ScenarioSFBurst:
		return runSFBurst(ctx, cfg)
	case ScenarioInitial:
		return runInitial(ctx, cfg)
	case ScenarioConversations:
		return runConversations(ctx, cfg)
	case ScenarioBackfill:
		return runBackfill(ctx, cfg)
	case ScenarioStreamSteady, ScenarioStreamBurst:
		return runStreamScenario(ctx, name, cfg)
	}
	return nil, fmt.Errorf("bench: unknown scenario %q: want %s or all", name, strings.Join(ScenarioNames(), ", "))
}

// start starts a harness for cfg.
func start(ctx context.Context, cfg Config, icLimit int) (*Harness, error) {
	opts := Options{
		DatabaseURL: cfg.DatabaseURL, Isolate: true, PollInterval: cfg.PollInterval, Workers: cfg.Workers,
		IntercomRateLimit: icLimit, Command: cfg.Command, Logger: cfg.Logger, Settings: cfg.settings,
		Engine: cfg.engine,
	}
	if cfg.baseline {
		opts.Baseline, opts.BaselineToIntercom = cfg.Baseline, cfg.toIntercom
	}
	return Start(ctx, opts)
}

// unlimited is an Intercom rate limit no scenario reaches.
const unlimited = 100_000_000

// prepare loads n people, connects ferry and waits until they are all
// mapped and ferry has gone quiet, so the measured part starts from a
// steady state.
func prepare(ctx context.Context, h *Harness, cfg Config, n int) ([]Person, error) {
	people, err := h.LoadPeople(n, "s", "t0")
	if err != nil || h.baseline != nil {
		// The per-event integration has nothing to prepare.
		return people, err
	}
	if err := h.Connect(ctx); err != nil {
		return nil, err
	}
	if err := h.MapPeople(ctx, people, cfg.Timeout); err != nil {
		return nil, err
	}
	return people, h.Settle(ctx, cfg.PollInterval+time.Second, cfg.Timeout)
}

// measure is the common bookkeeping of a scenario's measured part.
type measure struct {
	h                *Harness
	sf0, ic0         int64
	sfRec0, icRec0   Stats
	mem              *memSampler
	tr               *tracker
	echo, back       atomic.Int64
	changedMu        sync.Mutex
	changed          map[string]bool // records changed, on the origin side
	backFields       map[string]int  // writes back, by field
	echoes           []Write         // the first echo writes, for the notes
	echoField        string
	originIsIntercom bool
	start            time.Time
	usage0           icemu.Usage
	maxQueued        int64 // most webhook deliveries seen waiting in the emulator
	sfRoutes0        map[string]int64
	icRoutes0        map[string]int64
	made             int64
	cpu0             time.Duration // the ferry processes' CPU time at the start
}

// maxQueued bounds the webhook deliveries waiting in the Intercom
// emulator: its 4 queues hold 1,024 each and drop beyond (real Intercom
// queues more), so a burst is fed no faster than the emulator delivers it,
// with a margin for ferry's own writes, which queue deliveries too. Ferry
// still receives the burst as fast as it takes it.
const maxQueued = 1000

// pace waits while too many webhook deliveries are queued in the Intercom
// emulator. Every contact change (the harness's and ferry's writes) queues
// one delivery.
func (m *measure) pace(ctx context.Context) {
	for ctx.Err() == nil {
		u := m.h.IC.Usage()
		done := (u.WebhooksSent - m.usage0.WebhooksSent) + (u.WebhooksFailed - m.usage0.WebhooksFailed)
		queued := m.made + (m.h.ICRec.Stats().Writes - m.icRec0.Writes) - done
		m.maxQueued = max(m.maxQueued, queued)
		if queued < maxQueued {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// begin snapshots the counters and starts watching writes: landings on the
// target side, echoes on the origin side.
func begin(h *Harness, fromIntercom bool) *measure {
	m := &measure{h: h, tr: newTracker(), changed: map[string]bool{}, backFields: map[string]int{},
		originIsIntercom: fromIntercom}
	target, origin := h.SFRec, h.ICRec
	m.echoField = icField
	if !fromIntercom {
		target, origin = h.ICRec, h.SFRec
		m.echoField = sfField
	}
	m.start = time.Now()
	if h.baseline != nil {
		h.baseline.switchOn()
	}
	target.Observe(m.tr.observe)
	origin.Observe(func(w Write) {
		if w.At.Before(m.start) {
			return
		}
		m.changedMu.Lock()
		hit := m.changed[w.Record]
		if hit {
			m.backFields[w.Field]++
		}
		m.changedMu.Unlock()
		if !hit {
			return
		}
		m.back.Add(1)
		if w.Field == m.echoField {
			m.echo.Add(1)
			m.changedMu.Lock()
			if len(m.echoes) < 3 {
				m.echoes = append(m.echoes, w)
			}
			m.changedMu.Unlock()
		}
	})
	m.usage0 = h.IC.Usage()
	m.sf0, m.ic0 = h.SF.APICalls(), h.IC.APICalls()
	m.sfRec0, m.icRec0 = h.SFRec.Stats(), h.ICRec.Stats()
	m.sfRoutes0, m.icRoutes0 = h.SFRec.Routes(), h.ICRec.Routes()
	m.mem = sampleMemory(50 * time.Millisecond)
	m.cpu0 = h.ferryCPU()
	return m
}

// change makes one change to p and expects it on the other side.
func (m *measure) change(p Person, value string) error {
	m.changedMu.Lock()
	if m.originIsIntercom {
		m.changed[recordKey(p.IntercomID)] = true
	} else {
		m.changed[recordKey(p.SalesforceID)] = true
	}
	m.changedMu.Unlock()
	if m.originIsIntercom {
		m.pace(context.Background())
		m.made++
		m.tr.expect(p.SalesforceID, sfField, value)
		if err := m.h.ChangeIntercom(p, value); err != nil {
			m.tr.forget(p.SalesforceID, sfField, value)
			return err
		}
		return nil
	}
	m.tr.expect(p.IntercomID, icField, value)
	if err := m.h.ChangeSalesforce(p, value); err != nil {
		m.tr.forget(p.IntercomID, icField, value)
		return err
	}
	return nil
}

// finish waits for the changes to land and for late echoes, and fills res.
func (m *measure) finish(ctx context.Context, cfg Config, res *Result, changes int, final map[Person]string) {
	m.tr.seal()
	pending := m.tr.wait(ctx, cfg.Timeout)
	// Echoes show up after the change landed: give ferry one more poll
	// and webhook round to make them.
	// Long poll intervals (sparse's 5 minutes) are capped: the stream
	// itself spans polls, which see ferry's earlier writes.
	select {
	case <-time.After(min(cfg.PollInterval, 30*time.Second) + time.Second):
	case <-ctx.Done():
	}
	res.PeakHeap, res.BaseHeap = m.mem.Stop()
	res.FerryRSS = m.h.ferryRSS()
	if cpu := m.h.ferryCPU(); cpu > 0 {
		res.FerryCPU = cpu - m.cpu0
	}
	res.MaxRSS = maxRSS()
	lat, span := m.tr.results()
	res.Changes = changes
	res.Landed = changes - pending
	res.Wall = span
	if span > 0 {
		res.Throughput = float64(res.Landed) / span.Seconds()
	}
	res.SalesforceCalls = m.h.SF.APICalls() - m.sf0
	res.IntercomCalls = m.h.IC.APICalls() - m.ic0
	if changes > 0 {
		res.SFCallsPerChg = float64(res.SalesforceCalls) / float64(changes)
		res.ICCallsPerChg = float64(res.IntercomCalls) / float64(changes)
	}
	res.EchoWrites, res.WritesBack = m.echo.Load(), m.back.Load()
	res.WebhooksDropped = m.h.IC.Usage().WebhooksFailed - m.usage0.WebhooksFailed
	res.MaxQueued = m.maxQueued
	res.SFRoutes = subRoutes(m.h.SFRec.Routes(), m.sfRoutes0)
	res.ICRoutes = subRoutes(m.h.ICRec.Routes(), m.icRoutes0)
	m.changedMu.Lock()
	if len(m.backFields) > 0 {
		fields := make([]string, 0, len(m.backFields))
		for f, n := range m.backFields {
			fields = append(fields, fmt.Sprintf("%s×%d", f, n))
		}
		slices.Sort(fields)
		res.Notes = append(res.Notes, "fields written back: "+strings.Join(fields, ", "))
	}
	for _, w := range m.echoes {
		res.Notes = append(res.Notes, fmt.Sprintf("echo: %s of %s written back as %s, %s after the first change",
			w.Field, w.Record, w.Value, w.At.Sub(m.start).Round(time.Millisecond)))
	}
	m.changedMu.Unlock()
	res.TooMany = m.h.ICRec.Stats().Sub(m.icRec0).TooMany + m.h.SFRec.Stats().Sub(m.sfRec0).TooMany
	res.P50, res.P99, res.Max = percentile(lat, 0.50), percentile(lat, 0.99), percentile(lat, 1)
	if pending > 0 {
		res.Error = fmt.Sprintf("%d of %d changes had not landed after %s", pending, changes, cfg.Timeout)
	}
	// The final values: Salesforce through the emulator's records, Intercom
	// through the last value ferry wrote (the emulator has no Go getter for
	// contacts, and reading them over the API would count).
	for p, want := range final {
		var got string
		if m.originIsIntercom {
			if rec, ok := m.h.SF.Record("Lead", p.SalesforceID); ok {
				got, _ = rec[sfField].(string)
			}
		} else if vals := m.h.ICRec.Values(p.IntercomID, icField); len(vals) > 0 {
			got = jsonString(vals[len(vals)-1])
		}
		if got != want {
			res.Mismatches++
		}
	}
	target := m.h.SFRec
	field := sfField
	if !m.originIsIntercom {
		target, field = m.h.ICRec, icField
	}
	for p := range final {
		id := p.SalesforceID
		if !m.originIsIntercom {
			id = p.IntercomID
		}
		res.Duplicates += int64(duplicates(target.Values(id, field)))
	}
}

// subRoutes returns the route counts of now minus those of before.
func subRoutes(now, before map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range now {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// duplicates counts values that occur more than once.
func duplicates(values []string) int {
	seen := map[string]bool{}
	n := 0
	for _, v := range values {
		if seen[v] {
			n++
		}
		seen[v] = true
	}
	return n
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
