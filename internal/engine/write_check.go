package engine

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// checkWrites decides, for every pair about to write Intercom changes to a
// Salesforce record whose current values the batch does not hold, how the
// write keeps a later Salesforce change from being overwritten
// (sync.CheckWrite, F3.5), and reads the records that must be read first.
// Writes of fields that flow to Salesforce only need no check at all: the
// common case costs one write and no read.
func (b *batch) checkWrites(ctx context.Context, st states) error {
	read := map[string][]*pair{}
	for _, p := range b.pairs {
		p.check = ""
		if !b.needsCheck(p) {
			continue
		}
		p.check = sync.CheckWrite(b.bothWay(p), p.ic.UpdatedAt)
		if p.check == sync.ReadFirst {
			read[p.sfObject] = append(read[p.sfObject], p)
		}
	}
	return b.readForCheck(ctx, st, read)
}

// needsCheck: the pair writes Intercom values to a Salesforce record the
// batch has not read.
func (b *batch) needsCheck(p *pair) bool {
	return p.sf == nil && p.ic != nil && !p.gone && len(p.plan.ToSalesforce) > 0
}

// bothWay: a field the pair writes to Salesforce is mapped both ways.
func (b *batch) bothWay(p *pair) bool {
	return sync.BothWayWrite(b.c.mappings[p.object], p.plan.ToSalesforce)
}

// bothWay returns the mappings of ms that flow both ways.
func bothWay(ms []sync.Mapping) []sync.Mapping {
	var out []sync.Mapping
	for _, m := range ms {
		if m.Direction == sync.DirBoth {
			out = append(out, m)
		}
	}
	return out
}

// readForCheck reads the both-way fields of the pairs' Salesforce records
// (one query per IN list) and plans each pair again with both sides'
// values, so the latest change wins field by field; the pairs are then
// written as planned. A record converted or deleted since the last poll
// ends the pair's sync as the poll would have.
func (b *batch) readForCheck(ctx context.Context, st states, read map[string][]*pair) error {
	for _, object := range slices.Sorted(maps.Keys(read)) {
		ps := read[object]
		ids := make([]string, 0, len(ps))
		for _, p := range ps {
			ids = append(ids, p.sfID)
		}
		recs, err := b.getSFChecked(ctx, object, ids)
		if err != nil {
			if err := b.stop(err); err != nil {
				return err
			}
			for _, ps := range read {
				for _, p := range ps {
					p.okSF, p.okIC = false, false
				}
			}
			return nil
		}
		for _, p := range ps {
			r, ok := recs[p.sfID]
			switch {
			case ok && r.IsConverted:
				b.sfGone(p, true)
			case ok:
				p.sf = &r
				b.planPair(p, st)
				p.check = sync.WriteBlind // just read
			default:
				b.sfGone(p, false)
			}
		}
	}
	return nil
}

// getSFChecked reads records by id with what a write check needs: their
// both-way mapped fields, SystemModstamp and (Leads) whether converted. It
// uses sObject Collections' retrieve: 2,000 records a call, where a query's
// IN list takes 300.
func (b *batch) getSFChecked(ctx context.Context, object string, ids []string) (map[string]sfRecord, error) {
	obj, _ := sync.ObjectForSObject(object)
	fields := []string{"Id", "SystemModstamp"}
	if object == "Lead" {
		fields = append(fields, "IsConverted", "ConvertedContactId")
	}
	for _, m := range bothWay(b.c.mappings[obj]) {
		if !slices.Contains(fields, m.Field.Name) {
			fields = append(fields, m.Field.Name)
		}
	}
	recs, err := b.sf.RetrieveMany(ctx, object, ids, fields)
	if err != nil {
		return nil, err
	}
	out := make(map[string]sfRecord, len(recs))
	for _, r := range recs {
		if r == nil {
			continue // deleted
		}
		rec := newSFRecord(object, r, "", false)
		rec.checked = true
		out[rec.ID] = rec
	}
	return out, nil
}

// sfGone ends a pair whose Salesforce record was found converted or
// deleted since the last poll, by a read or by a refused write; nothing is
// written to it.
func (b *batch) sfGone(p *pair, converted bool) {
	p.okSF, p.gone, p.sfReq, p.sfErr = false, true, nil, nil
	if converted {
		// Writes to it fail (CANNOT_UPDATE_CONVERTED_LEAD). The poll moves
		// the mapping to the Contact and syncs both ways then (F2.4, F3.4).
		b.history(string(p.object), p.icID, p.sfID, store.OriginIntercom, "Lead converted in Salesforce: the change syncs "+
			"to the Contact once the conversion is polled", "deferred", "", nil)
		return
	}
	// The mapping ends (F2.3), as the poll of the delete would have done.
	b.ops.deleteMappings = append(b.ops.deleteMappings, p.icID)
	b.history(string(p.object), p.icID, p.sfID, store.OriginSalesforce,
		"person deleted in Salesforce: delete the identity mapping only", "mapping_deleted", "", nil)
}

// sfRecordError applies one record's failed Salesforce write: a record
// deleted or converted since the last poll ends the pair's sync, a
// transient error stops the batch for a retry, and any other error is the
// record's own sync error (F8.2).
func (b *batch) sfRecordError(p *pair, err error) {
	p.okSF = false
	code, fields := "", []string(nil)
	var re *salesforce.RecordError
	var ae *salesforce.APIError
	if errors.As(err, &re) {
		code, fields = re.StatusCode, re.Fields
	} else if errors.As(err, &ae) {
		code, fields = ae.Code, ae.Fields
	}
	switch {
	case code == salesforce.CodeEntityIsDeleted || code == salesforce.CodeNotFound ||
		code == codeInvalidCrossReference && len(fields) == 0:
		b.sfGone(p, false)
		return
	case code == salesforce.CodeCannotUpdateConvertedLead && p.sfObject == "Lead":
		b.sfGone(p, true)
		return
	}
	if ce := classifySF(err); ce.kind != permanent {
		b.fail(ce) // UNABLE_TO_LOCK_ROW: retry the batch
		return
	}
	p.sfErr = err
}

// codeInvalidCrossReference is Salesforce's answer to an update of a record
// id that does not exist (any more); with fields named, it is about a
// reference field's value instead.
const codeInvalidCrossReference = "INVALID_CROSS_REFERENCE_KEY"
