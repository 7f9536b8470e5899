package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrysync/ferry/internal/settings"
)

// runBurst: N mapped people change their job title in Intercom at once;
// every change must land in Salesforce with few API calls and no echo. The
// mapping flows to Salesforce only, as issue 15's burst has it; with both
// (burst-both) it flows both ways, so every write is made on condition
// that Salesforce has not changed the record since (Composite Graph calls).
func runBurst(ctx context.Context, cfg Config, both bool) ([]Result, error) {
	n := cfg.Changes
	if n <= 0 {
		n = DefaultBurstChanges
	}
	name, dir := ScenarioBurst, "to_salesforce"
	if both {
		name, dir = ScenarioBurstBoth, "both"
	}
	cfg.settings, cfg.toIntercom = directed(dir), both
	res := Result{Scenario: name, Direction: "intercom→salesforce", People: n}
	if started, err := changeAtOnce(ctx, cfg, &res, n, true, "burst"); err != nil {
		if !started {
			return nil, err
		}
		return failed(res, err)
	}
	res.Notes = append(res.Notes, fmt.Sprintf("mapping job_title → Title %s, poll interval %s", dir, cfg.PollInterval))
	res.Targets = []Target{
		target("Salesforce API calls per change", "≤ 0.0075", fmt.Sprintf("%.4f", res.SFCallsPerChg), res.SFCallsPerChg <= 0.0075),
		target("echo writes", "0", fmt.Sprint(res.EchoWrites), res.EchoWrites == 0),
		target("changes landed", fmt.Sprint(n), fmt.Sprint(res.Landed), res.Landed == n && res.Mismatches == 0),
	}
	return []Result{res}, nil
}

// directed returns BenchSettings with every mapping flowing in direction
// dir: "to_salesforce", as issue 15's sparse, steady and burst map, or
// "both".
func directed(dir string) *settings.Document {
	doc := BenchSettings()
	for i := range doc.Mappings {
		doc.Mappings[i].Direction = dir
	}
	return &doc
}

// changeAtOnce starts a harness with n mapped people, changes each one's
// value at once on one side (Intercom when fromIntercom, else Salesforce) and
// measures how the changes land into res. started is false when the harness
// itself could not start.
func changeAtOnce(ctx context.Context, cfg Config, res *Result, n int, fromIntercom bool, prefix string) (started bool, err error) {
	h, err := start(ctx, cfg, unlimited)
	if err != nil {
		return false, err
	}
	defer h.Close()
	res.Store = h.storeName()
	people, err := prepare(ctx, h, cfg, n)
	if err != nil {
		return true, err
	}
	m := begin(h, fromIntercom)
	// The first poll to reach Salesforce after the last change is the one
	// that finds them (Salesforce → Intercom).
	var madeAt, pollAt atomic.Int64
	h.SFRec.ObserveRequests(func(route string, at time.Time) {
		if made := madeAt.Load(); made != 0 && isPollRoute(route) && at.UnixNano() > made {
			pollAt.CompareAndSwap(0, at.UnixNano())
		}
	})
	final := make(map[Person]string, n)
	for i, p := range people {
		v := fmt.Sprintf("%s-%d", prefix, i)
		if err := m.change(p, v); err != nil {
			return true, err
		}
		final[p] = v
	}
	madeAt.Store(time.Now().UnixNano())
	m.finish(ctx, cfg, res, n, final)
	if at := pollAt.Load(); !fromIntercom && at != 0 && res.Landed > 0 {
		res.AfterPoll = m.tr.lastLanding().Sub(time.Unix(0, at))
	}
	return true, nil
}

