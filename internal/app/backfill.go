package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store"
)

// BackfillRequest is what an admin asks to backfill; see
// engine.BackfillRequest. DryRun answers the plan without writing.
type BackfillRequest struct {
	engine.BackfillRequest
	DryRun bool `json:"dry_run,omitempty"`
}

// planner is the engine that reads both sides for a dry run. Any engine
// instance works (instances share nothing but the store), so the app keeps
// its own.
func (a *App) planner() *engine.Engine {
	a.plannerOnce.Do(func() {
		a.plan = engine.New(engine.Options{Store: a.store, Manager: a.manager, Logger: a.log, Now: a.now})
	})
	return a.plan
}

// PlanBackfill is the dry run of a backfill (F3.8): it reads every
// covered pair on both sides, in pages, and says per field what would
// change, with samples, the API calls a run costs, the days of budget and
// the time it takes. Nothing is written.
func (a *App) PlanBackfill(ctx context.Context, connID int64, req engine.BackfillRequest) (engine.BackfillPlan, error) {
	c, err := a.Connection(ctx, connID)
	if err != nil {
		return engine.BackfillPlan{}, err
	}
	if c.State != store.StateConnected {
		return engine.BackfillPlan{}, errorf(Conflict, "connection %d is not connected (%s): connect both sides before a backfill", c.ID, c.State)
	}
	plan, err := a.planner().PlanBackfill(ctx, c, req)
	if err == nil {
		a.keepPlan(c.ID, plan)
	}
	switch {
	case errors.Is(err, engine.ErrBackfillInput):
		return plan, errorf(Invalid, "%s", strings.TrimPrefix(err.Error(), engine.ErrBackfillInput.Error()+": "))
	case engine.IsBudgetExhausted(err):
		return plan, errorf(Unavailable, "the backfill share of today's Salesforce API calls is spent; plan again tomorrow or raise the daily limit")
	case errors.Is(err, connection.ErrNotConnected):
		return plan, errorf(Conflict, "connection %d is not connected: connect both sides before a backfill", c.ID)
	case err != nil:
		return plan, fmt.Errorf("app: plan backfill: %w", err)
	}
	return plan, nil
}

// StartBackfill plans the backfill as a dry run does (or takes the plan
// of the same request's dry run of the last few minutes: what the admin
// saw and confirmed, without reading everything again) and, unless a field
// is over the mass-change brake without being named in confirm_fields,
// starts it: a queued job runs it page by page in the backfill lane of
// the API budget. It answers the new backfill's progress.
func (a *App) StartBackfill(ctx context.Context, connID int64, req engine.BackfillRequest) (engine.BackfillProgress, error) {
	c, err := a.Connection(ctx, connID)
	if err != nil {
		return engine.BackfillProgress{}, err
	}
	plan, ok := a.recentPlan(c.ID, req)
	if !ok {
		if plan, err = a.PlanBackfill(ctx, c.ID, req); err != nil {
			return engine.BackfillProgress{}, err
		}
	}
	if len(plan.NeedsConfirmation) > 0 {
		return engine.BackfillProgress{}, errorf(Conflict, "the backfill would replace existing values in more than %d%% of the pairs for %s: "+
			"check the plan (dry_run) and name these fields in confirm_fields to go ahead",
			int(engine.BrakeShare*100), strings.Join(plan.NeedsConfirmation, ", "))
	}
	reqJSON, err := json.Marshal(plan.Request)
	if err != nil {
		return engine.BackfillProgress{}, err
	}
	planJSON, err := json.Marshal(plan)
	if err != nil {
		return engine.BackfillProgress{}, err
	}
	var bf store.Backfill
	err = a.store.InTx(ctx, func(tx store.Tx) error {
		bf, err = tx.CreateBackfill(ctx, store.Backfill{ConnectionID: c.ID, Request: string(reqJSON), Plan: string(planJSON),
			State: store.BackfillRunning, PairsTotal: int64(plan.Pairs)})
		if err != nil {
			return err
		}
		_, err = tx.Enqueue(ctx, jobs.BackfillArgs{ConnectionID: c.ID, BackfillID: bf.ID}, jobs.BackfillInsertOpts())
		return err
	})
	if err != nil {
		return engine.BackfillProgress{}, fmt.Errorf("app: start backfill: %w", err)
	}
	a.log.InfoContext(ctx, "backfill started by admin", "connection", c.ID, "backfill", bf.ID, "pairs", plan.Pairs,
		"salesforce_calls", plan.SalesforceCalls.Total)
	return engine.ProgressOf(bf), nil
}

