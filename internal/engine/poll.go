package engine

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/setupcheck"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// deletedSuffix names the watermark of an object's deletes.
const deletedSuffix = ":deleted"

// lastPollMark names the watermark row holding when the connection was last
// polled.
const lastPollMark = "poll:last"

type forceKey struct{}

// ForcePoll marks ctx so that Poll runs even if the connection's poll
// interval has not elapsed (tools, tests, a "sync now" button).
func ForcePoll(ctx context.Context) context.Context { return context.WithValue(ctx, forceKey{}, true) }

func force(ctx context.Context) bool { v, _ := ctx.Value(forceKey{}).(bool); return v }

// Poll implements jobs.Syncer: it reads every polled object's changes
// since its watermark (F3.3), ordered by SystemModstamp and Id, and its
// deletes, all in one Composite call (one API call however many objects),
// and applies them page by page, saving the watermark after each page. A
// poll interrupted half way resumes from the last saved page; re-read
// records are skipped by their SystemModstamp.
//
// While Salesforce refuses calls (the API limit, API access off: the
// connection's state says which), a poll only checks, with backoff, whether
// it accepts them again; the one that finds it does catches up at once.
func (e *Engine) Poll(ctx context.Context, conn store.Connection) error {
	if conn.State.APIPaused() {
		ok, err := e.probeAPI(ctx, conn)
		if err != nil || !ok {
			return err
		}
		conn.State, conn.Cause = store.StateConnected, ""
		ctx = ForcePoll(ctx)
		e.catchUp(ctx, conn)
	} else {
		e.drainOrphans(ctx, conn)
	}
	ctx, r := startRound(ctx, "poll")
	ctx = withRound(ctx, r)
	err := e.poll(ctx, conn)
	if err != nil || len(r.moved) > 0 || r.calls.Load() > 0 {
		e.logRound(ctx, conn.ID, r, err)
	}
	if cause := apiPauseCause(err); cause != "" {
		// Not snoozed: a snoozed poll would keep the next ones out (polls
		// are unique per connection). The next tick's poll probes.
		e.pauseAPI(ctx, conn.ID, cause, err)
		return nil
	}
	return e.jobError(ctx, conn.ID, err)
}

