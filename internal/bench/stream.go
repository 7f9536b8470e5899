package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// Scenarios of Salesforce changes streamed as Change Data Capture events
// (issue 14), each run twice in one invocation: streamed, then polled only,
// against the same poll interval (5 minutes unless given), so that only
// the stream can be fast.
const (
	// ScenarioStreamSteady: Rate Lead changes a second in Salesforce for
	// Duration (default 50/s for a minute); the latency to Intercom.
	ScenarioStreamSteady = "sf-stream-steady"
	// ScenarioStreamBurst: Changes Lead changes at once (default 10,000),
	// Intercom at its default rate limit: all must land, as fast as the
	// limit allows.
	ScenarioStreamBurst = "sf-stream-burst"
)

// Defaults of the stream scenarios.
const (
	DefaultStreamRate     = 50
	DefaultStreamDuration = time.Minute
	DefaultStreamPoll     = 5 * time.Minute
	DefaultStreamBurst    = 10_000
	// streamIntercomLimit is Intercom's default rate limit for an app,
	// requests a minute: what bounds the burst.
	streamIntercomLimit = 10_000
)

// runStreamScenario runs a stream scenario streamed and then polled.
func runStreamScenario(ctx context.Context, name string, cfg Config) ([]Result, error) {
	var out []Result
	for _, mode := range []string{settings.ChangesStream, settings.ChangesPoll} {
		res, err := streamRun(ctx, name, mode, cfg)
		if err != nil && res.Scenario == "" {
			return out, err
		}
		out = append(out, res)
	}
	if len(out) == 2 {
		s, p := out[0], out[1]
		note := fmt.Sprintf("polled only, same run: p50 %s, p99 %s, %.4f Salesforce calls per change, %d landed of %d",
			p.P50.Round(time.Millisecond), p.P99.Round(time.Millisecond), p.SFCallsPerChg, p.Landed, p.Changes)
		out[0].Notes = append(s.Notes, note)
	}
	return out, nil
}

// streamRun is one run of a stream scenario with salesforce_changes set to
// mode.
func streamRun(ctx context.Context, name, mode string, cfg Config) (Result, error) {
	burst := name == ScenarioStreamBurst
	rate, dur := cfg.Rate, cfg.Duration
	if rate <= 0 {
		rate = DefaultStreamRate
	}
	if dur <= 0 {
		dur = DefaultStreamDuration
	}
	n := max(1, int(float64(rate)*dur.Seconds()))
	icLimit := unlimited
	if burst {
		if n = cfg.Changes; n <= 0 {
			n = DefaultStreamBurst
		}
		icLimit = streamIntercomLimit
	}
	how := "streamed (salesforce_changes stream)"
	if mode == settings.ChangesPoll {
		how = "polled only (salesforce_changes poll)"
	}
	res := Result{Scenario: name, Mode: "ferry", Direction: "salesforce→intercom, " + how, People: n}
	if burst {
		res.Notes = append(res.Notes, fmt.Sprintf("%d Lead changes at once, Intercom limited to %d requests a minute, poll interval %s",
			n, icLimit, cfg.PollInterval))
	} else {
		res.Notes = append(res.Notes, fmt.Sprintf("%d Lead changes/s for %s, poll interval %s", rate, dur, cfg.PollInterval))
	}
	doc := BenchSettings()
	doc.SalesforceChanges = mode
	doc.PollInterval = cfg.PollInterval.String()
	h, err := Start(ctx, Options{
		DatabaseURL: cfg.DatabaseURL, Isolate: true, PollInterval: cfg.PollInterval, Workers: cfg.Workers,
		IntercomRateLimit: icLimit, Command: cfg.Command, Logger: cfg.Logger, Settings: &doc, Engine: cfg.engine,
		PubSub: mode == settings.ChangesStream,
	})
	if err != nil {
		return Result{}, err
	}
	defer h.Close()
	res.Store = h.storeName()
	people, err := h.LoadPeople(n, "s", "t0")
	if err == nil {
		err = h.Connect(ctx)
	}
	if err == nil {
		err = h.MapPeople(ctx, people, cfg.Timeout)
	}
	if err == nil {
		// Quiet for a few seconds, not for a poll interval: with
		// 5-minute polls, waiting one out is what the stream avoids.
		err = h.Settle(ctx, 3*time.Second, cfg.Timeout)
	}
	if err == nil && mode == settings.ChangesStream {
		err = h.waitStreaming(ctx, time.Minute)
	}
	if err != nil {
		return failed1(res, err)
	}
	m := begin(h, false)
	final := make(map[Person]string, n)
	change := func(i int) error {
		p := people[i]
		v := fmt.Sprintf("%s-%s-%d", name, mode, i)
		if err := m.change(p, v); err != nil {
			return err
		}
		final[p] = v
		return nil
	}
	if burst {
		for i := range n {
			if err := change(i); err != nil {
				return failed1(res, err)
			}
		}
	} else if err := paced(ctx, n, rate, change); err != nil {
		return failed1(res, err)
	}
	m.finish(ctx, cfg, &res, n, final)
	if burst && res.Wall > 0 {
		res.RateLimit = float64(icLimit) / 60
		res.WriteRate = float64(res.Landed) / res.Wall.Seconds()
	}
	if mode == settings.ChangesStream {
		res.Targets = streamTargets(res, burst)
	}
	return res, nil
}

// streamTargets are issue 14's goals for a streamed run.
func streamTargets(res Result, burst bool) []Target {
	t := []Target{
		target("changes landed", fmt.Sprint(res.Changes), fmt.Sprint(res.Landed), res.Landed == res.Changes && res.Mismatches == 0),
		target("Salesforce API calls per Salesforce change", "≤ 0.01", fmt.Sprintf("%.4f", res.SFCallsPerChg), res.SFCallsPerChg <= 0.01),
		target("echo writes", "0", fmt.Sprint(res.EchoWrites), res.EchoWrites == 0),
	}
	if burst {
		return append(t, target("Intercom writes per second against its rate limit", fmt.Sprintf("≥ 80%% of %.0f/s", res.RateLimit),
			fmt.Sprintf("%.0f/s", res.WriteRate), res.WriteRate >= 0.8*res.RateLimit))
	}
	return append(t, target("Salesforce→Intercom p99 latency", "< 2s", res.P99.Round(time.Millisecond).String(),
		res.Landed == res.Changes && res.P99 < 2*time.Second))
}

// waitStreaming waits until the first instance's connection streams its
// Salesforce changes.
func (h *Harness) waitStreaming(ctx context.Context, timeout time.Duration) error {
	f := h.Ferries[0]
	deadline := time.Now().Add(timeout)
	for {
		cs, err := f.Store.GetChangeStream(ctx, f.ConnID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if cs.Mode == store.StreamModeStream && time.Now().Before(cs.HeldUntil) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: Salesforce changes not streamed after %s (mode %q: %s): %w", timeout, cs.Mode, cs.Cause, errTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// paced calls change(0) … change(n-1) at rate calls a second.
func paced(ctx context.Context, n, rate int, change func(i int) error) error {
	startAt := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for made := 0; made < n; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			// Changes due by now, so a late tick catches up instead of
			// lowering the rate.
			due := min(n, int(now.Sub(startAt).Seconds()*float64(rate))+1)
			for ; made < due; made++ {
				if err := change(made); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// failed1 is failed for one result.
func failed1(res Result, err error) (Result, error) {
	res.Error = err.Error()
	return res, nil
}
