package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/settings"
)

// ScenarioBackfill: N matched people whose Leads hold values of four
// fields mapped after they were matched; a backfill with 5 mapped fields
// pushes them to Intercom. Measured: the dry run's and the run's
// Salesforce calls, the run's wall time and memory.
const ScenarioBackfill = "backfill"

// DefaultBackfillPeople is the backfill scenario's size.
const DefaultBackfillPeople = 100_000

// backfillAttrs are the Intercom attributes the scenario maps after
// matching, with their Lead fields.
var backfillAttrs = []struct{ attr, field string }{
	{"phone", "Phone"},
	{"custom_attributes.mobile", "MobilePhone"},
	{"custom_attributes.city", "City"},
	{"custom_attributes.website", "Website"},
}

func runBackfill(ctx context.Context, cfg Config) ([]Result, error) {
	n := cfg.People
	if n <= 0 {
		n = DefaultBackfillPeople
	}
	res := Result{Scenario: ScenarioBackfill, Direction: "both (5 mapped fields)", People: n, Changes: n}
	h, err := start(ctx, cfg, unlimited)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	res.Store = h.storeName()
	for _, name := range []string{"mobile", "city", "website"} {
		if err := h.IC.CustomAttribute("contact", name, "string"); err != nil {
			return failed(res, err)
		}
	}
	people, err := h.LoadPeople(n, "b", "t0", func(i int, lead map[string]any) {
		lead["Phone"] = fmt.Sprintf("+1 555 %07d", i)
		lead["MobilePhone"] = fmt.Sprintf("+1 556 %07d", i)
		lead["City"] = fmt.Sprintf("City %d", i%1000)
		lead["Website"] = fmt.Sprintf("https://p%d.example.com", i)
	})
	if err != nil {
		return failed(res, err)
	}
	if err := h.Connect(ctx); err != nil {
		return failed(res, err)
	}
	if err := h.MapPeople(ctx, people, cfg.Timeout); err != nil {
		return failed(res, err)
	}
	if err := h.Settle(ctx, cfg.PollInterval+time.Second, cfg.Timeout); err != nil {
		return failed(res, err)
	}
	// The four fields are mapped now: their values are on the Leads only.
	doc := BenchSettings()
	for _, a := range backfillAttrs {
		doc.Mappings = append(doc.Mappings, settings.Mapping{Object: "lead", Intercom: a.attr, Salesforce: a.field, Direction: "both"})
	}
	f := h.Ferries[0]
	if err := f.PutSettings(ctx, doc); err != nil {
		return failed(res, err)
	}
	hc := &http.Client{Timeout: cfg.Timeout}
	body := []byte(`{"objects": ["Lead"], "direction": "both", "dry_run": true}`)

	sf0, ic0 := h.SF.APICalls(), h.IC.APICalls()
	planAt := time.Now()
	out, err := f.admin(ctx, hc, http.MethodPost, "/api/v1/backfills", body)
	if err != nil {
		return failed(res, err)
	}
	var plan engine.BackfillPlan
	if err := json.Unmarshal(out, &plan); err != nil {
		return failed(res, err)
	}
	planWall := time.Since(planAt)
	planSF, planIC := h.SF.APICalls()-sf0, h.IC.APICalls()-ic0

	sf1, ic1 := h.SF.APICalls(), h.IC.APICalls()
	mem := sampleMemory(50 * time.Millisecond)
	began := time.Now()
	out, err = f.admin(ctx, hc, http.MethodPost, "/api/v1/backfills", []byte(`{"objects": ["Lead"], "direction": "both"}`))
	if err != nil {
		mem.Stop()
		return failed(res, err)
	}
	var p engine.BackfillProgress
	if err := json.Unmarshal(out, &p); err != nil {
		mem.Stop()
		return failed(res, err)
	}
	deadline := time.Now().Add(cfg.Timeout)
	for p.State == "running" && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
		if out, err = f.admin(ctx, hc, http.MethodGet, fmt.Sprintf("/api/v1/backfills/%d", p.ID), nil); err != nil {
			mem.Stop()
			return failed(res, err)
		}
		if err := json.Unmarshal(out, &p); err != nil {
			mem.Stop()
			return failed(res, err)
		}
	}
	res.Wall = time.Since(began)
	res.PeakHeap, res.BaseHeap = mem.Stop()
	res.FerryRSS = h.ferryRSS()
	res.MaxRSS = maxRSS()
	res.SalesforceCalls = h.SF.APICalls() - sf1
	res.IntercomCalls = h.IC.APICalls() - ic1
	res.Landed = int(p.IntercomChanges)
	res.SFCallsPerChg = float64(res.SalesforceCalls) / float64(n)
	res.ICCallsPerChg = float64(res.IntercomCalls) / float64(n)
	if res.Wall > 0 {
		res.Throughput = float64(p.PairsDone) / res.Wall.Seconds()
	}
	res.Notes = append(res.Notes,
		"Salesforce API calls above include ferry's polls during the run; the backfill's own are in the targets",
		fmt.Sprintf("dry run: %d pairs, %d Intercom and %d Salesforce records to change, Salesforce calls %d (planned run: %d), Intercom calls %d, %s",
			plan.Pairs, plan.IntercomChanges, plan.SalesforceChanges, planSF, plan.SalesforceCalls.Total, planIC, planWall.Round(time.Millisecond)),
		fmt.Sprintf("run: state %s, %d pairs done, %d Intercom and %d Salesforce records changed, calls recorded: Salesforce %d, Intercom %d",
			p.State, p.PairsDone, p.IntercomChanges, p.SalesforceChanges, p.SalesforceCalls, p.IntercomCalls))
	res.Targets = []Target{
		target("backfilled pairs", fmt.Sprint(n), fmt.Sprint(p.PairsDone), p.State == "done" && p.PairsDone == int64(n)),
		target("Salesforce calls of the run (reads and writes)", "≤ 1,100", fmt.Sprint(p.SalesforceCalls), p.SalesforceCalls <= 1100),
		target("run's Salesforce calls = dry run's plan", fmt.Sprint(plan.SalesforceCalls.Total), fmt.Sprint(p.SalesforceCalls),
			p.SalesforceCalls == int64(plan.SalesforceCalls.Total)),
		target("run's Intercom changes = dry run's plan", fmt.Sprint(plan.IntercomChanges), fmt.Sprint(p.IntercomChanges),
			p.IntercomChanges == int64(plan.IntercomChanges)),
		memTarget(res),
	}
	return []Result{res}, nil
}
