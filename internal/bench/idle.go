package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ferrysync/ferry/internal/engine"
)

// idlePeople is how many mapped people the idle scenario holds.
const idlePeople = 100

// pollMark is the watermark row the engine updates each time it polls a
// connection; idle counts polls by it.
const pollMark = "poll:last"

// isPollRoute says whether a Salesforce request is a poll's: a query (or
// its next page), a composite call, or an object's deletes.
func isPollRoute(route string) bool {
	return strings.HasPrefix(route, "GET query") || strings.HasPrefix(route, "GET queryAll") ||
		route == "POST composite" || strings.HasSuffix(route, "/deleted")
}

// runIdle: nothing changes. It measures the Salesforce calls of Polls polls
// that find nothing, and the other calls ferry makes meanwhile, and
// extrapolates an idle day at 5-minute polls from them.
func runIdle(ctx context.Context, cfg Config) ([]Result, error) {
	polls := cfg.Polls
	if polls <= 0 {
		polls = DefaultIdlePolls
	}
	cfg.toIntercom = true // the mapping is both ways: the baseline polls too
	// ferry reads the schema again every 10 minutes, every second poll at
	// 5-minute polls: the measurement keeps that ratio, so that what the
	// re-reads cost counts in the calls per poll.
	ttl := 2 * cfg.PollInterval
	cfg.engine = func(o engine.Options) engine.Options {
		o.CatalogTTL = ttl
		return o
	}
	res := Result{Scenario: ScenarioIdle, Direction: "none", People: idlePeople}
	h, err := start(ctx, cfg, unlimited)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	res.Store = h.storeName()
	if _, err := prepare(ctx, h, cfg, idlePeople); err != nil {
		return failed(res, err)
	}
	if h.baseline != nil {
		// Queries compare whole seconds: switch the trigger on in a
		// second after the people were loaded, so they are not changes.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1100 * time.Millisecond)))
		h.baseline.switchOn()
	}
	// Calls per poll count every call made from the first measured poll's
	// start to the start of the poll after the last (schema re-reads
	// included: they may ride in the poll's call); the other calls a
	// minute are those of that span on no poll's route.
	type call struct {
		route string
		at    time.Time
	}
	var mu sync.Mutex
	var calls []call
	h.SFRec.ObserveRequests(func(route string, at time.Time) {
		mu.Lock()
		calls = append(calls, call{route, at})
		mu.Unlock()
	})
	ic0 := h.IC.APICalls()
	mem := sampleMemory(50 * time.Millisecond)
	starts, err := h.pollStarts(ctx, polls+1, cfg)
	res.PeakHeap, res.BaseHeap = mem.Stop()
	res.MaxRSS = maxRSS()
	res.IntercomCalls = h.IC.APICalls() - ic0
	n := len(starts) - 1
	res.Polls = max(n, 0)
	if n > 0 {
		res.Wall = starts[n].Sub(starts[0])
		res.SFRoutes = map[string]int64{}
		var other int64
		mu.Lock()
		for _, c := range calls {
			if c.at.Before(starts[0]) || !c.at.Before(starts[n]) {
				continue
			}
			res.SalesforceCalls++
			res.SFRoutes[c.route]++
			if !isPollRoute(c.route) {
				other++
			}
		}
		mu.Unlock()
		res.PollCalls = float64(res.SalesforceCalls) / float64(n)
		res.BackgroundPerMin = float64(other) / res.Wall.Minutes()
	}
	// A day at 5-minute polls: 288 polls and what came with them.
	res.IdleDay = 288 * res.PollCalls
	res.Notes = append(res.Notes, fmt.Sprintf("%d polls at %s intervals over %s; an idle day extrapolated at 5-minute polls",
		n, cfg.PollInterval, res.Wall.Round(time.Second)))
	if h.baseline == nil && len(cfg.Command) == 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("ferry's schema re-read every %s (every second poll, as every 10 minutes at 5-minute polls)", ttl))
	}
	if err != nil {
		return failed(res, err)
	}
	res.Targets = []Target{
		target("Salesforce calls per idle poll", "≤ 1", fmt.Sprintf("%.2f", res.PollCalls), res.PollCalls <= 1),
		target("Salesforce calls in an idle day at 5-minute polls", "≤ 300", fmt.Sprintf("%.0f", res.IdleDay), res.IdleDay <= 300),
	}
	return []Result{res}, nil
}

// pollStarts waits for n polls to start and returns when each did:
// ferry's by its poll watermark (written as a poll starts, before its
// calls), the baseline's by its poll query.
func (h *Harness) pollStarts(ctx context.Context, n int, cfg Config) ([]time.Time, error) {
	deadline := time.Now().Add(time.Duration(n+2)*cfg.PollInterval + cfg.Timeout)
	var starts []time.Time
	if h.baseline != nil {
		seen := make(chan time.Time, 1024)
		h.SFRec.ObserveRequests(func(route string, at time.Time) {
			if route == "GET query" {
				select {
				case seen <- at:
				default:
				}
			}
		})
		for len(starts) < n {
			select {
			case at := <-seen:
				starts = append(starts, at)
			case <-ctx.Done():
				return starts, ctx.Err()
			case <-time.After(time.Until(deadline)):
				return starts, fmt.Errorf("bench: %d of %d polls seen: %w", len(starts), n, errTimeout)
			}
		}
		return starts, nil
	}
	f := h.Ferries[0]
	last := time.Time{}
	if wm, err := f.Store.GetWatermark(ctx, f.ConnID, pollMark); err == nil {
		last = wm.SystemModstamp
	}
	for len(starts) < n {
		select {
		case <-ctx.Done():
			return starts, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return starts, fmt.Errorf("bench: %d of %d polls seen: %w", len(starts), n, errTimeout)
		}
		wm, err := f.Store.GetWatermark(ctx, f.ConnID, pollMark)
		if err != nil {
			continue
		}
		if wm.SystemModstamp.After(last) {
			last = wm.SystemModstamp
			starts = append(starts, last)
		}
	}
	return starts, nil
}
