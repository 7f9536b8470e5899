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
		if !r.partial && seen.modstamp(r.ID) == r.Modstamp.Format(sync.SFDateTimeLayout) {
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
		if r.partial {
			return // the next poll reads the whole record
		}
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
	// A person found by the poll is matched by the legacy rules with every
	// Lead and Contact that shares the key (F2.2), as when Intercom finds
	// the match first: one query per object per IN list, for the keys that
	// lead to an Intercom person.
	var sfCands map[string][]sfRecord
	if !company {
		var keys []string
		for _, r := range need {
			if len(cands[r.Key]) > 0 {
				keys = append(keys, r.Key)
			}
		}
		// The keys are Salesforce's own field values, short enough for
		// any query: none is refused for its length.
		var err error
		if sfCands, _, err = b.lookupPeople(ctx, keys); err != nil {
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
	takenSF, err := b.takenTargets(ctx, sfCands)
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
		var review []sfRecord // Salesforce records tying for one Intercom person
		object := string(objectOf(r.Object))
		if company {
			if len(cands[r.Key]) == 1 {
				outcome, matchedID = sync.Matched, cands[r.Key][0].ID
			}
		} else {
			recs := sfCands[r.Key]
			if findRecord(recs, r.ID).ID == "" {
				recs = append(recs, r)
			}
			pm := sync.MatchFromSalesforce(sync.SFPerson{Object: r.Object, ID: r.ID, Key: r.Key, IsConverted: r.IsConverted}, k,
				icPeople(cands[r.Key]), sfPeople(recs))
			outcome, matchedID, reason = pm.Outcome, pm.Intercom.ID, pm.Reason
			for _, c := range pm.ICCandidates {
				candIDs = append(candIDs, c.ID)
			}
			switch {
			case pm.Outcome == sync.Matched && pm.Salesforce.ID != r.ID:
				// The person goes to another record (a Contact over this
				// Lead): map it there; this record stays as it is.
				b.mapElsewhere(r, m, has, findIC(cands[r.Key], pm.Intercom.ID), findRecord(recs, pm.Salesforce.ID), reason, taken, takenSF)
				markSeen(r)
				continue
			case pm.Outcome == sync.Ambiguous && pm.Intercom.ID != "":
				for _, c := range pm.SFCandidates {
					review = append(review, findRecord(recs, c.ID))
				}
				if tm, ok := taken[pm.Intercom.ID]; ok && findRecord(review, tm.SFID).ID != "" && tm.SFID != r.ID {
					// Mapped already to one of the tying records: that
					// mapping stands, as when Intercom re-matches it.
					markSeen(r)
					continue
				}
				matchedID, candIDs = "", []string{pm.Intercom.ID}
			}
		}
		act := sync.Decide(sync.Event{Kind: sync.Updated, Side: sync.Salesforce, HasMapping: has,
			KeyChanged: has, Found: sync.Classify(outcome, matchedID, candIDs, mappedIC)})
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
		case sync.ActReview, sync.ActUnmapReview:
			if act.Kind == sync.ActUnmapReview {
				b.ops.deleteMappings = append(b.ops.deleteMappings, mappedIC)
			}
			icID := mappedIC
			var listed any
			switch {
			case review != nil:
				// F2.2: the Intercom person is listed for the admin to pick
				// one of the tying records.
				icID = candIDs[0]
				b.review(icID, reason, review)
				listed = candidateList(review)
			case !company && len(candIDs) > 1:
				// F2.2: several Intercom people share the record's key:
				// the record is listed for the admin to pick one.
				var people []icRecord
				for _, id := range candIDs {
					people = append(people, findIC(cands[r.Key], id))
				}
				b.reviewSalesforce(r, reason, people)
				listed = icCandidateList(people)
			}
			b.history(object, icID, r.ID, store.OriginSalesforce, act.Rule, "multiple_matches", reason, listed)
			markSeen(r)
		default:
			b.history(object, mappedIC, r.ID, store.OriginSalesforce, act.Rule, string(act.Kind), reason, nil)
			markSeen(r)
		}
	}
	return nil
}

// mapElsewhere maps Intercom person p to target, the record the legacy rules
// give it instead of the polled record r (F2.2: a Contact wins over Leads).
// r's own mapping stands unless it was p's, which moves to target.
func (b *batch) mapElsewhere(r sfRecord, m store.Mapping, has bool, p icRecord, target sfRecord, reason string,
	taken map[string]store.Mapping, takenSF map[string]string) {
	object := string(objectOf(target.Object))
	rule := "person updated in Salesforce: try to match; the Intercom person goes to the record the multiple-match rules pick"
	if owner, ok := takenSF[target.ID]; ok && owner != p.ID {
		b.history(object, p.ID, target.ID, store.OriginSalesforce, rule, "skipped",
			fmt.Sprintf("%s %s is already mapped to Intercom %s", target.Object, target.ID, owner), nil)
		return
	}
	tm, ok := taken[p.ID]
	switch {
	case ok && tm.SFID == target.ID:
		return // mapped there already (before, or earlier in this batch)
	case ok && tm.SFID != r.ID:
		b.history(object, p.ID, target.ID, store.OriginSalesforce, rule, "skipped",
			fmt.Sprintf("Intercom %s is already mapped to %s %s", p.ID, tm.SFObject, tm.SFID), nil)
		return
	case ok:
		b.ops.clearSF = append(b.ops.clearSF, r.ID) // p was r's: it moves
	}
	if has && m.IntercomID != p.ID {
		// r keeps its own mapping; its values sync as any update's.
		b.syncPolled(r, m, "person updated in Salesforce: sync all mapped attributes to Intercom")
	}
	taken[p.ID] = store.Mapping{SFID: target.ID, SFObject: store.SalesforceObject(target.Object)}
	takenSF[target.ID] = p.ID
	b.mapPair(p, target, target.Key, false, rule+": "+reason, store.OriginSalesforce)
}

// findIC returns the Intercom record with id among recs.
func findIC(recs []icRecord, id string) icRecord {
	for _, r := range recs {
		if r.ID == id {
			return r
		}
	}
	return icRecord{}
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
		rule := "Lead qualified into a Contact: move the mapping to the Contact"
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
