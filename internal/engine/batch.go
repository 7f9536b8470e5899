package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// Operations named in sync errors.
const (
	opUpdateSalesforce = "update_salesforce"
	opUpdateIntercom   = "update_intercom"
	opWebhook          = "process_webhook"
	// opMatchSalesforce: looking a record up in Salesforce to match it
	// (F2.1) failed for that record alone.
	opMatchSalesforce = "match_salesforce"
)

// retriedByJob reports the operations whose sync errors get a retry job
// (F8.2): RetryRecord syncs the record again from its current state.
func retriedByJob(op string) bool {
	return op == opUpdateSalesforce || op == opMatchSalesforce || op == connection.OpKeptChange
}

// pair is one mapped record pair to sync in a batch: the record(s) whose
// current values are known and whether the pair is new (F3.4).
type pair struct {
	object   sync.Object
	icID     string
	sfObject string
	sfID     string
	// ic and sf are the records whose values this batch reports; nil when
	// the side's values are not known (an Intercom webhook does not read
	// Salesforce, and the reverse).
	ic *icRecord
	sf *sfRecord
	// fresh: the pair was just created, re-pointed or moved; all mapped
	// attributes sync both ways once from an empty state (F3.4), and the
	// records' previous states are cleared.
	fresh bool
	// gone: one side's record no longer exists and the mapping ends;
	// nothing more is written (what was written already is in history).
	gone bool
	// promote makes the Intercom lead a user: its Lead was converted into
	// a Contact (F2.4).
	promote bool
	origin  store.Origin
	rule    string
	// check is how the pair's Salesforce write keeps a later Salesforce
	// change from being overwritten (sync.CheckWrite, F3.5).
	check sync.WriteCheck

	plan      sync.RecordPlan
	okSF      bool
	okIC      bool
	sfReq     map[string]any
	sfErr     error
	icErr     error
	sfAttrs   map[string]any // SALESFORCE_* values written
	events    []string       // SALESFORCE_CHANGE_* data events sent
	eventErrs []string       // and why others were not
	icWritten map[string]any
	// icNow is the Intercom record read before a replayed stream batch
	// (batch.replayed): values it holds already are not written again.
	icNow *icRecord
	// kept are the Intercom values of paused mappings (their Salesforce
	// field is missing) that changed, by field: kept until it is back.
	kept map[string]any
}

// batch is one round of work for a connection: the pairs to sync and
// everything to store afterwards in one transaction.
type batch struct {
	e    *Engine
	conn store.Connection
	c    *connConfig
	sf   *salesforce.Client
	ic   *intercom.Client
	lane settings.Lane

	pairs []*pair
	ops   txOps
	// failed is the first transient or connection-breaking error; the
	// batch's work up to it is stored, its events are not marked processed
	// (or its watermark not moved) and the job is retried.
	failed *batchError
	// budget is set when the API budget stopped the batch (F8.1).
	budget *errBudget
	// superseded: the initial-sync run this batch's progress belongs to was
	// restarted (RestartMatching) before the batch committed.
	superseded bool
	// round, if set, gathers what the batch moved for the round's log.
	round *round
	// backfill: the batch writes a backfill's planned values only (no
	// owner or SALESFORCE_* attributes, F3.8); backfillState is the
	// backfill's state its commit stored.
	backfill      bool
	backfillState string
	// retrying: the batch is a sync error's retry, with the schema read
	// again; a field refused as read-only then waits for the admin.
	retrying bool
	// optionCalls counts the Intercom calls made to add list options.
	optionCalls int
	// replayed: the batch applies change events a process that died may
	// have applied already (the first after resuming a stream); the
	// Intercom records are read first, so what it wrote is not written
	// again.
	replayed bool
}

// err is the error that stopped the batch, if any.
func (b *batch) err() error {
	if b.budget != nil {
		return b.budget
	}
	if b.failed != nil {
		return b.failed
	}
	return nil
}

