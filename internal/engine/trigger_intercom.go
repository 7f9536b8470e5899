package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// applyChanges runs the Intercom → Salesforce trigger table for the
// collapsed records of one kind: delete, sync, or match and map.
func (b *batch) applyChanges(ctx context.Context, changes map[string]*icChange, mappings map[string]store.Mapping, company bool) error {
	if len(changes) == 0 {
		return nil
	}
	k, _ := b.c.personKey()
	type todo struct {
		ch   *icChange
		m    store.Mapping
		has  bool
		ev   sync.Event
		rule string
	}
	var need []*todo
	var keys []string
	for id, ch := range changes {
		m, has := mappings[id]
		key := ch.rec.key(k)
		ev := sync.Event{Kind: ch.kind, Side: sync.Intercom, HasMapping: has,
			KeyChanged: has && key != "" && m.MatchKey != "" && key != m.MatchKey}
		act := sync.Decide(ev)
		object := objectName(ch.rec, m, has)
		switch act.Kind {
		case sync.ActDeleteMapping:
			b.ops.deleteMappings = append(b.ops.deleteMappings, id)
			b.history(object, id, m.SFID, store.OriginIntercom, act.Rule, "mapping_deleted", "", nil)
		case sync.ActSyncChanged, sync.ActSyncMapped:
			b.syncMapped(ch, m, act.Rule, key)
		case sync.ActMatch:
			if key == "" {
				// Anonymous visitors change often and can match nothing:
				// no lookup, and no history row per change.
				continue
			}
			need = append(need, &todo{ch: ch, m: m, has: has, ev: ev, rule: act.Rule})
			keys = append(keys, key)
		default:
			b.history(object, id, m.SFID, store.OriginIntercom, act.Rule, string(act.Kind), "", nil)
		}
	}
	if len(need) == 0 {
		return nil
	}
	var cands map[string][]sfRecord
	var refused map[string]error
	var err error
	if company {
		cands, refused, err = b.lookupAccounts(ctx, keys)
	} else {
		cands, refused, err = b.lookupPeople(ctx, keys)
	}
	if err != nil {
		return err
	}
	// A record whose key could not be looked up fails alone: its sync
	// error says why, and the others are matched.
	need = slices.DeleteFunc(need, func(t *todo) bool {
		key := t.ch.rec.key(k)
		if err := refused[key]; err != nil {
			b.lookupError(t.ch.rec, objectName(t.ch.rec, t.m, t.has), key, t.rule, err)
			return true
		}
		b.ops.resolve = append(b.ops.resolve, store.SyncError{ConnectionID: b.conn.ID, RecordID: t.ch.rec.ID, Operation: opMatchSalesforce})
		return false
	})
	// Targets already mapped to another Intercom record cannot be mapped
	// again (one mapping per record on each side).
	taken, err := b.takenTargets(ctx, cands)
	if err != nil {
		return err
	}
	for _, t := range need {
		rec := t.ch.rec
		key := rec.key(k)
		var matchedID string
		var outcome sync.Outcome
		var candIDs []string
		var reason string
		if company {
			accts := make([]sync.SFAccount, 0, len(cands[key]))
			for _, r := range cands[key] {
				accts = append(accts, sync.SFAccount{ID: r.ID, Key: r.Key})
			}
			m := sync.MatchCompany(rec.CompanyID, accts)
			outcome, matchedID, reason = m.Outcome, m.Record.ID, m.Reason
			for _, c := range m.Candidates {
				candIDs = append(candIDs, c.ID)
			}
		} else {
			m := sync.MatchPerson(sync.ICPerson{ID: rec.ID, Role: rec.Role, Email: rec.Email, ExternalID: rec.ExternalID}, k, sfPeople(cands[key]))
			outcome, matchedID, reason = m.Outcome, m.Record.ID, m.Reason
			for _, c := range m.Candidates {
				candIDs = append(candIDs, c.ID)
			}
		}
		mappedID := ""
		if t.has {
			mappedID = t.m.SFID
		}
		t.ev.Found = sync.Classify(outcome, matchedID, candIDs, mappedID)
		act := sync.Decide(t.ev)
		target := findRecord(cands[key], matchedID)
		object := objectName(rec, t.m, t.has)
		switch act.Kind {
		case sync.ActCreateMapping, sync.ActRepoint:
			if owner, ok := taken[target.ID]; ok && owner != rec.ID {
				b.history(object, rec.ID, target.ID, store.OriginIntercom, act.Rule, "skipped",
					fmt.Sprintf("%s %s is already mapped to Intercom %s", target.Object, target.ID, owner), nil)
				continue
			}
			if t.has && t.m.SFID == target.ID {
				b.syncMapped(t.ch, t.m, act.Rule, key)
				continue
			}
			taken[target.ID] = rec.ID
			b.mapPair(rec, target, key, company, act.Rule, store.OriginIntercom)
			if t.has {
				b.ops.clearSF = append(b.ops.clearSF, t.m.SFID)
			}
		case sync.ActReview, sync.ActUnmapReview:
			if act.Kind == sync.ActUnmapReview {
				b.ops.deleteMappings = append(b.ops.deleteMappings, rec.ID)
			}
			b.review(rec.ID, reason, cands[key])
			b.history(object, rec.ID, mappedID, store.OriginIntercom, act.Rule, "multiple_matches", reason, candidateList(cands[key]))
		case sync.ActSyncChanged, sync.ActSyncMapped:
			b.syncMapped(t.ch, t.m, act.Rule, key)
		default:
			b.history(object, rec.ID, mappedID, store.OriginIntercom, act.Rule, "no_match", reason, nil)
		}
	}
	return nil
}