func (e *Engine) poll(ctx context.Context, conn store.Connection) error {
	// A connection nobody started the initial sync for (connected by a
	// path that did not call StartInitialSync) gets it now, with its
	// polls starting from here.
	rows, err := e.store.ListInitialSyncs(ctx, conn.ID)
	if err != nil {
		return err
	} else if len(rows) == 0 {
		if err := e.store.InTx(ctx, func(tx store.Tx) error { return StartInitialSync(ctx, tx, conn.ID, e.now()) }); err != nil {
			return err
		}
	}
	// The overlap never reaches before the latest initial sync run began:
	// what changed before is that run's to match and sync (a run started
	// when matching restarts covers everything, as the first does), and
	// polling it too would do the same work twice: all of it, for an org
	// loaded just before connecting.
	var floor time.Time
	for _, r := range rows {
		if r.StartedAt.After(floor) {
			floor = r.StartedAt
		}
	}
	base, err := e.newBatch(ctx, conn, settings.LaneBackground, connection.PurposeBackground)
	if err != nil {
		return err
	}
	ctx = purposeCtx(ctx, connection.PurposeBackground)
	// The settings' poll interval (F3.3) applies per connection; the
	// queue's ticks may come more often.
	now := e.now()
	interval := e.pollInterval(base.c.doc)
	// While the change stream is healthy, the objects it carries are
	// polled only to reconcile, at the longer interval (or at once after
	// the stream's mode changed: a missed window to read).
	objects := PolledObjects(base.c.doc)
	streamed, reconcile, atOnce, err := e.streamedNow(ctx, conn.ID, base.c.doc, now)
	if err != nil {
		return err
	}
	if !reconcile {
		objects = slices.DeleteFunc(objects, func(o string) bool { return slices.Contains(streamed, o) })
	}
	if last, err := e.store.GetWatermark(ctx, conn.ID, lastPollMark); err == nil && e.opts.SettingsPollInterval && !force(ctx) &&
		!atOnce && !(reconcile && len(streamed) > 0) && now.Sub(last.SystemModstamp) < interval-time.Second {
		return nil
	}
	if err := e.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.PutWatermark(ctx, store.Watermark{ConnectionID: conn.ID, Object: lastPollMark, SystemModstamp: now}); err != nil {
			return err
		}
		if !reconcile {
			return nil
		}
		return tx.PutWatermark(ctx, store.Watermark{ConnectionID: conn.ID, Object: reconciledMark, SystemModstamp: now})
	}); err != nil {
		return err
	}
	var reads []*objectRead
	for _, object := range objects {
		if ok, why := base.c.setup.Feature(objectFeature(object)); !ok {
			// Its key field is gone: nothing can be matched until the
			// admin fixes it (the setup check shows how).
			e.log.WarnContext(ctx, "not polling "+object+": "+why, "connection", conn.ID)
			continue
		}
		r, err := e.planObject(ctx, base, object, now, floor)
		if err != nil {
			return err
		}
		reads = append(reads, r)
	}
	owners, err := e.planAccountOwners(ctx, base)
	if err != nil {
		return err
	}
	// The schema is read again every CatalogTTL. When that falls before
	// the next poll, this poll's call reads the describes too, and the
	// refresh takes them from the client's cache: it costs no call.
	var describe []string
	// A poll late by up to an interval (a minute at most) still finds
	// them read.
	if time.Since(base.c.loadedAt)+interval+min(interval, time.Minute) >= e.opts.CatalogTTL {
		describe = setupcheck.Objects
	}
	answers, err := e.pollReads(ctx, base, reads, owners, describe)
	if err != nil {
		return err
	}
	for _, obj := range describe {
		// An object that cannot be described is left to the refresh,
		// which reads it again and says why.
		_, _ = base.sf.StoreDescribe(obj, answers[describeRef(obj)])
	}
	for _, r := range reads {
		err := e.pollObject(ctx, base, r, base.sf.QueryResult(ctx, answers[r.queryRef()]))
		if schemaChanged(err) {
			// A field was hidden or deleted since the schema was read:
			// read it again and poll without it (a call of its own).
			if base, err = e.rebind(ctx, base); err == nil {
				r.query = objectQuery(base.c, r.object, r.since)
				if err = e.checkBudget(ctx, base.conn.ID, base.c, base.sf, base.lane, 1); err == nil {
					err = e.pollObject(ctx, base, r, base.sf.Query(ctx, r.query))
				}
			}
		}
		if err != nil {
			return err
		}
		if err := e.pollDeleted(ctx, base, r, answers[r.deletedRef()]); err != nil {
			return err
		}
	}
	if owners == nil {
		return nil
	}
	return e.pollAccountOwners(ctx, base, owners, answers[ownersRef])
}

// objectRead is what one poll reads of one object: its changes since its
// watermark and its deletes since its delete watermark.
type objectRead struct {
	object string
	wm     store.Watermark
	since  time.Time
	// floor: records changed before it are the initial sync's to match.
	floor time.Time
	query string
	// The deletes' window, and the watermark it moves.
	delWM      store.Watermark
	start, end time.Time
}

func (r *objectRead) queryRef() string   { return r.object + "_changes" }
func (r *objectRead) deletedRef() string { return r.object + "_deleted" }

// describeRef names an object's describe subrequest.
func describeRef(object string) string { return object + "_describe" }

// ownersRef names the Account owner poll's subrequest.
const ownersRef = "Account_owners"