// txOps is what a batch writes to the store at its end.
type txOps struct {
	deleteMappings []string // Intercom ids
	upserts        []store.Mapping
	clearIC        []string
	clearSF        []string
	states         []store.FieldState
	history        []store.HistoryEntry
	reviews        []store.MatchReview
	errors         []store.SyncError
	resolve        []store.SyncError // ConnectionID, RecordID, Operation of successes
	processed      []int64
	convTasks      []store.ConversationTask // conversations' Tasks (tasks.go)
	watermarks     []store.Watermark
	initial        *store.InitialSync
	backfill       *store.Backfill // a backfill's place and counts after this page
	moved          moved           // records written, counted when committed
}

// fail records the first batch-stopping error.
func (b *batch) fail(be *batchError) {
	if b.failed == nil {
		b.failed = be
	}
}

// history appends a history entry (F8.3).
func (b *batch) history(object, icID, sfID string, origin store.Origin, rule, outcome, message string, changes any) {
	ch := ""
	if changes != nil {
		if raw, err := json.Marshal(changes); err == nil && string(raw) != "null" && string(raw) != "{}" {
			ch = string(raw)
		}
	}
	b.ops.history = append(b.ops.history, store.HistoryEntry{ConnectionID: b.conn.ID, Object: object, IntercomID: icID,
		SalesforceID: sfID, Origin: origin, Rule: rule, Changes: ch, Outcome: outcome, Message: message, CreatedAt: b.e.now()})
}

// syncPairs plans and writes every pair: Salesforce in Collections calls per
// object, Intercom one record at a time (it has no batch update).
func (b *batch) syncPairs(ctx context.Context) error {
	if len(b.pairs) == 0 {
		return nil
	}
	if b.replayed {
		b.readReplayed(ctx)
	}
	var icIDs, sfIDs []string
	for _, p := range b.pairs {
		icIDs = append(icIDs, p.icID)
		sfIDs = append(sfIDs, p.sfID)
	}
	st, err := b.e.loadStates(ctx, b.conn.ID, icIDs, sfIDs)
	if err != nil {
		return err
	}
	for _, p := range b.pairs {
		if p.fresh {
			b.ops.clearIC = append(b.ops.clearIC, p.icID)
			b.ops.clearSF = append(b.ops.clearSF, p.sfID)
		}
		b.planPair(p, st)
	}
	// A change about to be written to Salesforce may be older than one made
	// there since the last poll; the latest change wins field by field
	// (F3.5). How each write makes sure of it is sync.CheckWrite's rule:
	// blind, on condition, or after reading the record's both-way fields.
	if err := b.checkWrites(ctx, st); err != nil {
		return err
	}
	if err := b.writeSalesforce(ctx, st); err != nil {
		return err
	}
	b.writeIntercom(ctx, st)
	for _, p := range b.pairs {
		b.finish(p, st)
	}
	return nil
}

// planPair plans one pair from the values known on each side.
func (b *batch) planPair(p *pair, st states) {
	ms := b.c.mappings[p.object]
	state := st.record(p.icID, p.sfID)
	if p.fresh {
		state = sync.RecordState{}
	}
	var changes []sync.RecordChange
	if p.ic != nil {
		changes = append(changes, sync.RecordChange{Side: sync.Intercom, At: p.ic.UpdatedAt, Values: p.ic.values(ms)})
	}
	if p.sf != nil {
		sfms := ms
		if p.sf.checked {
			sfms = bothWay(ms) // the only fields read
		}
		changes = append(changes, sync.RecordChange{Side: sync.Salesforce, At: p.sf.Modstamp, Values: p.sf.values(sfms)})
	}
	if len(changes) == 2 && !p.fresh {
		// Both sides' whole records are reported with record-level times
		// (Intercom's in seconds): a value a side still has from before —
		// the one ferry knew or wrote — is no change at that time, and must
		// not compete with the other side's real change as if it were new.
		changes[0].Values = changedOnly(changes[0].Values, state.Intercom)
		changes[1].Values = changedOnly(changes[1].Values, state.Salesforce)
	}
	p.plan = sync.Plan(ms, state, changes)
	p.kept = b.keptChanges(p, state)
	p.okSF, p.okIC = true, true
	if p.sf != nil && !p.sf.checked && p.object != sync.ObjectCompany {
		p.sfAttrs = b.sfAttrChanges(p, st)
	}
	if p.icNow != nil {
		// A process that died after writing these left them there.
		for k, v := range p.plan.ToIntercom {
			if sync.HashValue(p.icNow.get(k)) == sync.HashValue(v) {
				delete(p.plan.ToIntercom, k)
			}
		}
		for k, v := range p.sfAttrs {
			if sync.HashValue(p.icNow.custom()[k]) == sync.HashValue(v) {
				delete(p.sfAttrs, k)
			}
		}
	}
}

