package bench

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON writes the results as one indented JSON array.
func WriteJSON(w io.Writer, results []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(results)
}

// routes formats route counts, most requested first.
func routes(m map[string]int64) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return strings.Join(parts, "; ")
}

// WriteTable writes one table per result, then its targets.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		if r.Mode != "" && r.Mode != "ferry" {
			fmt.Fprintf(tw, "== %s: %s baseline (same emulators, same changes, no ferry)\n", r.Scenario, r.Mode)
		} else {
			fmt.Fprintf(tw, "== %s (%s store)\n", r.Scenario, r.Store)
		}
		row := func(name, value string) { fmt.Fprintf(tw, "  %s\t%s\n", name, value) }
		if r.Direction != "" {
			row("direction", r.Direction)
		}
		row("people per side", fmt.Sprint(r.People))
		row("changes landed", fmt.Sprintf("%d of %d", r.Landed, r.Changes))
		row("wall time", r.Wall.Round(time.Millisecond).String())
		row("throughput", fmt.Sprintf("%.0f changes/s", r.Throughput))
		row("Salesforce API calls", fmt.Sprintf("%d (%.4f per change)", r.SalesforceCalls, r.SFCallsPerChg))
		row("Intercom API calls", fmt.Sprintf("%d (%.4f per change)", r.IntercomCalls, r.ICCallsPerChg))
		if r.Polls > 0 {
			row("polls measured", fmt.Sprint(r.Polls))
			row("Salesforce calls per poll", fmt.Sprintf("%.2f", r.PollCalls))
			row("other Salesforce calls per minute", fmt.Sprintf("%.2f", r.BackgroundPerMin))
			row("idle day at 5-minute polls", fmt.Sprintf("%.0f Salesforce calls", r.IdleDay))
		}
		if r.AfterPoll > 0 {
			row("last landing after the poll that found the changes", r.AfterPoll.Round(time.Millisecond).String())
		}
		if r.IntercomFloor > 0 {
			row(fmt.Sprintf("bound: %d Intercom updates alone, %d writers", r.Changes, floorWriters),
				fmt.Sprintf("%s (ferry after the poll: %.2f× that)", r.IntercomFloor.Round(time.Millisecond), float64(r.AfterPoll)/float64(r.IntercomFloor)))
		}
		if changesScenario(r.Scenario) {
			row("echo writes", fmt.Sprintf("%d (writes back to the changed records: %d)", r.EchoWrites, r.WritesBack))
			row("duplicate writes", fmt.Sprint(r.Duplicates))
			row("wrong final values", fmt.Sprint(r.Mismatches))
			row("latency p50 / p99 / max", fmt.Sprintf("%s / %s / %s", r.P50.Round(time.Millisecond),
				r.P99.Round(time.Millisecond), r.Max.Round(time.Millisecond)))
		}
		if len(r.SFRoutes) > 0 {
			row("  Salesforce requests by route", routes(r.SFRoutes))
		}
		if len(r.ICRoutes) > 0 {
			row("  Intercom requests by route", routes(r.ICRoutes))
		}
		row("429 answers", fmt.Sprint(r.TooMany))
		if r.MaxQueued > 0 {
			row("most webhooks waiting in the emulator", fmt.Sprint(r.MaxQueued))
		}
		if r.WebhooksDropped > 0 {
			row("webhooks dropped by the emulator", fmt.Sprint(r.WebhooksDropped))
		}
		if r.RateLimit > 0 {
			row("Intercom write rate", fmt.Sprintf("%.0f/s (limit %.0f/s)", r.WriteRate, r.RateLimit))
		}
		heapLabel, baseLabel := "peak heap+stacks (emulators included)", "emulators' data, idle ferry"
		if r.FerryRSS > 0 {
			heapLabel, baseLabel = "peak heap+stacks of the emulators' process", "emulators' data"
		}
		row(heapLabel, fmt.Sprintf("%s (%s at the start: %s; added %s)",
			mb(r.PeakHeap), mb(r.BaseHeap), baseLabel, mb(r.PeakHeap-r.BaseHeap)))
		row("process max RSS so far (VmHWM)", mb(r.MaxRSS))
		if r.FerryRSS > 0 {
			row("ferry process max RSS (VmHWM)", mb(r.FerryRSS))
		}
		if r.FerryCPU > 0 {
			row("ferry process CPU time (user+system)", r.FerryCPU.Round(10*time.Millisecond).String())
		}
		for _, n := range r.Notes {
			row("note", n)
		}
		if r.Error != "" {
			row("ERROR", r.Error)
		}
		for _, t := range r.Targets {
			mark := "MET"
			if !t.Met {
				mark = "MISSED"
			}
			row("target: "+t.Name, fmt.Sprintf("want %s, got %s: %s", t.Want, t.Got, mark))
		}
	}
	return tw.Flush()
}

// changesScenario says whether a scenario measures changes to mapped
// people (latency, echoes, duplicates).
func changesScenario(name string) bool {
	switch name {
	case ScenarioBurst, ScenarioBurstBoth, ScenarioSteady, ScenarioSFBurst, ScenarioSparse, ScenarioSparseBoth, ScenarioStreamSteady, ScenarioStreamBurst:
		return true
	}
	return false
}

// WriteComparison writes ferry's results beside the baseline's, one line a
// scenario, with the ratio of their Salesforce calls per change: the table
// of issue 15. Scenarios without a baseline result are left out.
func WriteComparison(w io.Writer, results []Result) error {
	type pairRes struct{ ferry, base *Result }
	var order []string
	pairs := map[string]*pairRes{}
	for i := range results {
		r := &results[i]
		p := pairs[r.Scenario]
		if p == nil {
			p = &pairRes{}
			pairs[r.Scenario] = p
			order = append(order, r.Scenario)
		}
		if r.Mode == "" || r.Mode == "ferry" {
			p.ferry = r
		} else {
			p.base = r
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tper-event: SF calls/change\tp99\tferry: SF calls/change\tp99\tper-event ÷ ferry (calls)")
	any := false
	for _, name := range order {
		p := pairs[name]
		if p.ferry == nil || p.base == nil {
			continue
		}
		any = true
		if name == ScenarioIdle {
			fmt.Fprintf(tw, "%s\t%.2f calls/poll, %.0f a day\t\t%.2f calls/poll, %.0f a day\t\t%s\n", name,
				p.base.PollCalls, p.base.IdleDay, p.ferry.PollCalls, p.ferry.IdleDay, ratio(p.base.IdleDay, p.ferry.IdleDay))
			continue
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%s\t%.4f\t%s\t%s\n", name,
			p.base.SFCallsPerChg, p.base.P99.Round(time.Millisecond), p.ferry.SFCallsPerChg, p.ferry.P99.Round(time.Millisecond),
			ratio(p.base.SFCallsPerChg, p.ferry.SFCallsPerChg))
	}
	if !any {
		return nil
	}
	return tw.Flush()
}

func ratio(a, b float64) string {
	if b == 0 {
		return "∞"
	}
	return fmt.Sprintf("%.1f×", a/b)
}