// runSteady: Rate changes a second in Intercom for Duration, each to a
// different mapped person, mapped to Salesforce only (issue 15's steady);
// the latency to Salesforce is what counts.
func runSteady(ctx context.Context, cfg Config) ([]Result, error) {
	rate, dur := cfg.Rate, cfg.Duration
	if rate <= 0 {
		rate = DefaultSteadyRate
	}
	if dur <= 0 {
		dur = DefaultSteadyDuration
	}
	cfg.settings = directed("to_salesforce")
	res, err := runPaced(ctx, cfg, ScenarioSteady, rate, dur)
	if err != nil {
		return res, err
	}
	r := &res[0]
	r.Notes = append(r.Notes, fmt.Sprintf("mapping job_title → Title to_salesforce, poll interval %s", cfg.PollInterval))
	r.Targets = []Target{
		target("Salesforce API calls per change", "≤ 0.02", fmt.Sprintf("%.4f", r.SFCallsPerChg), r.SFCallsPerChg <= 0.02),
		target("Intercom→Salesforce p99", "< 1s", r.P99.Round(time.Millisecond).String(), r.Landed == r.Changes && r.P99 < time.Second),
		target("echo writes", "0", fmt.Sprint(r.EchoWrites), r.EchoWrites == 0),
	}
	return res, nil
}

// runSparse: one change a second in Intercom for five minutes (Rate and
// Duration), each to a different mapped person, at 5-minute polls: the
// polls' calls count against few changes. With both, the mapping is both
// ways, so ferry may need to know Salesforce's side before it writes;
// otherwise it maps to Salesforce only.
func runSparse(ctx context.Context, cfg Config, both bool) ([]Result, error) {
	rate, dur := cfg.Rate, cfg.Duration
	if rate <= 0 {
		rate = DefaultSparseRate
	}
	if dur <= 0 {
		dur = DefaultSparseDuration
	}
	name, dir, want := ScenarioSparse, "to_salesforce", 1.05
	if both {
		name, dir, want = ScenarioSparseBoth, "both", 1.1
	}
	cfg.settings, cfg.toIntercom = directed(dir), both
	res, err := runPaced(ctx, cfg, name, rate, dur)
	if err != nil {
		return res, err
	}
	r := &res[0]
	r.Notes = append(r.Notes, fmt.Sprintf("mapping job_title → Title %s, poll interval %s", dir, cfg.PollInterval))
	r.Targets = []Target{
		target("Salesforce API calls per change (polls included)", fmt.Sprintf("≤ %.2f", want), fmt.Sprintf("%.4f", r.SFCallsPerChg), r.SFCallsPerChg <= want),
		target("Intercom→Salesforce p99", "< 1s", r.P99.Round(time.Millisecond).String(), r.Landed == r.Changes && r.P99 < time.Second),
		target("echo writes", "0", fmt.Sprint(r.EchoWrites), r.EchoWrites == 0),
	}
	return res, nil
}

// runPaced makes rate changes a second in Intercom for dur, each to a
// different mapped person, and measures how they land in Salesforce.
func runPaced(ctx context.Context, cfg Config, name string, rate int, dur time.Duration) ([]Result, error) {
	n := max(1, int(float64(rate)*dur.Seconds()))
	res := Result{Scenario: name, Direction: "intercom→salesforce", People: n}
	res.Notes = append(res.Notes, fmt.Sprintf("%d changes/s for %s, emulator latency 0", rate, dur))
	h, err := start(ctx, cfg, unlimited)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	res.Store = h.storeName()
	people, err := prepare(ctx, h, cfg, n)
	if err != nil {
		return failed(res, err)
	}
	m := begin(h, true)
	final := make(map[Person]string, n)
	startAt := time.Now()
	if err := paced(ctx, n, rate, func(i int) error {
		p := people[i]
		v := fmt.Sprintf("%s-%d", name, i)
		if err := m.change(p, v); err != nil {
			return err
		}
		final[p] = v
		return nil
	}); err != nil {
		return failed(res, err)
	}
	// The measured span covers the whole stream: wait until its end, so
	// that the polls of its last second count as they would.
	if rest := time.Until(startAt.Add(dur)); rest > 0 {
		select {
		case <-ctx.Done():
			return failed(res, ctx.Err())
		case <-time.After(rest):
		}
	}
	m.finish(ctx, cfg, &res, n, final)
	return []Result{res}, nil
}

