package bench

import (
	"context"
	"fmt"
	"time"
)

// ScenarioConversations: N mapped people each write in, then their N
// conversations close within one minute; every conversation must end as
// exactly one completed Task on its Lead, with few Salesforce calls.
const ScenarioConversations = "conversations"

// Defaults of the conversations scenario.
const (
	DefaultConversations = 1000
	// DefaultCloseSpan is over how long the conversations close.
	DefaultCloseSpan = 30 * time.Second
)

// runConversations starts N conversations, waits for their Tasks, then
// closes them all over CloseSpan and measures the Salesforce calls per
// conversation of the closing, the time until every Task is completed, and
// duplicate Tasks.
func runConversations(ctx context.Context, cfg Config) ([]Result, error) {
	n := cfg.Changes
	if n <= 0 {
		n = DefaultConversations
	}
	span := cfg.Duration
	if span <= 0 {
		span = DefaultCloseSpan
	}
	res := Result{Scenario: ScenarioConversations, Direction: "intercom→salesforce", People: n, Changes: n}
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
	leads := make(map[string]bool, n)
	for _, p := range people {
		leads[p.SalesforceID] = true
	}

	// Every person writes in: one Task each.
	sf0, ic0 := h.SF.APICalls(), h.IC.APICalls()
	began := time.Now()
	convs := make([]string, n)
	for i, p := range people {
		if convs[i], err = h.IC.StartConversation(p.IntercomID, fmt.Sprintf("<p>Question %d: the export fails 😞</p>", i)); err != nil {
			return failed(res, err)
		}
	}
	if _, err := waitTasks(ctx, h, leads, cfg.Timeout, func(t map[string]any) bool { return true }); err != nil {
		return failed(res, err)
	}
	startCalls, startWall := h.SF.APICalls()-sf0, time.Since(began)
	res.Notes = append(res.Notes, fmt.Sprintf("start: %d Salesforce calls for %d new conversations (%.4f each), all Tasks created in %s",
		startCalls, n, float64(startCalls)/float64(n), startWall.Round(time.Millisecond)))
	if err := h.Settle(ctx, cfg.PollInterval+time.Second, cfg.Timeout); err != nil {
		return failed(res, err)
	}

	// They all close within the span.
	mem := sampleMemory(50 * time.Millisecond)
	sf1, ic1 := h.SF.APICalls(), h.IC.APICalls()
	routes0 := h.SFRec.Routes()
	began = time.Now()
	for i, id := range convs {
		if due := began.Add(span * time.Duration(i) / time.Duration(n)); time.Until(due) > 0 {
			time.Sleep(time.Until(due))
		}
		if err := h.IC.CloseConversation(id, ""); err != nil {
			return failed(res, err)
		}
	}
	lastClose := time.Now()
	completed := func(t map[string]any) bool { return t["Status"] == "Completed" }
	landed, err := waitTasks(ctx, h, leads, cfg.Timeout, completed)
	res.Landed = landed
	res.Wall = time.Since(began)
	if err != nil {
		return failed(res, err)
	}
	res.Max = time.Since(lastClose)
	peak, base := mem.Stop()
	res.PeakHeap, res.BaseHeap, res.MaxRSS = peak, base, maxRSS()
	if err := h.Settle(ctx, cfg.PollInterval+time.Second, cfg.Timeout); err != nil {
		return failed(res, err)
	}
	res.SalesforceCalls, res.IntercomCalls = h.SF.APICalls()-sf1, h.IC.APICalls()-ic1
	res.SFCallsPerChg = float64(res.SalesforceCalls) / float64(n)
	res.ICCallsPerChg = float64(res.IntercomCalls) / float64(n)
	res.Throughput = float64(n) / res.Wall.Seconds()
	res.SFRoutes = subRoutes(h.SFRec.Routes(), routes0)
	res.Duplicates = duplicateTasks(h, leads)
	res.Notes = append(res.Notes, fmt.Sprintf("%d conversations closed over %s; the last Task completed %s after the last close; "+
		"Intercom calls are reads of the closed conversations' transcripts", n, span, res.Max.Round(time.Millisecond)),
		fmt.Sprintf("whole run: %d Salesforce and %d Intercom calls", h.SF.APICalls()-sf0, h.IC.APICalls()-ic0))
	res.Targets = []Target{
		target("Salesforce API calls per closed conversation", "≤ 0.05", fmt.Sprintf("%.4f", res.SFCallsPerChg), res.SFCallsPerChg <= 0.05),
		target("duplicate Tasks", "0", fmt.Sprint(res.Duplicates), res.Duplicates == 0),
		target("Tasks completed", fmt.Sprint(n), fmt.Sprint(landed), landed == n),
	}
	return []Result{res}, nil
}

// waitTasks waits until every Lead in leads has a Task for which ok holds,
// and returns how many have.
func waitTasks(ctx context.Context, h *Harness, leads map[string]bool, timeout time.Duration, ok func(map[string]any) bool) (int, error) {
	deadline := time.Now().Add(timeout)
	for {
		done := map[string]bool{}
		for _, t := range h.SF.Records("Task") {
			if who, _ := t["WhoId"].(string); leads[who] && ok(t) {
				done[who] = true
			}
		}
		if len(done) == len(leads) {
			return len(done), nil
		}
		if time.Now().After(deadline) {
			return len(done), fmt.Errorf("bench: %d of %d Tasks after %s: %w", len(done), len(leads), timeout, errTimeout)
		}
		select {
		case <-ctx.Done():
			return len(done), ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// duplicateTasks counts Tasks beyond the first on each Lead (each person
// has one conversation).
func duplicateTasks(h *Harness, leads map[string]bool) int64 {
	per := map[string]int{}
	for _, t := range h.SF.Records("Task") {
		if who, _ := t["WhoId"].(string); leads[who] {
			per[who]++
		}
	}
	var dup int64
	for _, c := range per {
		dup += int64(c - 1)
	}
	return dup
}