// changedOnly drops the values equal to what ferry knows or last wrote.
func changedOnly(values map[string]any, known map[string]sync.FieldState) map[string]any {
	out := make(map[string]any, len(values))
	for k, v := range values {
		st, ok := known[k]
		if ok && (sync.HashValue(v) == sync.HashValue(st.Value) || sync.HashValue(v) == st.WrittenHash) {
			continue
		}
		out[k] = v
	}
	return out
}

// sfAttrChanges returns the SALESFORCE_* attributes to write to a contact
// (F3.6): those differing from the contact's current values (from the
// webhook item when known, else from what ferry last wrote).
func (b *batch) sfAttrChanges(p *pair, st states) map[string]any {
	next := sync.SalesforceAttributes(p.sf.attrs())
	if p.sf.partial {
		// A change event holds only the fields that changed: the
		// attributes of the others are unknown, not empty.
		for k := range next {
			if src, ok := sfAttrSource[k]; !ok || !p.sf.has(src) {
				delete(next, k)
			}
		}
	}
	prev := st.sfAttrs(p.icID)
	if p.ic != nil {
		if cur := p.ic.custom(); cur != nil {
			prev = map[string]any{}
			for k := range next {
				prev[k] = cur[k]
			}
		}
	}
	return sync.ChangedAttributes(prev, next)
}

