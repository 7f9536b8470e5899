package engine

import (
	"context"
	"fmt"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

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