// Backfill returns a backfill's progress: counts, calls and an ETA.
func (a *App) Backfill(ctx context.Context, connID, id int64) (engine.BackfillProgress, error) {
	c, err := a.Connection(ctx, connID)
	if err != nil {
		return engine.BackfillProgress{}, err
	}
	bf, err := a.store.GetBackfill(ctx, c.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return engine.BackfillProgress{}, errorf(NotFound, "backfill %d does not exist", id)
	}
	if err != nil {
		return engine.BackfillProgress{}, err
	}
	return engine.ProgressOf(bf), nil
}

// CancelBackfill stops a running or paused backfill: the page being
// written finishes, nothing after it is written.
func (a *App) CancelBackfill(ctx context.Context, connID, id int64) (engine.BackfillProgress, error) {
	c, err := a.Connection(ctx, connID)
	if err != nil {
		return engine.BackfillProgress{}, err
	}
	if _, err := a.Backfill(ctx, c.ID, id); err != nil {
		return engine.BackfillProgress{}, err
	}
	var ok bool
	if err := a.store.InTx(ctx, func(tx store.Tx) error {
		ok, err = tx.CancelBackfill(ctx, c.ID, id)
		return err
	}); err != nil {
		return engine.BackfillProgress{}, fmt.Errorf("app: cancel backfill: %w", err)
	}
	p, err := a.Backfill(ctx, c.ID, id)
	if err == nil && !ok {
		return p, errorf(Conflict, "backfill %d is %s already: only a running or paused backfill can be canceled", id, p.State)
	}
	if ok {
		a.log.InfoContext(ctx, "backfill canceled by admin", "connection", c.ID, "backfill", id)
	}
	return p, err
}

// planReuse is how long a dry run's plan stands for starting the same
// backfill.
const planReuse = 10 * time.Minute

// keptPlan is a dry run's plan and when it was made.
type keptPlan struct {
	plan engine.BackfillPlan
	at   time.Time
}

// planKey identifies a request on a connection, confirmations aside (they
// do not change what the plan reads).
func planKey(connID int64, req engine.BackfillRequest) string {
	req.ConfirmFields = nil
	b, _ := json.Marshal(req)
	return fmt.Sprintf("%d:%s", connID, b)
}

func (a *App) keepPlan(connID int64, plan engine.BackfillPlan) {
	a.plansMu.Lock()
	defer a.plansMu.Unlock()
	if a.plans == nil {
		a.plans = map[string]keptPlan{}
	}
	now := a.now()
	for k, p := range a.plans {
		if now.Sub(p.at) > planReuse {
			delete(a.plans, k)
		}
	}
	a.plans[planKey(connID, plan.Request)] = keptPlan{plan: plan, at: now}
}

// recentPlan returns the plan of the same request's recent dry run, with
// the brake applied to req's confirmations.
func (a *App) recentPlan(connID int64, req engine.BackfillRequest) (engine.BackfillPlan, bool) {
	if err := req.Normalize(); err != nil {
		return engine.BackfillPlan{}, false
	}
	a.plansMu.Lock()
	kept, ok := a.plans[planKey(connID, req)]
	a.plansMu.Unlock()
	if !ok || a.now().Sub(kept.at) > planReuse {
		return engine.BackfillPlan{}, false
	}
	plan := kept.plan
	plan.Request.ConfirmFields = req.ConfirmFields
	plan.Fields = slices.Clone(plan.Fields)
	plan.Brake()
	return plan, true
}