// finish turns a pair's outcome into states, history and sync errors.
func (b *batch) finish(p *pair, st states) {
	connID := b.conn.ID
	if p.gone {
		b.finishGone(p)
		return
	}
	b.keep(p)
	rs := p.plan.Commit(p.okIC, p.okSF)
	b.forgetKept(p, rs)
	for _, row := range fromSync(connID, p.icID, p.sfID, rs) {
		// Rows that did not change are not written again: at thousands of
		// records a batch, the field-state upserts are the store's
		// largest cost.
		if !p.fresh && st.unchanged(row) {
			continue
		}
		b.ops.states = append(b.ops.states, row)
	}
	if p.okIC && p.sfAttrs != nil {
		for k, v := range p.sfAttrs {
			b.ops.states = append(b.ops.states, store.FieldState{ConnectionID: connID, Side: store.SideIntercom, RecordID: p.icID,
				Field: "custom_attributes." + k, Value: encodeValue(v), Origin: store.OriginFerry, ChangedAt: b.e.now(),
				WrittenHash: sync.HashValue(v)})
		}
	} else if p.fresh {
		// Keep what ferry last wrote of the SALESFORCE_* attributes across the
		// states cleared for a new pair, so unchanged values are not rewritten.
		for _, r := range st.ic[p.icID] {
			if strings.HasPrefix(r.Field, sfAttrPrefix) || r.Field == ownerField {
				b.ops.states = append(b.ops.states, r)
			}
		}
	}
	// A record read for a write check holds its both-way fields only: the
	// poll must still process the rest of it at that SystemModstamp. A change
	// event's record holds its changed fields only: the same.
	if p.sf != nil && !p.sf.checked && !p.sf.partial && p.okIC && p.okSF && !p.sf.Modstamp.IsZero() {
		b.ops.states = append(b.ops.states, store.FieldState{ConnectionID: connID, Side: store.SideSalesforce, RecordID: p.sfID,
			Field: modstampField, Value: p.sf.Modstamp.Format(sync.SFDateTimeLayout), Origin: store.OriginSalesforce, ChangedAt: p.sf.Modstamp})
	}

	changes := map[string]any{}
	if p.okSF && len(p.plan.ToSalesforce) > 0 {
		changes["salesforce"] = p.plan.ToSalesforce
	}
	if p.okIC && len(p.icWritten) > 0 {
		changes["intercom"] = p.icWritten
	}
	if p.okIC && len(p.events) > 0 {
		changes["intercom_events"] = p.events
	}
	// Data events that failed are shown with the record's outcome; the
	// attributes they announce were written.
	msgs := slices.Clone(p.eventErrs)
	outcome := "ok"
	for _, f := range p.plan.Failures() {
		outcome = "error"
		msgs = append(msgs, f.Reason)
		if f.Side == sync.Intercom {
			// Nothing was sent: show what would have been, the Intercom
			// values ferry could not convert for Salesforce.
			req := map[string]any{"Id": p.sfID}
			if p.ic != nil {
				req = map[string]any{"Id": p.sfID, "intercom_values": p.ic.values(b.c.mappings[p.object])}
			}
			b.syncError(p, "VALUE_NOT_CONVERTIBLE", f.Reason, req)
		}
	}
	if p.sfErr != nil {
		outcome = "error"
		msgs = append(msgs, p.sfErr.Error())
		code, msg := sfErrorCode(p.sfErr)
		switch code {
		case salesforce.CodeInvalidOrNullForRestrictedPicklist, salesforce.CodeInvalidField,
			salesforce.CodeInvalidFieldForInsertUpdate, salesforce.CodeInvalidType:
			// The schema changed under ferry: read it again before the next
			// batch, so values are checked against it before sending.
			b.e.invalidate(connID)
		}
		b.syncError(p, code, msg, p.sfReq)
	}
	if p.icErr != nil {
		outcome = "error"
		msgs = append(msgs, p.icErr.Error())
	}
	if !p.okSF && p.sfErr == nil || !p.okIC && p.icErr == nil {
		outcome = outcomeRetrying
	}
	if outcome == "ok" && len(p.plan.ToSalesforce) > 0 && len(p.plan.Failures()) == 0 {
		b.ops.resolve = append(b.ops.resolve, store.SyncError{ConnectionID: connID, RecordID: p.icID, Operation: opUpdateSalesforce})
	}
	if p.okSF && len(p.plan.ToSalesforce) > 0 {
		b.ops.moved.add(ToSalesforce, string(p.object), 1)
	}
	if p.okIC && len(p.icWritten) > 0 {
		b.ops.moved.add(ToIntercom, string(p.object), 1)
	}
	rule := p.rule
	if stale := staleFields(p.plan); len(stale) > 0 {
		// Older than a change already seen (F3.5): nothing is written for
		// these fields, and history says why.
		msgs = append(msgs, "ignored as older than a change already seen: "+strings.Join(stale, ", "))
		if len(changes) == 0 && outcome == "ok" {
			outcome, rule = "stale", staleRule
		}
	}
	if len(changes) == 0 && outcome == "ok" && !p.fresh {
		return // nothing happened: an echo or an unchanged record
	}
	if len(changes) == 0 && outcome == "ok" {
		outcome = "unchanged"
	}
	b.history(string(p.object), p.icID, p.sfID, p.origin, rule, outcome, strings.Join(msgs, "; "), changes)
}