// syncMapped queues an already mapped record's changes, updating the
// mapping's key when it changed but still points at the same record.
func (b *batch) syncMapped(ch *icChange, m store.Mapping, rule, key string) {
	if key != "" && key != m.MatchKey {
		m.MatchKey = key
		b.ops.upserts = append(b.ops.upserts, m)
	}
	obj, _ := sync.ObjectForSObject(string(m.SFObject))
	rec := ch.rec
	b.pairs = append(b.pairs, &pair{object: obj, icID: rec.ID, sfObject: string(m.SFObject), sfID: m.SFID, ic: &rec,
		origin: store.OriginIntercom, rule: rule})
}

// mapPair creates (or re-points) a mapping and queues the pair's first
// sync both ways (F3.4).
func (b *batch) mapPair(rec icRecord, target sfRecord, key string, company bool, rule string, origin store.Origin) {
	m := store.Mapping{ConnectionID: b.conn.ID, Kind: store.MappingPerson, IntercomID: rec.ID, IntercomRole: store.IntercomRole(rec.Role),
		SFObject: store.SalesforceObject(target.Object), SFID: target.ID, MatchKey: key}
	if company {
		m.Kind, m.IntercomRole = store.MappingCompany, ""
	}
	if m.IntercomRole != store.RoleLead && m.IntercomRole != store.RoleUser {
		m.IntercomRole = ""
	}
	b.ops.upserts = append(b.ops.upserts, m)
	obj, _ := sync.ObjectForSObject(target.Object)
	r, t := rec, target
	b.pairs = append(b.pairs, &pair{object: obj, icID: rec.ID, sfObject: target.Object, sfID: target.ID, ic: &r, sf: &t,
		fresh: true, origin: origin, rule: rule})
}

// takenTargets returns, for every candidate record, the Intercom id it is
// already mapped to.
func (b *batch) takenTargets(ctx context.Context, cands map[string][]sfRecord) (map[string]string, error) {
	byObj := map[string][]string{}
	for _, rs := range cands {
		for _, r := range rs {
			byObj[r.Object] = append(byObj[r.Object], r.ID)
		}
	}
	taken := map[string]string{}
	for obj, ids := range byObj {
		ms, err := b.e.store.ListMappingsBySalesforceIDs(ctx, b.conn.ID, store.SalesforceObject(obj), ids)
		if err != nil {
			return nil, err
		}
		for id, m := range ms {
			taken[id] = m.IntercomID
		}
	}
	return taken, nil
}

// review lists an ambiguous match for the admin (F2.2).
func (b *batch) review(icID, reason string, cands []sfRecord) {
	raw, _ := json.Marshal(candidateList(cands))
	b.ops.reviews = append(b.ops.reviews, store.MatchReview{ConnectionID: b.conn.ID, IntercomID: icID, Reason: reason, Candidates: string(raw)})
}

// reviewSalesforce lists a Salesforce record whose key several Intercom
// people share for the admin to pick one (F2.2).
func (b *batch) reviewSalesforce(r sfRecord, reason string, cands []icRecord) {
	raw, _ := json.Marshal(icCandidateList(cands))
	b.ops.reviews = append(b.ops.reviews, store.MatchReview{ConnectionID: b.conn.ID, SFObject: r.Object, SFID: r.ID,
		Reason: reason, Candidates: string(raw)})
}

// icCandidateList describes Intercom candidates for the review list and
// history.
func icCandidateList(cands []icRecord) []map[string]string {
	out := make([]map[string]string, 0, len(cands))
	for _, c := range cands {
		out = append(out, map[string]string{"role": c.Role, "id": c.ID, "email": c.Email, "external_id": c.ExternalID})
	}
	return out
}

// candidateList describes candidates for the review list and history.
func candidateList(cands []sfRecord) []map[string]string {
	out := make([]map[string]string, 0, len(cands))
	for _, c := range cands {
		out = append(out, map[string]string{"object": c.Object, "id": c.ID, "key": c.Key})
	}
	return out
}

func findRecord(recs []sfRecord, id string) sfRecord {
	for _, r := range recs {
		if r.ID == id {
			return r
		}
	}
	return sfRecord{}
}

// objectName names a record's kind for history.
func objectName(rec icRecord, m store.Mapping, has bool) string {
	if has {
		if o, ok := sync.ObjectForSObject(string(m.SFObject)); ok {
			return string(o)
		}
	}
	if rec.Company {
		return string(sync.ObjectCompany)
	}
	if rec.Role == intercom.RoleLead {
		return string(sync.ObjectLead)
	}
	return string(sync.ObjectUser)
}