// runSFBurst: N Lead Titles change in Salesforce's UI between two polls;
// all must reach Intercom within the poll interval plus a second.
func runSFBurst(ctx context.Context, cfg Config) ([]Result, error) {
	n := cfg.Changes
	if n <= 0 {
		n = DefaultSFBurstChanges
	}
	res := Result{Scenario: ScenarioSFBurst, Direction: "salesforce→intercom", People: n}
	cfg.toIntercom = true
	res.Notes = append(res.Notes, fmt.Sprintf("poll interval %s", cfg.PollInterval))
	if started, err := changeAtOnce(ctx, cfg, &res, n, false, "sf"); err != nil {
		if !started {
			return nil, err
		}
		return failed(res, err)
	}
	// Intercom has no bulk update: the changes are as many contact
	// updates, and how fast this machine's Intercom takes them bounds any
	// sync. Measured after the run, so the two never share the machine.
	if floor, err := intercomFloor(ctx, n); err != nil {
		res.Notes = append(res.Notes, "the Intercom bound could not be measured: "+err.Error())
	} else {
		res.IntercomFloor = floor
	}
	limit := cfg.PollInterval + time.Second
	res.Targets = []Target{
		target("Salesforce→Intercom: last change in Intercom after the poll that found them", "≤ 6s",
			res.AfterPoll.Round(time.Millisecond).String(), res.Landed == n && res.AfterPoll > 0 && res.AfterPoll <= 6*time.Second),
		target("Salesforce→Intercom max latency", "≤ "+limit.String(), res.Max.Round(time.Millisecond).String(), res.Landed == n && res.Max <= limit),
		target("echo writes", "0", fmt.Sprint(res.EchoWrites), res.EchoWrites == 0),
	}
	return []Result{res}, nil
}

