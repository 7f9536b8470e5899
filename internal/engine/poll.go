package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
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

// Poll implements jobs.Syncer: it reads each object's changes since its
// watermark (F3.3) with one query per object, ordered by SystemModstamp and
// Id, and applies them page by page, saving the watermark after each page,
// then reads the object's deletes. A poll interrupted half way resumes from
// the last saved page; re-read records are skipped by their SystemModstamp.
func (e *Engine) Poll(ctx context.Context, conn store.Connection) error {
	return e.jobError(ctx, conn.ID, e.poll(ctx, conn))
}

func (e *Engine) poll(ctx context.Context, conn store.Connection) error {
	// A connection nobody started the initial sync for (connected by a
	// path that did not call StartInitialSync) gets it now, with its
	// polls starting from here.
	if rows, err := e.store.ListInitialSyncs(ctx, conn.ID); err != nil {
		return err
	} else if len(rows) == 0 {
		if err := e.store.InTx(ctx, func(tx store.Tx) error { return StartInitialSync(ctx, tx, conn.ID, e.now()) }); err != nil {
			return err
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
	if last, err := e.store.GetWatermark(ctx, conn.ID, lastPollMark); err == nil && !force(ctx) &&
		now.Sub(last.SystemModstamp) < base.c.doc.Poll()-time.Second {
		return nil
	}
	if err := e.store.InTx(ctx, func(tx store.Tx) error {
		return tx.PutWatermark(ctx, store.Watermark{ConnectionID: conn.ID, Object: lastPollMark, SystemModstamp: now})
	}); err != nil {
		return err
	}
	objects := []string{"Lead", "Contact"}
	if base.c.companyField() != "" {
		objects = append(objects, "Account")
	}
	for _, object := range objects {
		if err := e.pollObject(ctx, base, object); err != nil {
			return err
		}
		if err := e.pollDeleted(ctx, base, object); err != nil {
			return err
		}
	}
	return nil
}

// fresh returns a new batch sharing base's clients and settings.
func (b *batch) fresh() *batch {
	return &batch{e: b.e, conn: b.conn, c: b.c, sf: b.sf, ic: b.ic, lane: b.lane}
}

// pollObject reads and applies one object's changes.
func (e *Engine) pollObject(ctx context.Context, base *batch, object string) error {
	wm, err := e.store.GetWatermark(ctx, base.conn.ID, object)
	if errors.Is(err, store.ErrNotFound) {
		// No initial sync stored a starting point: start now, importing
		// nothing (the initial sync is what matches existing records).
		wm = store.Watermark{ConnectionID: base.conn.ID, Object: object, SystemModstamp: e.now().Add(-e.opts.PollOverlap)}
		if err := e.store.InTx(ctx, func(tx store.Tx) error { return tx.PutWatermark(ctx, wm) }); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	k, field := base.c.personKey()
	if object == "Account" {
		field = base.c.companyField()
	}
	obj, _ := sync.ObjectForSObject(object)
	since := wm.SystemModstamp.Add(-e.opts.PollOverlap)
	q := fmt.Sprintf("SELECT %s FROM %s WHERE SystemModstamp >= %s ORDER BY SystemModstamp, Id",
		strings.Join(selectFields(base.c, object, field, base.c.mappings[obj]), ", "), object, salesforce.SOQLDateTime(since))
	if err := e.checkBudget(ctx, base.conn.ID, base.c, base.sf, base.lane, 1); err != nil {
		return err
	}
	var chunk []sfRecord
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		last := chunk[len(chunk)-1]
		b := base.fresh()
		err := b.applySalesforce(ctx, object, chunk)
		chunk = chunk[:0]
		if err != nil {
			return err
		}
		if berr := b.err(); berr != nil {
			if cerr := b.commit(ctx); cerr != nil {
				return errors.Join(berr, cerr)
			}
			return berr
		}
		if last.Modstamp.After(wm.SystemModstamp) || (last.Modstamp.Equal(wm.SystemModstamp) && last.ID > wm.LastID) {
			wm.SystemModstamp, wm.LastID = last.Modstamp, last.ID
		}
		b.ops.watermarks = append(b.ops.watermarks, wm)
		return b.commit(ctx)
	}
	for r, err := range base.sf.Query(ctx, q) {
		if err != nil {
			return fmt.Errorf("engine: poll %s: %w", object, err)
		}
		chunk = append(chunk, newSFRecord(object, r, field, k == sync.KeyEmail && object != "Account"))
		if len(chunk) == e.opts.BatchSize {
			if err := flush(); err != nil {
				return err
			}
			// The next page is another call: check the budget first.
			if err := e.checkBudget(ctx, base.conn.ID, base.c, base.sf, base.lane, 1); err != nil {
				return err
			}
		}
	}
	return flush()
}

// applySalesforce runs the Salesforce → Intercom trigger table (F2.3,
// F2.4) for polled records and syncs the pairs.
func (b *batch) applySalesforce(ctx context.Context, object string, recs []sfRecord) error {
	connID := b.conn.ID
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	st, err := b.e.store.GetFieldStates(ctx, connID, store.SideSalesforce, ids)
	if err != nil {
		return err
	}
	seen := states{sf: st}
	var todo []sfRecord
	for _, r := range recs {
		if seen.modstamp(r.ID) == r.Modstamp.Format(sync.SFDateTimeLayout) {
			continue // read again by the overlap or a resumed poll
		}
		todo = append(todo, r)
	}
	if len(todo) == 0 {
		return nil
	}
	mappings, err := b.e.store.ListMappingsBySalesforceIDs(ctx, connID, store.SalesforceObject(object), ids)
	if err != nil {
		return err
	}
	markSeen := func(r sfRecord) {
		b.ops.states = append(b.ops.states, store.FieldState{ConnectionID: connID, Side: store.SideSalesforce, RecordID: r.ID,
			Field: modstampField, Value: r.Modstamp.Format(sync.SFDateTimeLayout), Origin: store.OriginSalesforce, ChangedAt: r.Modstamp})
	}
	k, _ := b.c.personKey()
	company := object == "Account"
	var need []sfRecord
	var converted []sfRecord
	for _, r := range todo {
		m, has := mappings[r.ID]
		if r.IsConverted {
			if r.ConvertedContactID != "" {
				converted = append(converted, r)
			}
			markSeen(r)
			continue
		}
		ev := sync.Event{Kind: sync.Updated, Side: sync.Salesforce, HasMapping: has,
			KeyChanged: has && r.Key != "" && m.MatchKey != "" && r.Key != m.MatchKey}
		act := sync.Decide(ev)
		switch act.Kind {
		case sync.ActSyncMapped, sync.ActSyncChanged:
			b.syncPolled(r, m, act.Rule)
		case sync.ActMatch:
			if r.Key == "" {
				markSeen(r)
				continue
			}
			need = append(need, r)
		default:
			markSeen(r)
		}
	}
	if err := b.applyConversions(ctx, converted); err != nil {
		return b.stop(err)
	}
	if len(need) > 0 {
		if err := b.matchPolled(ctx, need, mappings, company, k, markSeen); err != nil {
			return b.stop(err)
		}
	}
	return b.syncPairs(ctx)
}

// syncPolled queues a mapped record's values for Intercom.
func (b *batch) syncPolled(r sfRecord, m store.Mapping, rule string) {
	if r.Key != "" && r.Key != m.MatchKey {
		m.MatchKey = r.Key
		b.ops.upserts = append(b.ops.upserts, m)
	}
	obj, _ := sync.ObjectForSObject(r.Object)
	rec := r
	b.pairs = append(b.pairs, &pair{object: obj, icID: m.IntercomID, sfObject: r.Object, sfID: r.ID, sf: &rec,
		origin: store.OriginSalesforce, rule: rule})
}

// matchPolled matches unmapped (or re-keyed) Salesforce records against
// Intercom and maps single matches.
func (b *batch) matchPolled(ctx context.Context, need []sfRecord, mappings map[string]store.Mapping, company bool, k sync.PersonKey, markSeen func(sfRecord)) error {
	cands := map[string][]icRecord{}
	if company {
		for _, r := range need {
			c, err := b.ic.GetCompanyByCompanyID(ctx, r.Key)
			if err != nil {
				if isICNotFound(err) {
					continue
				}
				return err
			}
			cands[r.Key] = append(cands[r.Key], companyRecord(c, nil))
		}
	} else {
		var keys []string
		for _, r := range need {
			keys = append(keys, r.Key)
		}
		var err error
		if cands, err = b.lookupContacts(ctx, keys); err != nil {
			return err
		}
	}
	var icIDs []string
	for _, cs := range cands {
		for _, c := range cs {
			icIDs = append(icIDs, c.ID)
		}
	}
	taken, err := b.e.store.ListMappingsByIntercomIDs(ctx, b.conn.ID, icIDs)
	if err != nil {
		return err
	}
	for _, r := range need {
		m, has := mappings[r.ID]
		mappedIC := ""
		if has {
			mappedIC = m.IntercomID
		}
		var outcome sync.Outcome
		var matchedID, reason string
		var candIDs []string
		if company {
			if len(cands[r.Key]) == 1 {
				outcome, matchedID = sync.Matched, cands[r.Key][0].ID
			}
		} else {
			mt := sync.MatchIntercom(sync.SFPerson{Object: r.Object, ID: r.ID, Key: r.Key, IsConverted: r.IsConverted}, k, icPeople(cands[r.Key]))
			outcome, matchedID, reason = mt.Outcome, mt.Record.ID, mt.Reason
			for _, c := range mt.Candidates {
				candIDs = append(candIDs, c.ID)
			}
		}
		act := sync.Decide(sync.Event{Kind: sync.Updated, Side: sync.Salesforce, HasMapping: has,
			KeyChanged: has, Found: sync.Classify(outcome, matchedID, candIDs, mappedIC)})
		object := string(objectOf(r.Object))
		switch act.Kind {
		case sync.ActCreateMapping, sync.ActRepoint:
			var target icRecord
			for _, c := range cands[r.Key] {
				if c.ID == matchedID {
					target = c
				}
			}
			if tm, ok := taken[target.ID]; ok && tm.SFID != r.ID {
				b.history(object, target.ID, r.ID, store.OriginSalesforce, act.Rule, "skipped",
					fmt.Sprintf("Intercom %s is already mapped to %s %s", target.ID, tm.SFObject, tm.SFID), nil)
				markSeen(r)
				continue
			}
			if has && mappedIC != target.ID {
				b.ops.deleteMappings = append(b.ops.deleteMappings, mappedIC)
				b.ops.clearIC = append(b.ops.clearIC, mappedIC)
			}
			taken[target.ID] = store.Mapping{SFID: r.ID, SFObject: store.SalesforceObject(r.Object)}
			b.mapPair(target, r, r.Key, company, act.Rule, store.OriginSalesforce)
		case sync.ActSyncMapped, sync.ActSyncChanged:
			b.syncPolled(r, m, act.Rule)
		case sync.ActUnmapReview:
			b.ops.deleteMappings = append(b.ops.deleteMappings, mappedIC)
			b.history(object, mappedIC, r.ID, store.OriginSalesforce, act.Rule, "multiple_matches", reason, nil)
			markSeen(r)
		default:
			b.history(object, mappedIC, r.ID, store.OriginSalesforce, act.Rule, string(act.Kind), reason, nil)
			markSeen(r)
		}
	}
	return nil
}

// applyConversions moves the mappings of converted Leads to their Contacts
// (F2.4) and syncs the new pairs both ways once.
func (b *batch) applyConversions(ctx context.Context, leads []sfRecord) error {
	if len(leads) == 0 {
		return nil
	}
	var leadIDs, contactIDs []string
	for _, l := range leads {
		leadIDs = append(leadIDs, l.ID)
		contactIDs = append(contactIDs, l.ConvertedContactID)
	}
	leadMaps, err := b.e.store.ListMappingsBySalesforceIDs(ctx, b.conn.ID, store.ObjectLead, leadIDs)
	if err != nil {
		return err
	}
	contactMaps, err := b.e.store.ListMappingsBySalesforceIDs(ctx, b.conn.ID, store.ObjectContact, contactIDs)
	if err != nil {
		return err
	}
	var move []sfRecord
	for _, l := range leads {
		m, has := leadMaps[l.ID]
		_, target := contactMaps[l.ConvertedContactID]
		act := sync.Decide(sync.Event{Kind: sync.Converted, Side: sync.Salesforce, HasMapping: has, TargetMapped: target})
		switch act.Kind {
		case sync.ActMoveMapping:
			move = append(move, l)
		case sync.ActDeleteMapping:
			b.ops.deleteMappings = append(b.ops.deleteMappings, m.IntercomID)
			b.history(string(sync.ObjectLead), m.IntercomID, l.ID, store.OriginSalesforce, act.Rule, "mapping_deleted", "", nil)
		case sync.ActMatch:
			// The new Contact is polled as a Contact and matched then.
		default:
			if has {
				b.history(string(sync.ObjectLead), m.IntercomID, l.ID, store.OriginSalesforce, act.Rule, string(act.Kind), "", nil)
			}
		}
	}
	if len(move) == 0 {
		return nil
	}
	var ids []string
	for _, l := range move {
		ids = append(ids, l.ConvertedContactID)
	}
	contacts, err := b.getSF(ctx, "Contact", ids)
	if err != nil {
		return err
	}
	for _, l := range move {
		m := leadMaps[l.ID]
		c, ok := contacts[l.ConvertedContactID]
		if !ok {
			continue
		}
		rule := "Lead qualified into a Contact: move the mapping to the Contact (seed 001, F2.4)"
		icr := icRecord{ID: m.IntercomID, Role: string(m.IntercomRole)}
		var icp *icRecord
		if got, err := b.ic.GetContact(ctx, m.IntercomID); err == nil {
			icr = contactRecord(got, nil)
			icp = &icr
		} else if !isICNotFound(err) {
			return err
		}
		nm := m
		nm.SFObject, nm.SFID, nm.MatchKey = store.ObjectContact, c.ID, c.Key
		promote := icp != nil && icp.Role == intercom.RoleLead
		if promote {
			nm.IntercomRole = store.RoleUser
		}
		b.ops.upserts = append(b.ops.upserts, nm)
		b.ops.clearSF = append(b.ops.clearSF, l.ID)
		cc := c
		b.pairs = append(b.pairs, &pair{object: sync.ObjectUser, icID: m.IntercomID, sfObject: "Contact", sfID: c.ID, ic: icp, sf: &cc,
			fresh: true, promote: promote, origin: store.OriginSalesforce, rule: rule})
	}
	return nil
}

// pollDeleted reads an object's deletes since its delete watermark and
// deletes their mappings only (F2.3): the Intercom records stay.
func (e *Engine) pollDeleted(ctx context.Context, base *batch, object string) error {
	name := object + deletedSuffix
	now := e.now()
	wm, err := e.store.GetWatermark(ctx, base.conn.ID, name)
	if errors.Is(err, store.ErrNotFound) {
		wm = store.Watermark{ConnectionID: base.conn.ID, Object: name, SystemModstamp: now.Add(-e.opts.PollOverlap)}
	} else if err != nil {
		return err
	}
	// The resource has minute granularity and keeps 15 days.
	start := wm.SystemModstamp.Add(-time.Minute)
	if min15 := now.Add(-15 * 24 * time.Hour).Add(time.Minute); start.Before(min15) {
		start = min15
	}
	if err := e.checkBudget(ctx, base.conn.ID, base.c, base.sf, base.lane, 1); err != nil {
		return err
	}
	res, err := base.sf.Deleted(ctx, object, start, now)
	if err != nil {
		return fmt.Errorf("engine: deleted %s: %w", object, err)
	}
	b := base.fresh()
	if len(res.Records) > 0 {
		var ids []string
		for _, r := range res.Records {
			ids = append(ids, r.ID)
		}
		ms, err := e.store.ListMappingsBySalesforceIDs(ctx, base.conn.ID, store.SalesforceObject(object), ids)
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
	}
	covered := res.LatestDateCovered
	if covered.IsZero() || covered.After(now) {
		covered = now
	}
	b.ops.watermarks = append(b.ops.watermarks, store.Watermark{ConnectionID: base.conn.ID, Object: name, SystemModstamp: covered})
	return b.commit(ctx)
}

func objectOf(sobject string) sync.Object {
	o, _ := sync.ObjectForSObject(sobject)
	return o
}