// finishGone records what was written to Salesforce for a pair whose
// Intercom record turned out to be gone when its Intercom write was sent
// (F8.3): the Salesforce write had already happened, and the mapping's end
// alone would hide it. A failed write is in history too; it is not a sync
// error, as there is no record left to retry it for.
func (b *batch) finishGone(p *pair) {
	if p.sfReq == nil {
		return // nothing was sent to Salesforce
	}
	outcome, msg := "ok", "written before the Intercom record was found deleted; the mapping ended"
	changes := map[string]any{"salesforce": p.plan.ToSalesforce}
	switch {
	case p.sfErr != nil:
		outcome, msg, changes = "error", p.sfErr.Error()+"; the Intercom record no longer exists", nil
	case !p.okSF:
		return // not sent: the batch stopped before it
	}
	b.history(string(p.object), p.icID, p.sfID, p.origin, p.rule, outcome, msg, changes)
	b.ops.resolve = append(b.ops.resolve, store.SyncError{ConnectionID: b.conn.ID, RecordID: p.icID})
}

// staleFields names the fields whose incoming values a plan ignored as
// stale, by the name on the side that reported them.
func staleFields(plan sync.RecordPlan) []string {
	var out []string
	for _, d := range plan.Decisions {
		if d.Verdict != sync.Stale {
			continue
		}
		attr, field, _ := strings.Cut(d.Key, "=")
		if d.Side == sync.Salesforce {
			attr = field
		}
		out = append(out, attr)
	}
	return out
}

// syncError records a failed write to Salesforce with what was sent (F8.2);
// its retry job is created when the batch commits.
func (b *batch) syncError(p *pair, code, message string, req map[string]any) {
	body, _ := json.Marshal(map[string]any{"object": p.sfObject, "records": []any{req}})
	details, _ := json.Marshal(map[string]any{"salesforce_id": p.sfID, "intercom_id": p.icID, "object": string(p.object)})
	b.ops.errors = append(b.ops.errors, store.SyncError{ConnectionID: b.conn.ID, Object: p.sfObject, RecordID: p.icID,
		Operation: opUpdateSalesforce, Code: code, Message: message, Details: string(details), RequestBody: string(body)})
}

// lookupError records that rec could not be looked up in Salesforce by
// key, as its sync error (F8.2) and in its history (F8.3). The value is
// shown by its length and start: it may be many kilobytes.
func (b *batch) lookupError(rec icRecord, object, key, rule string, err error) {
	code, msg := sfErrorCode(err)
	var tl *keyTooLongError
	if errors.As(err, &tl) {
		code = "KEY_TOO_LONG"
	}
	start := key
	if len(start) > 100 {
		start = strings.ToValidUTF8(start[:100], "") + "…"
	}
	req, _ := json.Marshal(map[string]any{"lookup_value_start": start, "lookup_value_bytes": len(key)})
	details, _ := json.Marshal(map[string]any{"intercom_id": rec.ID, "object": object})
	b.ops.errors = append(b.ops.errors, store.SyncError{ConnectionID: b.conn.ID, Object: object, RecordID: rec.ID,
		Operation: opMatchSalesforce, Code: code, Message: msg, Details: string(details), RequestBody: string(req)})
	b.history(object, rec.ID, "", store.OriginIntercom, rule, "error", msg, nil)
}

// sfErrorCode extracts Salesforce's own code and message; an answer
// without a code (a front end's page) is named by its HTTP status.
func sfErrorCode(err error) (string, string) {
	var re *salesforce.RecordError
	if errors.As(err, &re) {
		msg := re.Message
		if len(re.Fields) > 0 {
			msg += " (fields: " + strings.Join(re.Fields, ", ") + ")"
		}
		return re.StatusCode, msg
	}
	var ae *salesforce.APIError
	if errors.As(err, &ae) {
		if ae.Code == "" {
			return fmt.Sprintf("HTTP_%d", ae.StatusCode), ae.Message
		}
		return ae.Code, ae.Message
	}
	return "ERROR", err.Error()
}