// runInitial: N people on each side before ferry connects; the initial sync
// must match them all (and enrich Intercom) within 2 minutes and 300 MB, with
// Intercom's rate limit raised. A second, smaller run at Intercom's default
// limit checks that enrichment runs at the limit without a 429.
func runInitial(ctx context.Context, cfg Config) ([]Result, error) {
	n := cfg.People
	if n <= 0 {
		n = DefaultInitialPeople
	}
	big, err := initialRun(ctx, cfg, n, unlimited)
	if err != nil {
		return []Result{big}, err
	}
	big.Targets = []Target{
		target("matched", fmt.Sprint(n), fmt.Sprint(big.Landed), big.Landed == n),
		target("initial sync wall time", "≤ 2m", big.Wall.Round(time.Second).String(), big.Landed == n && big.Wall <= 2*time.Minute),
		memTarget(big),
	}
	out := []Result{big}
	lp := cfg.LimitedPeople
	if lp == 0 {
		lp = DefaultLimitedPeople
	}
	if lp > 0 {
		limited, err := initialRun(ctx, cfg, lp, 10_000)
		limited.Scenario = ScenarioInitial + " (rate-limited)"
		limited.Targets = []Target{
			target("429 answers", "0", fmt.Sprint(limited.TooMany), limited.TooMany == 0),
			target("enrichment write rate", fmt.Sprintf("≈ %.0f/s (the limit)", limited.RateLimit),
				fmt.Sprintf("%.0f/s", limited.WriteRate), limited.WriteRate >= 0.8*limited.RateLimit),
		}
		out = append(out, limited)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// initialRun loads n people on each side, connects ferry and measures until
// every person is mapped and every Intercom contact enriched.
func initialRun(ctx context.Context, cfg Config, n, icLimit int) (Result, error) {
	res := Result{Scenario: ScenarioInitial, Direction: "both", People: n, Changes: n}
	h, err := start(ctx, cfg, icLimit)
	if err != nil {
		return res, err
	}
	defer h.Close()
	res.Store = h.storeName()
	if _, err := h.LoadPeople(n, "i", "t0"); err != nil {
		r, err := failed(res, err)
		return r[0], err
	}
	h.SFRec.KeepHistory(false)
	h.ICRec.KeepHistory(false)
	var enrichMu sync.Mutex
	enriched := map[string]bool{}
	var firstWrite, lastWrite atomic.Int64
	var writes atomic.Int64
	h.ICRec.Observe(func(w Write) {
		enrichMu.Lock()
		if !enriched[w.Record] {
			enriched[w.Record] = true
			writes.Add(1)
			firstWrite.CompareAndSwap(0, w.At.UnixNano())
			lastWrite.Store(w.At.UnixNano())
		}
		enrichMu.Unlock()
	})
	sf0, ic0, rec0 := h.SF.APICalls(), h.IC.APICalls(), h.ICRec.Stats()
	sfRoutes0, icRoutes0 := h.SFRec.Routes(), h.ICRec.Routes()
	mem := sampleMemory(50 * time.Millisecond)
	cpu0 := h.ferryCPU()
	began := time.Now()
	if err := h.Connect(ctx); err != nil {
		mem.Stop()
		r, err := failed(res, err)
		return r[0], err
	}
	waitErr := h.WaitMapped(ctx, n, cfg.Timeout)
	res.Wall = time.Since(began)
	mapped, _ := h.Mapped(ctx)
	res.Landed = mapped
	// Enrichment may trail the matching; wait for it, bounded.
	deadline := time.Now().Add(cfg.Timeout)
	for writes.Load() < int64(n) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	res.PeakHeap, res.BaseHeap = mem.Stop()
	res.FerryRSS = h.ferryRSS()
	if cpu := h.ferryCPU(); cpu > 0 {
		res.FerryCPU = cpu - cpu0
	}
	res.MaxRSS = maxRSS()
	res.SalesforceCalls = h.SF.APICalls() - sf0
	res.IntercomCalls = h.IC.APICalls() - ic0
	res.SFCallsPerChg = float64(res.SalesforceCalls) / float64(n)
	res.ICCallsPerChg = float64(res.IntercomCalls) / float64(n)
	res.TooMany = h.ICRec.Stats().Sub(rec0).TooMany
	res.SFRoutes = subRoutes(h.SFRec.Routes(), sfRoutes0)
	res.ICRoutes = subRoutes(h.ICRec.Routes(), icRoutes0)
	res.RateLimit = float64(icLimit) / 60
	if span := time.Duration(lastWrite.Load() - firstWrite.Load()); span > 0 {
		res.WriteRate = float64(writes.Load()) / span.Seconds()
		res.Throughput = float64(mapped) / res.Wall.Seconds()
	}
	res.Notes = append(res.Notes, fmt.Sprintf("%d of %d Intercom contacts enriched", writes.Load(), n))
	if icLimit >= unlimited {
		res.RateLimit = 0
		res.WriteRate = 0
		res.Notes = append(res.Notes, "Intercom rate limit raised")
	} else {
		res.Notes = append(res.Notes, fmt.Sprintf("Intercom rate limit %d/min", icLimit))
	}
	if waitErr != nil {
		res.Error = waitErr.Error()
	}
	return res, nil
}

// memTarget checks the 300 MB goal: on the ferry process's peak RSS when
// ferry ran apart, else on what the in-process heap grew by during the
// sync (an approximation: the emulators' garbage counts too).
func memTarget(r Result) Target {
	if r.FerryRSS > 0 {
		return target("ferry process peak RSS", "≤ 300 MB", mb(r.FerryRSS), r.FerryRSS <= 300<<20)
	}
	added := r.PeakHeap - r.BaseHeap
	return target("memory added (peak − start, heap+stacks, emulators included)", "≤ 300 MB", mb(added), added <= 300<<20)
}

func failed(res Result, err error) ([]Result, error) {
	res.Error = err.Error()
	return []Result{res}, err
}

func target(name, want, got string, met bool) Target {
	return Target{Name: name, Want: want, Got: got, Met: met}
}

func mb(b uint64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }
