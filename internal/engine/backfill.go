package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// Backfill (F3.8): push mapped values for pairs that are already matched,
// for chosen objects and fields, one way or both. A dry run reads both
// sides page by page and says what a run would change and cost; a run
// reads the same pages again and writes, saving its place after each page.
//
// A pair is planned as live sync plans a new pair (F3.4, sync.Plan from an
// empty state with both records): the latest change wins field by field
// (Intercom updated_at against Salesforce SystemModstamp, Salesforce on a
// tie), and an empty value never clears the other side. One direction
// only lets that side's values flow.

const (
	// backfillPage is how many pairs one page reads and writes: one
	// Salesforce IN-list query and one sObject Collections call.
	backfillPage = 200
	// icSearchIDs is how many contact ids one Intercom search asks for:
	// below its page size (150), so one search is one call.
	icSearchIDs = 100
	// backfillSamples is how many before/after values a field's plan shows.
	backfillSamples = 5
	// BrakeShare is the mass-change brake: a plan that overwrites a
	// non-empty value in more than this share of a field's pairs needs the
	// field named in ConfirmFields.
	BrakeShare = 0.20
)

// BackfillObjects are the Salesforce objects a backfill can name, in the
// order a run goes through them.
var BackfillObjects = []string{"Lead", "Contact", "Account"}

// BackfillRequest is what to backfill.
type BackfillRequest struct {
	// Objects are Salesforce objects (Lead, Contact, Account); empty: all.
	Objects []string `json:"objects,omitempty"`
	// Fields are Salesforce field or Intercom attribute names of mapped
	// fields; empty: every mapped field of the objects.
	Fields []string `json:"fields,omitempty"`
	// Direction is to_salesforce, to_intercom or both (default).
	Direction sync.Direction `json:"direction,omitempty"`
	// ConfirmFields names the fields whose mass overwrite the admin
	// confirmed (the brake).
	ConfirmFields []string `json:"confirm_fields,omitempty"`
}

// Normalize fills defaults and checks the request; the error is meant for
// the admin.
func (r *BackfillRequest) Normalize() error {
	if r.Direction == "" {
		r.Direction = sync.DirBoth
	}
	if !r.Direction.Valid() {
		return fmt.Errorf("direction %q: use to_salesforce, to_intercom or both", r.Direction)
	}
	if len(r.Objects) == 0 {
		r.Objects = slices.Clone(BackfillObjects)
	}
	var objs []string
	for _, o := range BackfillObjects {
		for _, want := range r.Objects {
			if strings.EqualFold(want, o) && !slices.Contains(objs, o) {
				objs = append(objs, o)
			}
		}
	}
	for _, want := range r.Objects {
		if !slices.ContainsFunc(BackfillObjects, func(o string) bool { return strings.EqualFold(o, want) }) {
			return fmt.Errorf("object %q: use Lead, Contact or Account", want)
		}
	}
	r.Objects = objs
	return nil
}

// BackfillPlan is a dry run's answer: what a run would change and cost.
type BackfillPlan struct {
	Request BackfillRequest `json:"request"`
	// Pairs is how many matched pairs the backfill covers.
	Pairs int `json:"pairs"`
	// Missing counts pairs one of whose records could not be read (deleted
	// since they were matched); live sync ends their mappings.
	Missing int `json:"missing"`
	// Fields is, per object and mapped field, what would change.
	Fields []BackfillField `json:"fields"`
	// SalesforceChanges and IntercomChanges count the records a run
	// writes on each side.
	SalesforceChanges int `json:"salesforce_changes"`
	IntercomChanges   int `json:"intercom_changes"`
	// SalesforceCalls and IntercomCalls are the API calls a run costs.
	SalesforceCalls BackfillCalls `json:"salesforce_calls"`
	IntercomCalls   BackfillCalls `json:"intercom_calls"`
	// BudgetRemaining is how many Salesforce calls the backfill lane may
	// still spend today (-1: no limit known).
	BudgetRemaining int `json:"budget_remaining"`
	// Days is how many UTC days of the backfill lane the run needs (1:
	// it fits today).
	Days int `json:"days"`
	// Seconds estimates the run's duration, from the dry run's own reads
	// and Intercom's rate limit, not counting days waited for budget.
	Seconds float64 `json:"seconds"`
	// NeedsConfirmation names the fields over the mass-change brake that
	// the request does not confirm; a run is refused until it does.
	NeedsConfirmation []string `json:"needs_confirmation"`
}

// BackfillCalls counts API calls by kind.
type BackfillCalls struct {
	Reads  int `json:"reads"`
	Writes int `json:"writes"`
	Total  int `json:"total"`
}

// BackfillField is one mapped field's plan.
type BackfillField struct {
	Object    string `json:"object"`
	Field     string `json:"field"`     // Salesforce field
	Attribute string `json:"attribute"` // Intercom attribute
	// ToSalesforce and ToIntercom count values that would change there.
	ToSalesforce int `json:"to_salesforce"`
	ToIntercom   int `json:"to_intercom"`
	// Overwrites counts pairs whose non-empty value would be replaced, on
	// either side (the brake's measure).
	Overwrites int `json:"overwrites"`
	// Pairs is how many pairs of the field's object were read.
	Pairs int `json:"pairs"`
	// NeedsConfirmation: Overwrites is over the brake's share of Pairs.
	NeedsConfirmation bool             `json:"needs_confirmation"`
	Samples           []BackfillSample `json:"samples"`
}

// BackfillSample is one value a run would change.
type BackfillSample struct {
	IntercomID   string `json:"intercom_id"`
	SalesforceID string `json:"salesforce_id"`
	// Side is where the value changes: "salesforce" or "intercom".
	Side   string `json:"side"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// confirmed reports whether the request confirms a field by either name.
func (r BackfillRequest) confirmed(f BackfillField) bool {
	return slices.ContainsFunc(r.ConfirmFields, func(c string) bool {
		return strings.EqualFold(c, f.Field) || strings.EqualFold(c, f.Attribute)
	})
}

// backfillMappings returns the mappings of an object that the request
// covers, with their direction narrowed to the request's. An error names
// requested fields that no mapping of any requested object has.
func backfillMappings(c *connConfig, req BackfillRequest) (map[string][]sync.Mapping, error) {
	out := map[string][]sync.Mapping{}
	found := map[string]bool{}
	for _, object := range req.Objects {
		obj, _ := sync.ObjectForSObject(object)
		for _, m := range c.mappings[obj] {
			if len(req.Fields) > 0 && !slices.ContainsFunc(req.Fields, func(f string) bool {
				ok := strings.EqualFold(f, m.Field.Name) || strings.EqualFold(f, m.Attribute.FullName)
				if ok {
					found[strings.ToLower(f)] = true
				}
				return ok
			}) {
				continue
			}
			switch {
			case req.Direction == sync.DirBoth:
			case m.Direction == sync.DirBoth || m.Direction == req.Direction:
				m.Direction = req.Direction
			default:
				continue // the mapping never flows that way
			}
			out[object] = append(out[object], m)
		}
	}
	var unknown []string
	for _, f := range req.Fields {
		if !found[strings.ToLower(f)] {
			unknown = append(unknown, f)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("not a mapped field of %s: %s", strings.Join(req.Objects, ", "), strings.Join(unknown, ", "))
	}
	return out, nil
}

// ErrBackfillInput wraps what is wrong with a backfill request, for the
// admin to fix.
var ErrBackfillInput = errors.New("backfill")

// bfPage is one page of pairs read from both sides.
type bfPage struct {
	pairs   []*pair
	missing int
	lastID  int64
	icReads int
}

// readBackfillPage reads the records of one page of mappings on both
// sides and plans each pair with ms.
func (b *batch) readBackfillPage(ctx context.Context, object string, maps []store.Mapping, ms []sync.Mapping) (*bfPage, error) {
	pg := &bfPage{lastID: maps[len(maps)-1].ID}
	sfIDs := make([]string, len(maps))
	icIDs := make([]string, len(maps))
	for i, m := range maps {
		sfIDs[i], icIDs[i] = m.SFID, m.IntercomID
	}
	sfRecs, err := b.getSF(ctx, object, sfIDs)
	if err != nil {
		return nil, err
	}
	icRecs := map[string]icRecord{}
	if object == "Account" {
		for _, id := range icIDs {
			pg.icReads++
			c, err := b.ic.GetCompany(ctx, id)
			if intercom.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, classifyIC(err)
			}
			icRecs[id] = companyRecord(c, nil)
		}
	} else {
		for ids := range slices.Chunk(icIDs, icSearchIDs) {
			pg.icReads++
			q := intercom.Field("id", intercom.OpIn, ids)
			for c, err := range b.ic.SearchContacts(ctx, q, intercom.SearchOptions{PerPage: 150}) {
				if err != nil {
					return nil, classifyIC(err)
				}
				icRecs[c.ID] = contactRecord(&c, nil)
			}
		}
	}
	obj, _ := sync.ObjectForSObject(object)
	for _, m := range maps {
		sf, okSF := sfRecs[m.SFID]
		ic, okIC := icRecs[m.IntercomID]
		if !okSF || !okIC || sf.IsConverted {
			pg.missing++
			continue
		}
		p := &pair{object: obj, icID: m.IntercomID, sfObject: object, sfID: m.SFID, ic: &ic, sf: &sf,
			origin: store.OriginFerry, rule: backfillRule, okSF: true, okIC: true}
		p.plan = sync.Plan(ms, sync.RecordState{}, []sync.RecordChange{
			{Side: sync.Intercom, At: ic.UpdatedAt, Values: ic.values(ms)},
			{Side: sync.Salesforce, At: sf.Modstamp, Values: sf.values(ms)},
		})
		// A value the side already has is no change (one direction only:
		// the blocked side's value does not cancel the write by itself).
		current := sf.values(ms)
		for k, v := range p.plan.ToSalesforce {
			if sync.HashValue(v) == sync.HashValue(current[k]) {
				delete(p.plan.ToSalesforce, k)
			}
		}
		for k, v := range p.plan.ToIntercom {
			if sync.HashValue(v) == sync.HashValue(ic.get(k)) {
				delete(p.plan.ToIntercom, k)
				delete(p.plan.AddOptions, k)
			}
		}
		pg.pairs = append(pg.pairs, p)
	}
	return pg, nil
}

// backfillRule is the rule named in history for a backfill's writes.
const backfillRule = "backfill of mapped values, latest change wins"

// sfWrites is how many Collections calls a page's Salesforce writes take.
func (b *batch) sfWrites(pairs []*pair) int {
	n := 0
	for _, p := range pairs {
		if len(p.plan.ToSalesforce) > 0 {
			n++
		}
	}
	return (n + b.e.opts.BatchSize - 1) / b.e.opts.BatchSize
}

// planAdd counts a page's pairs, changes, samples and calls into plan.
// options are the list options known so far, by attribute, to count the
// calls that add missing ones as a run would (two each: read, update).
func (plan *BackfillPlan) add(b *batch, object string, ms []sync.Mapping, pg *bfPage, sfReads int, options map[string][]string) {
	plan.Pairs += len(pg.pairs) + pg.missing
	plan.Missing += pg.missing
	plan.SalesforceCalls.Reads += sfReads
	plan.SalesforceCalls.Writes += b.sfWrites(pg.pairs)
	plan.IntercomCalls.Reads += pg.icReads
	index := map[string]int{}
	for _, m := range ms {
		key := object + "." + m.Field.Name
		i := slices.IndexFunc(plan.Fields, func(f BackfillField) bool { return f.Object+"."+f.Field == key })
		if i < 0 {
			plan.Fields = append(plan.Fields, BackfillField{Object: object, Field: m.Field.Name, Attribute: m.Attribute.FullName,
				Samples: []BackfillSample{}})
			i = len(plan.Fields) - 1
		}
		plan.Fields[i].Pairs += len(pg.pairs)
		index[m.Field.Name] = i
		index["ic:"+m.Attribute.FullName] = i
	}
	for _, p := range pg.pairs {
		if len(p.plan.ToSalesforce) > 0 {
			plan.SalesforceChanges++
		}
		if len(p.plan.ToIntercom) > 0 {
			plan.IntercomChanges++
			plan.IntercomCalls.Writes++
		}
		for attr, add := range p.plan.AddOptions {
			known := options[attr]
			if merged, changed := sync.MergeOptions(known, add); changed {
				options[attr] = merged
				plan.IntercomCalls.Writes += 2
			}
		}
		current := p.sf.values(ms)
		for k, v := range p.plan.ToSalesforce {
			f := &plan.Fields[index[k]]
			f.ToSalesforce++
			if !isEmptyValue(current[k]) {
				f.Overwrites++
			}
			if len(f.Samples) < backfillSamples {
				f.Samples = append(f.Samples, BackfillSample{IntercomID: p.icID, SalesforceID: p.sfID, Side: "salesforce", Before: current[k], After: v})
			}
		}
		for k, v := range p.plan.ToIntercom {
			f := &plan.Fields[index["ic:"+k]]
			f.ToIntercom++
			before := p.ic.get(k)
			if !isEmptyValue(before) {
				f.Overwrites++
			}
			if len(f.Samples) < backfillSamples {
				f.Samples = append(f.Samples, BackfillSample{IntercomID: p.icID, SalesforceID: p.sfID, Side: "intercom", Before: before, After: v})
			}
		}
	}
}

func isEmptyValue(v any) bool {
	return v == nil || v == ""
}

// finish totals the plan and applies the brake.
func (plan *BackfillPlan) finish() {
	plan.SalesforceCalls.Total = plan.SalesforceCalls.Reads + plan.SalesforceCalls.Writes
	plan.IntercomCalls.Total = plan.IntercomCalls.Reads + plan.IntercomCalls.Writes
	plan.Brake()
}

// Brake applies the mass-change brake to the plan's fields with its
// request's confirmations: NeedsConfirmation names the fields whose
// non-empty values would be replaced in more than BrakeShare of their
// pairs and that are not confirmed.
func (plan *BackfillPlan) Brake() {
	plan.NeedsConfirmation = []string{}
	for i := range plan.Fields {
		f := &plan.Fields[i]
		f.NeedsConfirmation = false
		if f.Pairs > 0 && float64(f.Overwrites) > BrakeShare*float64(f.Pairs) {
			f.NeedsConfirmation = !plan.Request.confirmed(*f)
			if f.NeedsConfirmation {
				plan.NeedsConfirmation = append(plan.NeedsConfirmation, f.Field)
			}
		}
	}
}

// PlanBackfill is the dry run: it reads every covered pair on both sides,
// in pages as a run would, and writes nothing (F3.8). Its reads are
// counted in the backfill lane.
func (e *Engine) PlanBackfill(ctx context.Context, conn store.Connection, req BackfillRequest) (BackfillPlan, error) {
	if err := req.Normalize(); err != nil {
		return BackfillPlan{}, fmt.Errorf("%w: %w", ErrBackfillInput, err)
	}
	ctx = purposeCtx(ctx, connection.PurposeBackfill)
	b, err := e.newBatch(ctx, conn, settings.LaneBackfill, connection.PurposeBackfill)
	if err != nil {
		return BackfillPlan{}, err
	}
	byObject, err := backfillMappings(b.c, req)
	if err != nil {
		return BackfillPlan{}, fmt.Errorf("%w: %w", ErrBackfillInput, err)
	}
	plan := BackfillPlan{Request: req, Fields: []BackfillField{}}
	options := map[string][]string{}
	for _, object := range req.Objects {
		obj, _ := sync.ObjectForSObject(object)
		for _, m := range b.c.mappings[obj] {
			options[m.Attribute.FullName] = b.c.options(obj, m.Attribute.FullName)
		}
	}
	started := time.Now()
	for _, object := range req.Objects {
		ms := byObject[object]
		if len(ms) == 0 {
			continue
		}
		var after int64
		for {
			maps, err := e.store.ListMappingsAfter(ctx, conn.ID, store.SalesforceObject(object), after, backfillPage)
			if err != nil {
				return BackfillPlan{}, err
			}
			if len(maps) == 0 {
				break
			}
			var n atomic.Int64
			pg, err := b.readBackfillPage(connection.CountCalls(ctx, &n), object, maps, ms)
			if err != nil {
				return BackfillPlan{}, err
			}
			plan.add(b, object, ms, pg, int(n.Load()), options)
			after = pg.lastID
		}
	}
	plan.finish()
	readTime := time.Since(started)
	if err := e.estimate(ctx, conn.ID, b, &plan, readTime); err != nil {
		return BackfillPlan{}, err
	}
	return plan, nil
}

// estimate fills the plan's budget and duration: the backfill lane's
// calls left today, the days the run needs, and its time from the dry
// run's reads (a run reads the same again) plus its writes at the same
// pace per call, but no faster than Intercom's rate limit allows.
func (e *Engine) estimate(ctx context.Context, connID int64, b *batch, plan *BackfillPlan, readTime time.Duration) error {
	used, err := connection.UsedToday(ctx, e.store, connID, e.now())
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	budget := b.c.doc.APIBudget
	plan.BudgetRemaining, plan.Days = -1, 1
	if budget.DailyLimit > 0 {
		perDay := budget.DailyLimit - budget.Reserve(settings.LaneBackfill)
		plan.BudgetRemaining = max(perDay-used, 0)
		if need := plan.SalesforceCalls.Total - plan.BudgetRemaining; need > 0 {
			if perDay <= 0 {
				plan.Days = -1 // never: the lane has no calls
			} else {
				plan.Days = 1 + int(math.Ceil(float64(need)/float64(perDay)))
			}
		}
	}
	reads := plan.SalesforceCalls.Reads + plan.IntercomCalls.Reads
	perCall := 0.0
	if reads > 0 {
		perCall = readTime.Seconds() / float64(reads)
	}
	plan.Seconds = readTime.Seconds() + perCall*float64(plan.SalesforceCalls.Writes+plan.IntercomCalls.Writes)
	if rl := b.ic.RateLimit(); rl.Known && rl.Limit > 0 {
		// Intercom's limit counts per 10-second window.
		floor := float64(plan.IntercomCalls.Total) / float64(rl.Limit) * 10
		plan.Seconds = max(plan.Seconds, floor)
	}
	plan.Seconds = math.Round(plan.Seconds*10) / 10
	return nil
}

// BackfillProgress is a running or finished backfill as the admin sees it.
type BackfillProgress struct {
	ID         int64           `json:"id"`
	State      string          `json:"state"`
	Request    BackfillRequest `json:"request"`
	Object     string          `json:"object,omitempty"`
	PairsTotal int64           `json:"pairs_total"`
	PairsDone  int64           `json:"pairs_done"`
	// SalesforceChanges and IntercomChanges count records written.
	SalesforceChanges int64  `json:"salesforce_changes"`
	IntercomChanges   int64  `json:"intercom_changes"`
	SalesforceCalls   int64  `json:"salesforce_calls"`
	IntercomCalls     int64  `json:"intercom_calls"`
	Failed            int64  `json:"failed"`
	Message           string `json:"message,omitempty"`
	// ETASeconds estimates the time left from the pace so far (absent
	// until a page finished).
	ETASeconds *float64   `json:"eta_seconds,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// ProgressOf turns a stored backfill into what the admin sees.
func ProgressOf(bf store.Backfill) BackfillProgress {
	p := BackfillProgress{ID: bf.ID, State: bf.State, Object: bf.Object, PairsTotal: bf.PairsTotal, PairsDone: bf.PairsDone,
		SalesforceChanges: bf.SFChanges, IntercomChanges: bf.ICChanges, SalesforceCalls: bf.SFCalls, IntercomCalls: bf.ICCalls,
		Failed: bf.Failed, Message: bf.Message, CreatedAt: bf.CreatedAt, UpdatedAt: bf.UpdatedAt, FinishedAt: bf.FinishedAt}
	_ = json.Unmarshal([]byte(bf.Request), &p.Request)
	if bf.State == store.BackfillRunning && bf.PairsDone > 0 && bf.PairsTotal > bf.PairsDone {
		spent := bf.UpdatedAt.Sub(bf.CreatedAt).Seconds()
		eta := math.Round(spent/float64(bf.PairsDone)*float64(bf.PairsTotal-bf.PairsDone)*10) / 10
		p.ETASeconds = &eta
	}
	return p
}

// Backfill runs one backfill from its saved place, page by page, each
// page's writes, states, history and new place committed together. It
// implements jobs.Backfiller.
func (e *Engine) Backfill(ctx context.Context, conn store.Connection, args jobs.BackfillArgs) error {
	err := e.backfill(ctx, conn, args)
	if err != nil && !IsBudgetExhausted(err) && !e.stopping.Load() {
		// The job is retried with backoff; until then the admin sees why
		// the backfill is not moving rather than a bare "running".
		e.noteBackfill(ctx, conn.ID, args.BackfillID, store.BackfillRunning, "retrying after an error: "+err.Error())
	}
	return e.jobError(ctx, conn.ID, err)
}

// BackfillFailed marks a backfill failed when its job gives up (its last
// attempt failed, or it was canceled as unrunnable), so that it never stays
// "running" with nothing running it. It implements jobs.Backfiller.
func (e *Engine) BackfillFailed(ctx context.Context, conn store.Connection, args jobs.BackfillArgs, cause error) error {
	return e.noteBackfill(ctx, conn.ID, args.BackfillID, store.BackfillFailed, "stopped by an error: "+cause.Error())
}

// noteBackfill stores state and message on a running or paused backfill,
// leaving finished and canceled ones as they are.
func (e *Engine) noteBackfill(ctx context.Context, connID, id int64, state, msg string) error {
	ctx = context.WithoutCancel(ctx)
	bf, err := e.store.GetBackfill(ctx, connID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if bf.State != store.BackfillRunning && bf.State != store.BackfillPaused {
		return nil
	}
	if state == store.BackfillFailed {
		return e.endBackfill(ctx, bf, state, msg)
	}
	bf.State, bf.Message = state, msg
	_, err = e.putBackfill(ctx, bf)
	return err
}

var _ jobs.Backfiller = (*Engine)(nil)

func (e *Engine) backfill(ctx context.Context, conn store.Connection, args jobs.BackfillArgs) error {
	bf, err := e.store.GetBackfill(ctx, conn.ID, args.BackfillID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if bf.State != store.BackfillRunning && bf.State != store.BackfillPaused {
		return nil // finished or canceled
	}
	var req BackfillRequest
	if err := json.Unmarshal([]byte(bf.Request), &req); err != nil {
		return river.JobCancel(fmt.Errorf("engine: backfill %d request: %w", bf.ID, err))
	}
	if err := req.Normalize(); err != nil {
		return river.JobCancel(fmt.Errorf("engine: backfill %d request: %w", bf.ID, err))
	}
	ctx = purposeCtx(ctx, connection.PurposeBackfill)
	for {
		if e.stopping.Load() {
			return fmt.Errorf("engine: shutting down; backfill %d resumes from its place", bf.ID)
		}
		b, err := e.newBatch(ctx, conn, settings.LaneBackfill, connection.PurposeBackfill)
		if err != nil {
			return err
		}
		b.backfill = true
		byObject, err := backfillMappings(b.c, req)
		if err != nil {
			return e.endBackfill(ctx, bf, store.BackfillFailed, "the settings changed: "+err.Error())
		}
		object, maps, err := e.nextBackfillPage(ctx, conn.ID, &bf, req, byObject)
		if err != nil {
			return err
		}
		if len(maps) == 0 {
			return e.endBackfill(ctx, bf, store.BackfillDone, "")
		}
		// The page's read and write must fit the lane: the backfill is
		// the first work to stop when the day's calls run low (F8.1).
		if err := e.checkBudget(ctx, conn.ID, b.c, b.sf, settings.LaneBackfill, 2); err != nil {
			var bu *errBudget
			if errors.As(err, &bu) {
				bf.State, bf.Message = store.BackfillPaused, "waiting for the next day's API budget"
				if _, perr := e.putBackfill(ctx, bf); perr != nil {
					return perr
				}
			}
			return err
		}
		var n atomic.Int64
		pctx := connection.CountCalls(ctx, &n)
		pg, err := b.readBackfillPage(pctx, object, maps, byObject[object])
		if err != nil {
			return err
		}
		state, err := e.writeBackfillPage(pctx, b, &bf, object, pg, &n)
		if err != nil {
			return err
		}
		if state == store.BackfillCanceled {
			return nil
		}
		if berr := b.err(); berr != nil {
			if b.budget != nil {
				bf.State, bf.Message = store.BackfillPaused, "waiting for the next day's API budget"
				if _, perr := e.putBackfill(ctx, bf); perr != nil {
					return perr
				}
			}
			return berr
		}
	}
}

// nextBackfillPage returns the next page's mappings after the saved place,
// moving on to the next requested object when one is finished.
func (e *Engine) nextBackfillPage(ctx context.Context, connID int64, bf *store.Backfill, req BackfillRequest,
	byObject map[string][]sync.Mapping) (string, []store.Mapping, error) {
	start := 0
	if bf.Object != "" {
		start = max(slices.Index(req.Objects, bf.Object), 0)
	}
	for i := start; i < len(req.Objects); i++ {
		object := req.Objects[i]
		after := int64(0)
		if object == bf.Object {
			after = bf.AfterID
		}
		if len(byObject[object]) == 0 {
			continue
		}
		maps, err := e.store.ListMappingsAfter(ctx, connID, store.SalesforceObject(object), after, backfillPage)
		if err != nil {
			return "", nil, err
		}
		if len(maps) > 0 {
			return object, maps, nil
		}
	}
	return "", nil, nil
}

// writeBackfillPage writes one page's changes as live sync does (sObject
// Collections for Salesforce, one update per Intercom record, history and
// field states for each pair) and commits them with the backfill's new
// place and counts. It returns the state stored.
func (e *Engine) writeBackfillPage(ctx context.Context, b *batch, bf *store.Backfill, object string, pg *bfPage, calls *atomic.Int64) (string, error) {
	var icIDs, sfIDs []string
	for _, p := range pg.pairs {
		if !p.plan.Empty() {
			b.pairs = append(b.pairs, p)
			icIDs, sfIDs = append(icIDs, p.icID), append(sfIDs, p.sfID)
		}
	}
	st, err := e.loadStates(ctx, b.conn.ID, icIDs, sfIDs)
	if err != nil {
		return "", err
	}
	if err := b.writeSalesforce(ctx, st); err != nil {
		return "", err
	}
	b.writeIntercom(ctx, st)
	icCalls := pg.icReads + b.optionCalls
	for _, p := range b.pairs {
		if len(p.plan.ToIntercom) > 0 && (p.okIC || p.icErr != nil) {
			icCalls++
		}
	}
	next := *bf
	for _, p := range b.pairs {
		b.finish(p, st)
		if p.okSF && len(p.plan.ToSalesforce) > 0 {
			next.SFChanges++
		}
		if p.okIC && len(p.plan.ToIntercom) > 0 {
			next.ICChanges++
		}
		if p.sfErr != nil || p.icErr != nil || len(p.plan.Failures()) > 0 {
			next.Failed++
		}
	}
	if b.failed != nil {
		// Nothing of the page is committed as done: the retry reads it
		// again and writes what is still missing.
		if err := b.commit(ctx); err != nil {
			return "", err
		}
		return bf.State, nil
	}
	next.State, next.Message = store.BackfillRunning, ""
	next.Object, next.AfterID = object, pg.lastID
	next.PairsDone += int64(len(pg.pairs) + pg.missing)
	next.SFCalls += calls.Load()
	next.ICCalls += int64(icCalls)
	b.ops.backfill = &next
	if err := b.commit(ctx); err != nil {
		return "", err
	}
	*bf = next
	return b.backfillState, nil
}

// endBackfill stores a backfill's final state.
func (e *Engine) endBackfill(ctx context.Context, bf store.Backfill, state, msg string) error {
	t := e.now()
	bf.State, bf.Message, bf.FinishedAt = state, msg, &t
	_, err := e.putBackfill(ctx, bf)
	return err
}

func (e *Engine) putBackfill(ctx context.Context, bf store.Backfill) (string, error) {
	var state string
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		state, err = tx.PutBackfillProgress(ctx, bf)
		return err
	})
	return state, err
}

// IsBudgetExhausted reports whether err is the API budget's lane being
// spent for today (F8.1).
func IsBudgetExhausted(err error) bool {
	var bu *errBudget
	return errors.As(err, &bu)
}