// planObject reads an object's watermarks and builds its reads.
func (e *Engine) planObject(ctx context.Context, base *batch, object string, now, floor time.Time) (*objectRead, error) {
	wm, err := e.store.GetWatermark(ctx, base.conn.ID, object)
	if errors.Is(err, store.ErrNotFound) {
		// No initial sync stored a starting point: start now, importing
		// nothing (the initial sync is what matches existing records).
		wm = store.Watermark{ConnectionID: base.conn.ID, Object: object, SystemModstamp: now.Add(-e.opts.PollOverlap)}
		if err := e.store.InTx(ctx, func(tx store.Tx) error { return tx.PutWatermark(ctx, wm) }); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	// Records polled up to the watermark were applied already: the
	// overlap is for those committed late, which a run started after them
	// reads itself.
	if wm.SystemModstamp.Before(floor) {
		floor = wm.SystemModstamp
	}
	since := wm.SystemModstamp.Add(-e.opts.PollOverlap)
	if since.Before(floor) {
		since = floor
	}
	r := &objectRead{object: object, wm: wm, since: since, floor: floor, query: objectQuery(base.c, object, since), end: now}
	name := object + deletedSuffix
	r.delWM, err = e.store.GetWatermark(ctx, base.conn.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		r.delWM = store.Watermark{ConnectionID: base.conn.ID, Object: name, SystemModstamp: now.Add(-e.opts.PollOverlap)}
	} else if err != nil {
		return nil, err
	}
	// The resource has minute granularity and keeps 15 days.
	r.start = r.delWM.SystemModstamp.Add(-time.Minute)
	if min15 := now.Add(-15 * 24 * time.Hour).Add(time.Minute); r.start.Before(min15) {
		r.start = min15
	}
	return r, nil
}

// objectQuery is the SOQL of an object's changes since a time.
func objectQuery(c *connConfig, object string, since time.Time) string {
	_, field := c.personKey()
	if object == "Account" {
		field = c.companyField()
	}
	obj, _ := sync.ObjectForSObject(object)
	return fmt.Sprintf("SELECT %s FROM %s WHERE SystemModstamp >= %s ORDER BY SystemModstamp, Id",
		strings.Join(selectFields(c, object, field, c.mappings[obj]), ", "), object, salesforce.SOQLDateTime(since))
}

// pollReads sends a poll's reads (every object's changes and deletes, the
// Account owners' changes) as one Composite call and returns the answers
// by reference. A read Salesforce refused is answered with its error,
// which its reader returns.
func (e *Engine) pollReads(ctx context.Context, base *batch, reads []*objectRead, owners *ownersRead, describe []string) (map[string]salesforce.SubResponse, error) {
	var subs []salesforce.Subrequest
	for _, obj := range describe {
		d, err := base.sf.DescribeSubrequest(describeRef(obj), obj)
		if err != nil {
			return nil, err
		}
		subs = append(subs, d)
	}
	for _, r := range reads {
		d, err := base.sf.DeletedSubrequest(r.deletedRef(), r.object, r.start, r.end)
		if err != nil {
			return nil, err
		}
		subs = append(subs, base.sf.QuerySubrequest(r.queryRef(), r.query), d)
	}
	if owners != nil {
		subs = append(subs, base.sf.QuerySubrequest(ownersRef, owners.query))
	}
	if len(subs) == 0 {
		return nil, nil
	}
	return base.compositeReads(ctx, "poll", subs)
}

// streamedNow returns the objects a healthy change stream carries (none
// when the connection polls), whether their reconciling poll is due (the
// reconcile interval passed, or this poll is forced; with no object
// streamed every poll reconciles), and whether it is due at once, whatever
// the poll interval: the stream's mode changed since the last
// reconciliation (it fell back to polling, or started again from the
// newest event), so a window may have been missed.
func (e *Engine) streamedNow(ctx context.Context, connID int64, doc settings.Document, now time.Time) (streamed []string, reconcile, atOnce bool, err error) {
	if !doc.Stream() {
		return nil, true, false, nil
	}
	cs, err := e.store.GetChangeStream(ctx, connID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, true, false, nil
	} else if err != nil {
		return nil, false, false, err
	}
	last, err := e.store.GetWatermark(ctx, connID, reconciledMark)
	switch {
	case errors.Is(err, store.ErrNotFound):
		last = store.Watermark{}
	case err != nil:
		return nil, false, false, err
	}
	atOnce = !cs.ModeSince.IsZero() && cs.ModeSince.After(last.SystemModstamp)
	if cs.Mode != store.StreamModeStream || cs.HeldUntil.Before(time.Now()) || len(cs.Objects) == 0 {
		return nil, true, atOnce, nil
	}
	due := atOnce || force(ctx) || now.Sub(last.SystemModstamp) >= doc.Reconcile()-time.Second
	return cs.Objects, due, atOnce, nil
}

// fresh returns a new batch sharing base's clients and settings.
func (b *batch) fresh() *batch {
	return &batch{e: b.e, conn: b.conn, c: b.c, sf: b.sf, ic: b.ic, lane: b.lane, round: b.round, replayed: b.replayed}
}

// pollObject applies one object's changes, read by records (the first
// page came with the poll's Composite call; each next page is one call).
func (e *Engine) pollObject(ctx context.Context, base *batch, read *objectRead, records iter.Seq2[salesforce.Record, error]) error {
	object, wm := read.object, read.wm
	k, field := base.c.personKey()
	if object == "Account" {
		field = base.c.companyField()
	}
	var chunk []sfRecord
	skipped := 0
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		last := chunk[len(chunk)-1]
		err := e.applyChunk(ctx, base, object, chunk, nil, func(b *batch) {
			if last.Modstamp.After(wm.SystemModstamp) || (last.Modstamp.Equal(wm.SystemModstamp) && last.ID > wm.LastID) {
				wm.SystemModstamp, wm.LastID = last.Modstamp, last.ID
			}
			b.ops.watermarks = append(b.ops.watermarks, wm)
		})
		chunk = chunk[:0]
		return err
	}
	for r, err := range records {
		if err != nil {
			return fmt.Errorf("engine: poll %s: %w", object, err)
		}
		rec := newSFRecord(object, r, field, k == sync.KeyEmail && object != "Account")
		if rec.Modstamp.Before(read.floor) {
			// Changed before the first initial sync began (queries
			// compare whole seconds): the initial sync's.
			skipped++
			continue
		}
		chunk = append(chunk, rec)
		if len(chunk) == e.opts.PollChunk {
			if err := flush(); err != nil {
				return err
			}
			// The next page is another call: check the budget first.
			if err := e.checkBudget(ctx, base.conn.ID, base.c, base.sf, base.lane, 1); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	// Only records of the initial sync's second were read, and no change
	// came after them: move the watermark past that second once the
	// overlap has passed it, or every poll would read them again.
	past := read.floor.Truncate(time.Second).Add(time.Second).Add(e.opts.PollOverlap)
	if skipped > 0 && !wm.SystemModstamp.After(read.wm.SystemModstamp) && past.After(wm.SystemModstamp) && !read.end.Before(past) {
		wm.SystemModstamp, wm.LastID = past, ""
		return e.store.InTx(ctx, func(tx store.Tx) error { return tx.PutWatermark(ctx, wm) })
	}
	return nil
}

// pollDeleted applies an object's deletes, read with the poll: it deletes
// their mappings only (F2.3); the Intercom records stay.
func (e *Engine) pollDeleted(ctx context.Context, base *batch, read *objectRead, answer salesforce.SubResponse) error {
	object, now := read.object, read.end
	res, err := salesforce.ParseDeleted(answer)
	if err != nil {
		return fmt.Errorf("engine: deleted %s: %w", object, err)
	}
	b := base.fresh()
	if len(res.Records) > 0 {
		var ids []string
		for _, r := range res.Records {
			ids = append(ids, r.ID)
		}
		if err := b.salesforceDeleted(ctx, object, ids); err != nil {
			return err
		}
	}
	covered := res.LatestDateCovered
	if covered.IsZero() || covered.After(now) {
		covered = now
	}
	b.ops.watermarks = append(b.ops.watermarks, store.Watermark{ConnectionID: base.conn.ID, Object: read.delWM.Object, SystemModstamp: covered},
		// The object's poll ends here: its changes and deletes were read.
		store.Watermark{ConnectionID: base.conn.ID, Object: polledMark(object), SystemModstamp: now})
	return b.commit(ctx)
}

// applyChunk applies Salesforce records of one object, polled, streamed or
// read by id, in a batch of their own (F3.3): the same trigger table,
// matching, conflict rules and history whichever way they arrived. prepare,
// if set, adds to the batch first (a stream's deletes); done, if set, runs
// when the records applied without a batch-stopping error, before the
// commit (a poll's watermark). A batch-stopping error commits what was done
// and is returned.
func (e *Engine) applyChunk(ctx context.Context, base *batch, object string, recs []sfRecord,
	prepare func(b *batch) error, done func(b *batch)) error {
	b := base.fresh()
	if prepare != nil {
		if err := prepare(b); err != nil {
			return err
		}
	}
	if len(recs) > 0 {
		if err := b.applySalesforce(ctx, object, recs); err != nil {
			return err
		}
	}
	if berr := b.err(); berr != nil {
		if cerr := b.commit(ctx); cerr != nil {
			return errors.Join(berr, cerr)
		}
		return berr
	}
	if done != nil {
		done(b)
	}
	return b.commit(ctx)
}

// salesforceDeleted ends the mappings of deleted Salesforce records (F2.3):
// the Intercom records stay.
func (b *batch) salesforceDeleted(ctx context.Context, object string, ids []string) error {
	ms, err := b.e.store.ListMappingsBySalesforceIDs(ctx, b.conn.ID, store.SalesforceObject(object), ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		m, has := ms[id]
		act := sync.Decide(sync.Event{Kind: sync.Deleted, Side: sync.Salesforce, HasMapping: has})
		if act.Kind != sync.ActDeleteMapping {
			continue
		}
		b.ops.deleteMappings = append(b.ops.deleteMappings, m.IntercomID)
		b.ops.clearSF = append(b.ops.clearSF, id)
		b.history(string(objectOf(object)), m.IntercomID, id, store.OriginSalesforce, act.Rule, "mapping_deleted", "", nil)
	}
	return nil
}

func objectOf(sobject string) sync.Object {
	o, _ := sync.ObjectForSObject(sobject)
	return o
}
