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
	// Calls per poll count every call made during the polls (schema
	// re-reads included: they may ride in the poll's call); the other
	// calls a minute are those on no poll's route.
	var mu sync.Mutex
	var otherCalls int64
	h.SFRec.ObserveRequests(func(route string, _ time.Time) {
		if !isPollRoute(route) {
			mu.Lock()
			otherCalls++
			mu.Unlock()
		}
	})
	if h.baseline != nil {
		// Queries compare whole seconds: switch the trigger on in a
		// second after the people were loaded, so they are not changes.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1100 * time.Millisecond)))
		h.baseline.switchOn()
	}
	routes0, sf0, ic0 := h.SFRec.Routes(), h.SF.APICalls(), h.IC.APICalls()
	mem := sampleMemory(50 * time.Millisecond)
	began := time.Now()
	n, err := h.countPolls(ctx, polls, cfg)
	res.Wall = time.Since(began)
	res.PeakHeap, res.BaseHeap = mem.Stop()
	res.MaxRSS = maxRSS()
	res.SalesforceCalls = h.SF.APICalls() - sf0
	res.IntercomCalls = h.IC.APICalls() - ic0
	res.SFRoutes = subRoutes(h.SFRec.Routes(), routes0)
	res.Polls = n
	mu.Lock()
	if n > 0 {
		res.PollCalls = float64(res.SalesforceCalls) / float64(n)
	}
	res.BackgroundPerMin = float64(otherCalls) / res.Wall.Minutes()
	mu.Unlock()
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

// countPolls waits for n polls and returns how many it saw: ferry's, by
// its poll watermark; the baseline's, by its poll queries.
func (h *Harness) countPolls(ctx context.Context, n int, cfg Config) (int, error) {
	deadline := time.Now().Add(time.Duration(n+2)*cfg.PollInterval + cfg.Timeout)
	if h.baseline != nil {
		seen := make(chan struct{}, 1024)
		h.SFRec.ObserveRequests(func(route string, _ time.Time) {
			if route == "GET query" {
				select {
				case seen <- struct{}{}:
				default:
				}
			}
		})
		for got := 0; ; got++ {
			if got == n {
				return got, nil
			}
			select {
			case <-seen:
			case <-ctx.Done():
				return got, ctx.Err()
			case <-time.After(time.Until(deadline)):
				return got, fmt.Errorf("bench: %d of %d polls seen: %w", got, n, errTimeout)
			}
		}
	}
	f := h.Ferries[0]
	last := time.Time{}
	if wm, err := f.Store.GetWatermark(ctx, f.ConnID, pollMark); err == nil {
		last = wm.SystemModstamp
	}
	got := 0
	for got < n {
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return got, fmt.Errorf("bench: %d of %d polls seen: %w", got, n, errTimeout)
		}
		wm, err := f.Store.GetWatermark(ctx, f.ConnID, pollMark)
		if err != nil {
			continue
		}
		if wm.SystemModstamp.After(last) {
			last = wm.SystemModstamp
			got++
		}
	}
	// The last poll's calls follow its watermark: let them finish.
	time.Sleep(min(cfg.PollInterval/2, 2*time.Second))
	return got, nil
}
