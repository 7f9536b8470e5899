package engine

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/sync"
)

// writeSalesforce sends the planned Salesforce writes: first those made on
// condition (sync.WriteIfUnmodified), in Composite Graph calls of up to 500
// records; the records Salesforce refused as modified are read, planned
// again and written with the rest, one Collections call per 200 records of
// one object.
func (b *batch) writeSalesforce(ctx context.Context, st states) error {
	var cond []*pair
	blind := map[string][]*pair{}
	for _, p := range b.pairs {
		if p.gone || len(p.plan.ToSalesforce) == 0 {
			continue
		}
		if p.check == sync.WriteIfUnmodified {
			cond = append(cond, p)
		} else {
			blind[p.sfObject] = append(blind[p.sfObject], p)
		}
	}
	if refused := b.writeConditional(ctx, cond); len(refused) > 0 {
		if err := b.readForCheck(ctx, st, refused); err != nil {
			return err
		}
		for _, ps := range refused {
			for _, p := range ps {
				if !p.gone && p.okSF && len(p.plan.ToSalesforce) > 0 {
					blind[p.sfObject] = append(blind[p.sfObject], p)
				}
			}
		}
	}
	for _, object := range slices.Sorted(maps.Keys(blind)) {
		b.writeCollections(ctx, object, blind[object])
	}
	return nil
}

// spend checks the API budget for calls more calls of the batch's lane
// (F8.1); when it refuses, the batch stops and ps are not written.
func (b *batch) spend(ctx context.Context, calls int, ps []*pair) bool {
	if b.failed != nil {
		for _, p := range ps {
			p.okSF = false
		}
		return false
	}
	if err := b.e.checkBudget(ctx, b.conn.ID, b.c, b.sf, b.lane, calls); err != nil {
		var bu *errBudget
		if errors.As(err, &bu) {
			b.budget = bu
		}
		b.fail(&batchError{kind: transient, err: err})
		for _, p := range ps {
			p.okSF = false
		}
		return false
	}
	return true
}

// writeConditional writes pairs (of any object), each on the condition that
// Salesforce has not modified the record since the second before the
// Intercom change (sync.UnmodifiedSince), and returns the pairs refused, by
// object. Each call carries graphs of sync.GraphSize records: a graph is
// all or nothing, so when one record is refused or fails, the others of
// its graph are sent again in the next call.
func (b *batch) writeConditional(ctx context.Context, ps []*pair) (refused map[string][]*pair) {
	refused = map[string][]*pair{}
	settled, failed := 0, 0
	for pending := ps; len(pending) > 0; {
		size := sync.GraphSize(len(pending), settled, failed)
		n := min(len(pending), sync.RecordsPerCall(size))
		chunk := pending[:n]
		pending = pending[n:]
		if !b.spend(ctx, 1, chunk) {
			continue
		}
		graphs := make([][]salesforce.ConditionalUpdate, 0, (n+size-1)/size)
		for start := 0; start < n; start += size {
			g := make([]salesforce.ConditionalUpdate, 0, size)
			for _, p := range chunk[start:min(start+size, n)] {
				rec := map[string]any{"Id": p.sfID}
				maps.Copy(rec, p.plan.ToSalesforce)
				p.sfReq = rec
				g = append(g, salesforce.ConditionalUpdate{Object: p.sfObject, Record: rec, Since: sync.UnmodifiedSince(p.ic.UpdatedAt)})
			}
			graphs = append(graphs, g)
		}
		results, err := b.sf.UpdateIfUnmodified(ctx, graphs)
		if err != nil {
			for _, p := range chunk {
				p.okSF = false
				if ce := classifySF(err); ce.kind != permanent {
					b.fail(ce)
					continue
				}
				p.sfErr = err
			}
			continue
		}
		var again []*pair
		for i, g := range results {
			for j, r := range g {
				p := chunk[i*size+j]
				switch {
				case r.RolledBack:
					p.sfReq = nil // nothing written; sent again
					again = append(again, p)
					continue
				case r.Modified:
					p.sfReq = nil // nothing written
					refused[p.sfObject] = append(refused[p.sfObject], p)
					failed++
				case r.Err != nil:
					b.sfRecordError(p, r.Err)
					failed++
				}
				settled++
			}
		}
		if len(again) == n {
			// Salesforce ran none of the call's graphs: retry the batch
			// rather than loop.
			b.fail(&batchError{kind: transient, err: errors.New("salesforce: composite graph call wrote nothing")})
			for _, p := range again {
				p.okSF = false
			}
			continue
		}
		pending = append(again, pending...)
	}
	return refused
}

// writeCollections writes pairs of one object without condition, one
// Collections call per BatchSize records.
func (b *batch) writeCollections(ctx context.Context, object string, ps []*pair) {
	calls := (len(ps) + b.e.opts.BatchSize - 1) / b.e.opts.BatchSize
	if !b.spend(ctx, calls, ps) {
		return
	}
	recs := make([]map[string]any, len(ps))
	for i, p := range ps {
		rec := map[string]any{"Id": p.sfID}
		maps.Copy(rec, p.plan.ToSalesforce)
		p.sfReq = rec
		recs[i] = rec
	}
	for start := 0; start < len(recs); start += b.e.opts.BatchSize {
		end := min(start+b.e.opts.BatchSize, len(recs))
		results, err := b.sf.UpdateMany(ctx, object, recs[start:end], false)
		for i, p := range ps[start:end] {
			if i < len(results) {
				if rerr := results[i].Err(); rerr != nil {
					b.sfRecordError(p, rerr)
				}
				continue
			}
			p.okSF = false
			if ce := classifySF(err); ce.kind != permanent {
				b.fail(ce)
				continue
			}
			p.sfErr = err
		}
		if err != nil && b.failed != nil {
			for _, p := range ps[end:] {
				p.okSF = false
			}
			break
		}
	}
}
