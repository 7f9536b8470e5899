package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

const backfillSettings = `{"mappings": [
	{"object": "lead", "intercom": "phone", "salesforce": "Phone", "direction": "both"},
	{"object": "lead", "intercom": "custom_attributes.job_title", "salesforce": "Title", "direction": "both"}]%s}`

// backfillBundle starts both emulators with Intercom and Salesforce calls
// counted, and n lead pairs mapped without any value synced: Intercom has
// the phones, Salesforce the titles.
type backfillBundle struct {
	*bundle
	icCalls, sfWrites atomic.Int64
	ids, leads        []string
}

func setupBackfill(t *testing.T, n int, budget string, db ...storetest.Engine) *backfillBundle {
	t.Helper()
	bb := &backfillBundle{}
	var on *storetest.Engine
	if len(db) > 0 {
		on = &db[0]
	}
	bb.bundle = setup(t, setupOpts{settings: fmt.Sprintf(backfillSettings, budget), db: on,
		icFront: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				bb.icCalls.Add(1)
				h.ServeHTTP(w, r)
			})
		},
		sfFront: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "/composite/sobjects") {
					bb.sfWrites.Add(1)
				}
				h.ServeHTTP(w, r)
			})
		}})
	bb.ids, bb.leads = bb.seedPairs(n, n)
	if err := bb.store.InTx(bb.ctx, func(tx store.Tx) error {
		for i := range bb.ids {
			if _, err := tx.UpsertMapping(bb.ctx, store.Mapping{ConnectionID: bb.connID, Kind: store.MappingPerson, IntercomID: bb.ids[i],
				IntercomRole: store.RoleLead, SFObject: store.ObjectLead, SFID: bb.leads[i], MatchKey: "test"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return bb
}

// start stores a backfill from a plan, as the app does.
func (bb *backfillBundle) start(plan engine.BackfillPlan) int64 {
	bb.t.Helper()
	req, _ := json.Marshal(plan.Request)
	var id int64
	if err := bb.store.InTx(bb.ctx, func(tx store.Tx) error {
		bf, err := tx.CreateBackfill(bb.ctx, store.Backfill{ConnectionID: bb.connID, Request: string(req), State: store.BackfillRunning,
			PairsTotal: int64(plan.Pairs)})
		id = bf.ID
		return err
	}); err != nil {
		bb.t.Fatal(err)
	}
	return id
}

func (bb *backfillBundle) get(id int64) store.Backfill {
	bf, err := bb.store.GetBackfill(bb.ctx, bb.connID, id)
	if err != nil {
		bb.t.Fatal(err)
	}
	return bf
}

// TestBackfillDryRunEqualsRun: a dry run writes nothing, and its counts of
// changed values and API calls on each side are what the run then does
// (F3.8); every change is in history.
func TestBackfillDryRunEqualsRun(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Engines() {
		t.Run(string(db.Engine), func(t *testing.T) {
			t.Parallel()
			testBackfillDryRunEqualsRun(t, db)
		})
	}
}

func testBackfillDryRunEqualsRun(t *testing.T, db storetest.Engine) {
	bb := setupBackfill(t, 450, "", db)
	ctx := bb.ctx
	sfBefore := bb.usage("backfill")
	plan, err := bb.eng.PlanBackfill(ctx, bb.conn(), engine.BackfillRequest{Objects: []string{"Lead"}})
	if err != nil {
		t.Fatal(err)
	}
	if bb.sfWrites.Load() != 0 {
		t.Fatalf("the dry run wrote to Salesforce %d times", bb.sfWrites.Load())
	}
	if got := bb.sfField("Lead", bb.leads[0], "Phone"); got != nil {
		t.Fatalf("the dry run changed a Lead's phone to %v", got)
	}
	if plan.Pairs != 450 || plan.SalesforceChanges != 450 || plan.IntercomChanges != 450 {
		t.Fatalf("plan: %d pairs, %d Salesforce and %d Intercom changes; want 450 each", plan.Pairs, plan.SalesforceChanges, plan.IntercomChanges)
	}
	// 3 pages: one query each; 3 Collections calls; 2+2+1 Intercom
	// searches, 450 updates.
	if plan.SalesforceCalls.Total != 6 || plan.IntercomCalls.Reads != 5 || plan.IntercomCalls.Writes != 450 {
		t.Fatalf("plan calls: Salesforce %+v, Intercom %+v", plan.SalesforceCalls, plan.IntercomCalls)
	}
	if got := bb.usage("backfill") - sfBefore; got != int64(plan.SalesforceCalls.Reads) {
		t.Fatalf("dry run counted %d Salesforce calls, planned reads %d", got, plan.SalesforceCalls.Reads)
	}
	for _, f := range plan.Fields {
		if f.Field == "Phone" && (f.ToSalesforce != 450 || f.ToIntercom != 0 || len(f.Samples) == 0 || f.Samples[0].After == nil) {
			t.Fatalf("Phone plan: %+v", f)
		}
		if f.Field == "Title" && (f.ToIntercom != 450 || f.ToSalesforce != 0) {
			t.Fatalf("Title plan: %+v", f)
		}
	}

	id := bb.start(plan)
	sfBefore, icBefore := bb.usage("backfill"), bb.icCalls.Load()
	if err := bb.eng.Backfill(ctx, bb.conn(), jobs.BackfillArgs{ConnectionID: bb.connID, BackfillID: id}); err != nil {
		t.Fatal(err)
	}
	bf := bb.get(id)
	if bf.State != store.BackfillDone || bf.PairsDone != 450 {
		t.Fatalf("backfill: %+v", bf)
	}
	if bf.SFChanges != int64(plan.SalesforceChanges) || bf.ICChanges != int64(plan.IntercomChanges) {
		t.Fatalf("run changed %d/%d records, plan said %d/%d", bf.SFChanges, bf.ICChanges, plan.SalesforceChanges, plan.IntercomChanges)
	}
	if got := bb.usage("backfill") - sfBefore; got != int64(plan.SalesforceCalls.Total) || bf.SFCalls != got {
		t.Fatalf("run used %d Salesforce calls (recorded %d), plan said %d", got, bf.SFCalls, plan.SalesforceCalls.Total)
	}
	if got := bb.icCalls.Load() - icBefore; got != int64(plan.IntercomCalls.Total) || bf.ICCalls != got {
		t.Fatalf("run made %d Intercom calls (recorded %d), plan said %d", got, bf.ICCalls, plan.IntercomCalls.Total)
	}
	if got := bb.sfField("Lead", bb.leads[7], "Phone"); got != "+1 555 0007" {
		t.Fatalf("Lead phone after the run: %v", got)
	}
	if got := bb.icContact(bb.ids[7]).CustomAttributes["job_title"]; got != "T7" {
		t.Fatalf("contact job title after the run: %v", got)
	}
	h := bb.historyOf(bb.ids[7])
	if len(h) == 0 || !strings.Contains(h[0].Changes, "+1 555 0007") || !strings.Contains(h[0].Changes, "T7") {
		t.Fatalf("history of a backfilled pair: %+v", h)
	}
	// Run again: nothing left to change.
	again, err := bb.eng.PlanBackfill(ctx, bb.conn(), engine.BackfillRequest{Objects: []string{"Lead"}})
	if err != nil {
		t.Fatal(err)
	}
	if again.SalesforceChanges != 0 || again.IntercomChanges != 0 {
		t.Fatalf("after the run a new plan still changes %d/%d records", again.SalesforceChanges, again.IntercomChanges)
	}
}

// TestBackfillBudgetPausesAndResumesNextDay: the backfill lane stops when
// the day's calls run low, keeps its place, and goes on the next day.
func TestBackfillBudgetPausesAndResumesNextDay(t *testing.T) {
	t.Parallel()
	bb := setupBackfill(t, 450, `, "api_budget": {"daily_limit": 10000, "reserve_inbox": 0, "reserve_background": 0}`)
	// Other work spent the day's calls but 6: the dry run's 3 reads, then
	// one page of the run (a read and a write) and one call more.
	if _, err := bb.eng.PlanBackfill(bb.ctx, bb.conn(), engine.BackfillRequest{Objects: []string{"Lead"}, Fields: []string{"Nope"}}); err == nil {
		t.Fatal("a backfill of an unmapped field was planned")
	}
	var used int64
	for _, p := range []string{"setup", "background", "backfill", "inbox"} {
		used += bb.usage(p)
	}
	if err := bb.store.InTx(bb.ctx, func(tx store.Tx) error {
		_, err := tx.IncrementUsage(bb.ctx, bb.connID, bb.clock.Now().UTC(), "inbox", 10000-used-6)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	plan, err := bb.eng.PlanBackfill(bb.ctx, bb.conn(), engine.BackfillRequest{Objects: []string{"Lead"}, Direction: "to_salesforce"})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Days < 2 {
		t.Fatalf("plan says %d days with %d calls left today for %d calls", plan.Days, plan.BudgetRemaining, plan.SalesforceCalls.Total)
	}
	id := bb.start(plan)
	err = bb.eng.Backfill(bb.ctx, bb.conn(), jobs.BackfillArgs{ConnectionID: bb.connID, BackfillID: id})
	var snooze *river.JobSnoozeError
	if !errors.As(err, &snooze) || snooze.Duration < time.Minute {
		t.Fatalf("backfill over budget: %v; want a snooze until the next day", err)
	}
	bf := bb.get(id)
	if bf.State != store.BackfillPaused || bf.PairsDone == 0 || bf.PairsDone >= 450 || bb.sfWrites.Load() == 0 {
		t.Fatalf("paused backfill: %+v, %d writes", bf, bb.sfWrites.Load())
	}
	done := bf.PairsDone
	bb.clock.Advance(24 * time.Hour)
	for range 5 {
		err = bb.eng.Backfill(bb.ctx, bb.conn(), jobs.BackfillArgs{ConnectionID: bb.connID, BackfillID: id})
		if err == nil {
			break
		}
		bb.clock.Advance(24 * time.Hour)
	}
	if err != nil {
		t.Fatal(err)
	}
	bf = bb.get(id)
	if bf.State != store.BackfillDone || bf.PairsDone != 450 || bf.SFChanges != 450 || done >= 450 {
		t.Fatalf("resumed backfill: %+v", bf)
	}
	if got := bb.sfWrites.Load(); got != 3 {
		t.Fatalf("%d Collections calls for 3 pages: a page was redone or skipped", got)
	}
}

// TestBackfillResumesAfterCrash: an engine stopped mid-run leaves the
// finished pages done; a new engine resumes after them without writing
// them again.
func TestBackfillResumesAfterCrash(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Engines() {
		t.Run(string(db.Engine), func(t *testing.T) {
			t.Parallel()
			testBackfillResumesAfterCrash(t, db)
		})
	}
}

func testBackfillResumesAfterCrash(t *testing.T, db storetest.Engine) {
	bb := setupBackfill(t, 600, "", db)
	plan, err := bb.eng.PlanBackfill(bb.ctx, bb.conn(), engine.BackfillRequest{Objects: []string{"Lead"}, Fields: []string{"Phone"}, Direction: "to_salesforce"})
	if err != nil {
		t.Fatal(err)
	}
	id := bb.start(plan)
	// The process dies while the second page's Salesforce write is on
	// the wire: its context ends, the write is lost.
	ctx, cancel := context.WithCancel(bb.ctx)
	var writes atomic.Int64
	stop := engine.New(engine.Options{Store: bb.store, Manager: bb.mgr, Now: bb.clock.Now})
	go func() {
		for writes.Load() == 0 && ctx.Err() == nil {
			if bb.sfWrites.Load() >= 1 && bb.get(id).PairsDone >= 200 {
				writes.Store(1)
				cancel()
			}
			time.Sleep(time.Millisecond)
		}
	}()
	err = stop.Backfill(ctx, bb.conn(), jobs.BackfillArgs{ConnectionID: bb.connID, BackfillID: id})
	cancel()
	if err == nil {
		t.Skip("the run finished before it could be stopped")
	}
	mid := bb.get(id)
	if mid.PairsDone == 0 || mid.PairsDone >= 600 {
		t.Fatalf("stopped backfill: %+v", mid)
	}
	writesBefore := bb.sfWrites.Load()
	if err := bb.eng.Backfill(bb.ctx, bb.conn(), jobs.BackfillArgs{ConnectionID: bb.connID, BackfillID: id}); err != nil {
		t.Fatal(err)
	}
	bf := bb.get(id)
	if bf.State != store.BackfillDone || bf.PairsDone != 600 {
		t.Fatalf("resumed backfill: %+v", bf)
	}
	pagesLeft := (600 - mid.PairsDone + 199) / 200
	// The page being written when the engine stopped may have reached
	// Salesforce without its progress being saved: the resumed run reads
	// it again, finds nothing left to change and writes it no more. So one
	// call fewer than the pages left is right too; more means a finished
	// page was redone.
	if got := bb.sfWrites.Load() - writesBefore; got > pagesLeft || got < pagesLeft-1 {
		t.Fatalf("resumed run made %d Collections calls for %d pages left (want %d, or %d when the stopped page had landed)",
			got, pagesLeft, pagesLeft, pagesLeft-1)
	}
	for i := range 600 {
		if got := bb.sfField("Lead", bb.leads[i], "Phone"); got != fmt.Sprintf("+1 555 %04d", i) {
			t.Fatalf("Lead %d phone: %v", i, got)
		}
	}
}

// TestBackfillBrake: a field whose non-empty values would be overwritten
// in more than 20%% of pairs needs the field named in confirm_fields.
func TestBackfillBrake(t *testing.T) {
	t.Parallel()
	bb := setupBackfill(t, 10, "")
	for i := range 3 { // 30% of the Leads have another phone already
		if err := bb.sf.UpdateRecord("Lead", bb.leads[i], map[string]any{"Phone": "+44 1"}); err != nil {
			t.Fatal(err)
		}
	}
	req := engine.BackfillRequest{Objects: []string{"Lead"}, Direction: "to_salesforce"}
	plan, err := bb.eng.PlanBackfill(bb.ctx, bb.conn(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.NeedsConfirmation) != 1 || plan.NeedsConfirmation[0] != "Phone" {
		t.Fatalf("needs confirmation: %v; want [Phone]", plan.NeedsConfirmation)
	}
	req.ConfirmFields = []string{"phone"}
	plan, err = bb.eng.PlanBackfill(bb.ctx, bb.conn(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.NeedsConfirmation) != 0 {
		t.Fatalf("confirmed plan still needs %v", plan.NeedsConfirmation)
	}
	// 2 of 10 (20%) is not over the brake.
	if err := bb.sf.UpdateRecord("Lead", bb.leads[2], map[string]any{"Phone": "+1 555 0002"}); err != nil {
		t.Fatal(err)
	}
	plan, err = bb.eng.PlanBackfill(bb.ctx, bb.conn(), engine.BackfillRequest{Objects: []string{"Lead"}, Direction: "to_salesforce"})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.NeedsConfirmation) != 0 {
		t.Fatalf("20%% overwrites need confirmation: %v", plan.NeedsConfirmation)
	}
}

// TestBackfillBothWaysLatestWins: in both directions each field takes the
// value of the side changed last, as live sync decides (F3.5).
func TestBackfillBothWaysLatestWins(t *testing.T) {
	t.Parallel()
	bb := setupBackfill(t, 2, "")
	// Lead 0 changed in Salesforce after its contact: Salesforce wins.
	// Contact 1 changed in Intercom after its Lead: Intercom wins.
	bb.clock.Advance(2 * time.Hour)
	for i := range 2 {
		if err := bb.sf.UpdateRecord("Lead", bb.leads[i], map[string]any{"Phone": fmt.Sprintf("+1 999 %04d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	bb.clock.Advance(time.Hour)
	bb.updateContact(bb.ids[1], map[string]any{"phone": "+1 777 0001"})
	plan, err := bb.eng.PlanBackfill(bb.ctx, bb.conn(), engine.BackfillRequest{Objects: []string{"Lead"}, Fields: []string{"Phone"},
		ConfirmFields: []string{"Phone"}})
	if err != nil {
		t.Fatal(err)
	}
	id := bb.start(plan)
	if err := bb.eng.Backfill(bb.ctx, bb.conn(), jobs.BackfillArgs{ConnectionID: bb.connID, BackfillID: id}); err != nil {
		t.Fatal(err)
	}
	if got := bb.icContact(bb.ids[0]).Phone; got != "+1 999 0000" {
		t.Fatalf("contact 0 phone: %q; Salesforce changed last", got)
	}
	if got := bb.sfField("Lead", bb.leads[1], "Phone"); got != "+1 777 0001" {
		t.Fatalf("Lead 1 phone: %v; Intercom changed last", got)
	}
}

// TestBackfillCancel: a backfill canceled while it runs stops after the
// page being written and stays canceled.
func TestBackfillCancel(t *testing.T) {
	t.Parallel()
	bb := setupBackfill(t, 800, "")
	plan, err := bb.eng.PlanBackfill(bb.ctx, bb.conn(), engine.BackfillRequest{Objects: []string{"Lead"}, Fields: []string{"Phone"}, Direction: "to_salesforce"})
	if err != nil {
		t.Fatal(err)
	}
	id := bb.start(plan)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for bb.sfWrites.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		if err := bb.store.InTx(bb.ctx, func(tx store.Tx) error {
			_, err := tx.CancelBackfill(bb.ctx, bb.connID, id)
			return err
		}); err != nil {
			t.Error(err)
		}
	}()
	if err := bb.eng.Backfill(bb.ctx, bb.conn(), jobs.BackfillArgs{ConnectionID: bb.connID, BackfillID: id}); err != nil {
		t.Fatal(err)
	}
	<-done
	bf := bb.get(id)
	if bf.State != store.BackfillCanceled {
		t.Fatalf("canceled backfill: %+v", bf)
	}
	if got := bb.sfWrites.Load(); got >= 4 || bf.PairsDone >= 800 {
		t.Fatalf("a canceled backfill went on: %d writes, %d pairs done", got, bf.PairsDone)
	}
	// Its job running again (a retry) writes nothing more.
	before := bb.sfWrites.Load()
	if err := bb.eng.Backfill(bb.ctx, bb.conn(), jobs.BackfillArgs{ConnectionID: bb.connID, BackfillID: id}); err != nil || bb.sfWrites.Load() != before {
		t.Fatalf("canceled backfill ran again: %v, %d writes", err, bb.sfWrites.Load()-before)
	}
}

// TestBackfillFailureIsShown: a backfill whose job fails for a reason other
// than the budget says why while its job retries, and is marked failed
// when the job gives up, never left "running" with nothing running it
// (F3.8; no silent failures).
func TestBackfillFailureIsShown(t *testing.T) {
	t.Parallel()
	bb := setupBackfill(t, 20, "")
	plan, err := bb.eng.PlanBackfill(bb.ctx, bb.conn(), engine.BackfillRequest{Objects: []string{"Lead"}, Fields: []string{"Phone"}, Direction: "to_salesforce"})
	if err != nil {
		t.Fatal(err)
	}
	id := bb.start(plan)
	bb.sf.SetFaults(sfemu.Faults{ErrorRate: 1, ErrorStatus: 500})
	args := jobs.BackfillArgs{ConnectionID: bb.connID, BackfillID: id}
	runErr := bb.eng.Backfill(bb.ctx, bb.conn(), args)
	if runErr == nil {
		t.Fatal("a backfill against a failing Salesforce succeeded")
	}
	if bf := bb.get(id); bf.State != store.BackfillRunning || !strings.HasPrefix(bf.Message, "retrying after an error: ") {
		t.Fatalf("while its job retries: state %q, message %q", bf.State, bf.Message)
	}
	if err := bb.eng.BackfillFailed(bb.ctx, bb.conn(), args, runErr); err != nil {
		t.Fatal(err)
	}
	bf := bb.get(id)
	if bf.State != store.BackfillFailed || !strings.HasPrefix(bf.Message, "stopped by an error: ") || bf.FinishedAt == nil {
		t.Fatalf("after the job gave up: %+v", bf)
	}
	// A job that runs again after that leaves the failed backfill alone.
	bb.sf.SetFaults(sfemu.Faults{})
	if err := bb.eng.Backfill(bb.ctx, bb.conn(), args); err != nil || bb.get(id).State != store.BackfillFailed {
		t.Fatalf("a failed backfill ran again: %v, %q", err, bb.get(id).State)
	}
}
