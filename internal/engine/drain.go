package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// drainBudget bounds how long one drain job keeps draining.
const drainBudget = 30 * time.Second

// The webhook topics the contact and company drain takes; conversations
// are drained apart (taskTopics).
var engineTopics = jobs.DrainContacts.Topics()

// DrainIntercom implements jobs.Syncer: the drain job of a connection's
// pending events of one kind, contacts and companies or conversations. It
// drains them in leased batches (F3.3: changes that arrive together are
// written together) until none of those pending when it started remains.
//
// The job first waits for the kind's next round (coalesce): webhooks
// arriving meanwhile find the drain request still set and need no job of
// their own — that is the coalescing. Then it clears the request in a
// transaction of its own and reads the newest pending event: the job owes
// the events up to it, and every event stored later has a job of its own,
// because the intake stores an event and reads the request (setting it
// and enqueueing a job if it is not set) in one transaction:
//   - SQLite: write transactions are exclusive, so an intake commits
//     either before the clear (its event is then visible to the read after
//     it) or after it (it finds the request cleared and enqueues a job).
//   - PostgreSQL: the intake's upsert locks the request's row until it
//     commits (store.RequestDrain). Without the lock an intake could find
//     the request set, this job clear it and read the pending events, and
//     the intake commit only then: its event stranded with no job. With
//     it, the clear waits for that intake to commit, so its event is
//     visible to the read; an intake that reaches the row after the clear
//     finds it cleared and enqueues a job.
//
// Under a steady stream a drain could go on for ever; the job's time is
// bounded (River cancels it after JobTimeout), so after drainBudget it
// requests a drain again (a new job, unless one is pending already) for
// the rest. On shutdown (StopDraining) it is snoozed instead, so another
// instance or the next start continues.
func (e *Engine) DrainIntercom(ctx context.Context, conn store.Connection, kind jobs.DrainKind) error {
	drain, key, window, target, topics := e.drainOnce, roundKey{conn: conn.ID}, e.opts.CoalesceWindow, e.opts.LatencyTarget, engineTopics
	switch kind {
	case jobs.DrainContacts:
	case jobs.DrainConversations:
		// Nobody waits on a Task by the second: no latency target.
		drain, key.tasks, window, target, topics = e.drainTasksOnce, true, e.opts.TaskCoalesceWindow, 0, taskTopics
	default:
		return fmt.Errorf("engine: no drain of %q events", kind)
	}
	snooze := river.JobSnooze(min(e.opts.Lease, 10*time.Second))
	if e.stopping.Load() {
		return snooze
	}
	if err := e.coalesce(ctx, key, window, target); err != nil {
		return err
	}
	if err := e.store.InTx(ctx, func(tx store.Tx) error { return tx.ClearDrainRequest(ctx, conn.ID, string(kind)) }); err != nil {
		return err
	}
	upTo, err := e.store.LastPendingWebhookEvent(ctx, conn.ID, topics...)
	if err != nil || upTo == 0 {
		return err
	}
	start := time.Now()
	for round := 0; ; round++ {
		if e.stopping.Load() {
			return snooze
		}
		if round > 0 {
			if time.Since(start) >= drainBudget {
				return e.store.InTx(ctx, func(tx store.Tx) error { return jobs.RequestDrain(ctx, tx, conn.ID, kind) })
			}
			if err := e.coalesce(ctx, key, window, target); err != nil {
				return err
			}
		}
		began := time.Now()
		n, err := drain(ctx, conn)
		e.roundTook(key, time.Since(began))
		if schemaChanged(err) {
			// A field was hidden or deleted since the schema was read:
			// read it again and drain once more without it.
			e.invalidate(conn.ID)
			n, err = drain(ctx, conn)
		}
		if err != nil {
			return e.jobError(ctx, conn.ID, err)
		}
		if n < e.opts.DrainLimit {
			// The claim took all it could: done unless some of the
			// events owed are held by another round (of this kind or the
			// other; a connection is drained by one round at a time),
			// which may die with its process before it applies them.
			first, err := e.store.FirstPendingWebhookEvent(ctx, conn.ID, topics...)
			if err != nil || first == 0 || first > upTo {
				return err
			}
		}
		if n == 0 {
			// Another round holds the connection's lease: look again
			// shortly (its events are taken over once it lapses).
			t := time.NewTimer(e.opts.Lease / 10)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
}

// roundKey names a connection's kind of drain round: contact and company
// changes, or conversations (Tasks), each spaced by its own window.
type roundKey struct {
	conn  int64
	tasks bool
}

// roundPace is this instance's last drain round of one key: when it
// started and how long it took.
type roundPace struct {
	start time.Time
	took  time.Duration
}

// laneLeft is a connection's background lane's calls left today, as its
// last round saw them (-1 unknown), and when the budget's day ends.
type laneLeft struct {
	calls  int
	dayEnd time.Time
}

// coalesce waits for this instance's next drain round of the connection
// (sync.NextRound: at once when idle, spaced by the window under a stream
// of changes, within the latency target, further apart when the day's
// budget is tight) and claims the round's start.
func (e *Engine) coalesce(ctx context.Context, key roundKey, window, target time.Duration) error {
	if window <= 0 {
		return nil
	}
	for {
		e.mu.Lock()
		now := time.Now()
		p := e.paces[key]
		c := sync.Coalescing{SinceLast: now.Sub(p.start), LastTook: p.took, Window: window, Target: target, LaneLeft: -1}
		if p.start.IsZero() {
			c.SinceLast = math.MaxInt64 // no round yet: idle
		}
		if l, ok := e.lanes[key.conn]; ok && l.dayEnd.After(now) {
			c.LaneLeft, c.DayLeft = l.calls, l.dayEnd.Sub(now)
		}
		wait := sync.NextRound(c)
		if wait <= 0 {
			p.start = now
			e.paces[key] = p
			e.mu.Unlock()
			return nil
		}
		e.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// roundTook records how long a drain round of key took.
func (e *Engine) roundTook(key roundKey, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.paces[key]
	p.took = d
	e.paces[key] = p
}

// Drain processes every pending contact and company event of a connection
// now, in batches, then its conversation events (Tasks, F6.1). The daemon
// does not need it (the drain jobs drain); tools and tests do.
func (e *Engine) Drain(ctx context.Context, connID int64) error {
	conn, err := e.store.GetConnection(ctx, connID)
	if err != nil {
		return err
	}
	for _, drain := range []func(context.Context, store.Connection) (int, error){e.drainOnce, e.drainTasksOnce} {
		for {
			n, err := drain(ctx, conn)
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
	}
	return nil
}

// drainOnce claims one batch of contact and company events and processes
// it. It returns how many events it claimed.
func (e *Engine) drainOnce(ctx context.Context, conn store.Connection) (int, error) {
	return e.drainRound(ctx, conn, engineTopics, (*batch).processEvents)
}

// drainRound claims one batch of events of the given topics and processes
// it with process. It returns how many events it claimed.
func (e *Engine) drainRound(ctx context.Context, conn store.Connection, topics []string,
	process func(*batch, context.Context, []store.WebhookEvent) error) (n int, err error) {
	ctx, r := startRound(ctx, "drain")
	ctx = withRound(ctx, r)
	defer func() {
		if n > 0 || err != nil {
			e.logRound(ctx, conn.ID, r, err)
		}
	}()
	// Each round claims under its own name, so two workers of one
	// instance exclude each other like two instances do.
	owner := fmt.Sprintf("%s/%d", e.opts.Owner, e.rounds.Add(1))
	var evs []store.WebhookEvent
	err = e.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		evs, err = tx.ClaimPendingWebhookEvents(ctx, conn.ID, e.opts.DrainLimit, owner, time.Now().Add(e.opts.Lease), topics...)
		return err
	})
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	ids := make([]int64, len(evs))
	for i, ev := range evs {
		ids[i] = ev.ID
	}
	ctx, stopLease := e.holdLease(ctx, owner, ids)
	defer stopLease()
	release := func(cause error) (int, error) {
		stopLease()
		if lost := context.Cause(ctx); errors.Is(lost, errLeaseLost) {
			cause = errors.Join(lost, cause)
		}
		return 0, errors.Join(cause, e.release(ctx, owner, ids))
	}
	b, err := e.newBatch(ctx, conn, settings.LaneBackground, connection.PurposeBackground)
	if err != nil {
		return release(err)
	}
	ctx = purposeCtx(ctx, connection.PurposeBackground)
	defer e.noteLane(ctx, b)
	if err := process(b, ctx, evs); err != nil {
		return release(err)
	}
	if berr := b.err(); berr != nil {
		if cerr := b.commit(ctx); cerr != nil {
			return release(errors.Join(berr, cerr))
		}
		return release(berr)
	}
	b.ops.processed = ids
	if err := b.commit(ctx); err != nil {
		return release(err)
	}
	return len(evs), nil
}

// newBatch prepares a batch: the connection's clients and bound settings.
func (e *Engine) newBatch(ctx context.Context, conn store.Connection, lane settings.Lane, purpose connection.Purpose) (*batch, error) {
	ctx = purposeCtx(ctx, purpose)
	sf, err := e.opts.Manager.Salesforce(ctx, conn.ID)
	if err != nil {
		return nil, err
	}
	ic, err := e.opts.Manager.Intercom(ctx, conn.ID)
	if err != nil {
		return nil, err
	}
	c, err := e.config(ctx, conn.ID, sf, ic)
	if err != nil {
		var ae *intercom.APIError
		if errors.As(err, &ae) {
			return nil, classifyIC(err)
		}
		return nil, classifySF(err)
	}
	return &batch{e: e, conn: conn, c: c, sf: sf, ic: ic, lane: lane, round: roundFrom(ctx)}, nil
}

// icChange is the collapsed state of one Intercom record in a batch.
type icChange struct {
	kind sync.EventKind
	rec  icRecord
}

// processEvents parses a batch of events, collapses them to the latest state
// per record, applies the trigger tables (F2.3, F2.4) and syncs the pairs.
func (b *batch) processEvents(ctx context.Context, evs []store.WebhookEvent) error {
	contacts := map[string]*icChange{}
	companies := map[string]*icChange{}
	type merge struct{ from, into string }
	var merges []merge
	for _, ev := range evs {
		pe, err := intercom.ParseEvent([]byte(ev.Payload))
		if err == nil && pe.ItemErr != nil {
			err = pe.ItemErr
		}
		if err != nil {
			b.ops.errors = append(b.ops.errors, store.SyncError{ConnectionID: b.conn.ID, Object: "webhook", RecordID: ev.NotificationID,
				Operation: opWebhook, Code: "UNREADABLE_EVENT", Message: err.Error(), RequestBody: ev.Payload})
			continue
		}
		raw := itemMap(pe.Raw)
		kind := eventKind(pe.Topic)
		switch {
		case pe.Contact != nil && pe.Kind == intercom.KindContact:
			if pe.MergedFrom != "" || pe.Topic == "contact.merged" {
				from := pe.MergedFrom
				if from == "" && pe.Contact.MergedFrom != nil {
					from = pe.Contact.MergedFrom.ID
				}
				merges = append(merges, merge{from, pe.Contact.ID})
				delete(contacts, from)
				kind = sync.Updated
			}
			if kind == "" {
				continue
			}
			rec := contactRecord(pe.Contact, raw)
			prev := contacts[pe.Contact.ID]
			if b.staleEvent(prev, rec, pe.Topic) {
				continue
			}
			if prev != nil && kind == sync.Created && prev.kind != sync.Created {
				kind = prev.kind
			}
			contacts[pe.Contact.ID] = &icChange{kind: kind, rec: rec}
		case pe.Company != nil && pe.Kind == intercom.KindCompany && b.c.companyField() != "":
			if kind == "" {
				continue
			}
			rec := companyRecord(pe.Company, raw)
			prev := companies[pe.Company.ID]
			if b.staleEvent(prev, rec, pe.Topic) {
				continue
			}
			if prev != nil && kind == sync.Created && prev.kind != sync.Created {
				kind = prev.kind
			}
			companies[pe.Company.ID] = &icChange{kind: kind, rec: rec}
		}
	}

	var ids []string
	for id := range contacts {
		ids = append(ids, id)
	}
	for id := range companies {
		ids = append(ids, id)
	}
	for _, m := range merges {
		ids = append(ids, m.from, m.into)
	}
	mappings, err := b.e.store.ListMappingsByIntercomIDs(ctx, b.conn.ID, ids)
	if err != nil {
		return err
	}

	// Merges (F2.4): the lead's mapping moves to the user it was merged into.
	var moved []*pair
	for _, mg := range merges {
		from, hasFrom := mappings[mg.from]
		_, hasInto := mappings[mg.into]
		act := sync.Decide(sync.Event{Kind: sync.Merged, Side: sync.Intercom, HasMapping: hasFrom, TargetMapped: hasInto})
		switch act.Kind {
		case sync.ActMoveMapping:
			b.ops.deleteMappings = append(b.ops.deleteMappings, mg.from)
			nm := from
			nm.IntercomID, nm.IntercomRole = mg.into, store.RoleUser
			b.ops.upserts = append(b.ops.upserts, nm)
			mappings[mg.into] = nm
			delete(mappings, mg.from)
			obj, _ := sync.ObjectForSObject(string(from.SFObject))
			moved = append(moved, &pair{object: obj, icID: mg.into, sfObject: string(from.SFObject), sfID: from.SFID, fresh: true,
				origin: store.OriginIntercom, rule: act.Rule})
			if c := contacts[mg.into]; c != nil {
				c.kind = sync.Updated
			}
		case sync.ActDeleteMapping:
			b.ops.deleteMappings = append(b.ops.deleteMappings, mg.from)
			delete(mappings, mg.from)
		}
		b.history("lead", mg.from, from.SFID, store.OriginIntercom, act.Rule, string(act.Kind), "merged into "+mg.into, nil)
	}
	if len(moved) > 0 {
		byObj := map[string][]string{}
		for _, p := range moved {
			byObj[p.sfObject] = append(byObj[p.sfObject], p.sfID)
		}
		for obj, ids := range byObj {
			recs, err := b.getSF(ctx, obj, ids)
			if err != nil {
				return b.stop(err)
			}
			for _, p := range moved {
				if r, ok := recs[p.sfID]; ok && p.sfObject == obj {
					p.sf = &r
					if c := contacts[p.icID]; c != nil {
						p.ic = &c.rec
						delete(contacts, p.icID) // synced by the moved pair
					}
					b.pairs = append(b.pairs, p)
				}
			}
		}
	}

	if err := b.applyChanges(ctx, contacts, mappings, false); err != nil {
		return b.stop(err)
	}
	if err := b.applyChanges(ctx, companies, mappings, true); err != nil {
		return b.stop(err)
	}
	return b.syncPairs(ctx)
}

// staleEvent reports whether rec, from a webhook of topic, is older than
// the change prev already collapsed for the same record in this batch (a
// late redelivery), and records it in the history as stale: the newer
// state is the one synced, whatever order the webhooks came in (F3.5).
func (b *batch) staleEvent(prev *icChange, rec icRecord, topic string) bool {
	if prev == nil || rec.UpdatedAt.IsZero() || !rec.UpdatedAt.Before(prev.rec.UpdatedAt) {
		return false
	}
	b.history(objectName(rec, store.Mapping{}, false), rec.ID, "", store.OriginIntercom, staleRule, "stale",
		fmt.Sprintf("%s of %s ignored: a change of %s was already seen", topic, rec.UpdatedAt.Format(time.RFC3339),
			prev.rec.UpdatedAt.Format(time.RFC3339)), nil)
	return true
}

// staleRule names the rule that ignores older changes in history.
const staleRule = "a change older than the last one seen from the same side is stale"

// stop turns an API error met while matching into the batch's stopping
// error, or returns other errors as they are.
func (b *batch) stop(err error) error {
	var bu *errBudget
	if errors.As(err, &bu) {
		b.budget = bu
		b.fail(&batchError{kind: transient, err: err})
		return nil
	}
	var ae *intercom.APIError
	if errors.As(err, &ae) {
		b.fail(classifyIC(err))
		return nil
	}
	be := classifySF(err)
	if be.kind == permanent {
		return err
	}
	b.fail(be)
	return nil
}

// eventKind maps a webhook topic to the trigger table's event, "" for
// topics that change nothing ferry syncs (archive, tags, subscriptions).
func eventKind(topic string) sync.EventKind {
	switch {
	case strings.HasSuffix(topic, ".created"):
		return sync.Created
	case strings.HasSuffix(topic, ".deleted"):
		return sync.Deleted
	case topic == "contact.merged":
		return sync.Merged
	case strings.HasSuffix(topic, ".updated"), strings.HasSuffix(topic, ".signed_up"), strings.HasSuffix(topic, ".added_email"),
		topic == "contact.unarchive":
		return sync.Updated
	}
	return ""
}

// itemMap returns the webhook's data.item as a JSON object, keeping nulls.
func itemMap(raw json.RawMessage) map[string]any {
	var env struct {
		Data struct {
			Item map[string]any `json:"item"`
		} `json:"data"`
	}
	_ = json.Unmarshal(raw, &env)
	return env.Data.Item
}
