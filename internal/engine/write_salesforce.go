package engine

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/ferrysync/ferry/internal/sync"
)

// writeSalesforce sends the planned Salesforce writes: first those made on
// condition (sync.WriteIfUnmodified), one Composite call per 25 records;
// the records Salesforce refused as modified are read, planned again and
// written with the rest, one Collections call per 200 records of one
// object.
func (b *batch) writeSalesforce(ctx context.Context, st states) error {
	cond, blind := map[string][]*pair{}, map[string][]*pair{}
	for _, p := range b.pairs {
		if p.gone || len(p.plan.ToSalesforce) == 0 {
			continue
		}
		if p.check == sync.WriteIfUnmodified {
			cond[p.sfObject] = append(cond[p.sfObject], p)
		} else {
			blind[p.sfObject] = append(blind[p.sfObject], p)
		}
	}
	refused := map[string][]*pair{}
	for _, object := range slices.Sorted(maps.Keys(cond)) {
		if r := b.writeConditional(ctx, object, cond[object]); len(r) > 0 {
			refused[object] = r
		}
	}
	if len(refused) > 0 {
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

// writeConditional writes pairs of one object, each on the condition that
// Salesforce has not modified the record since the second before the
// Intercom change (sync.UnmodifiedSince), and returns the pairs refused.
func (b *batch) writeConditional(ctx context.Context, object string, ps []*pair) (refused []*pair) {
	for start := 0; start < len(ps); start += sync.MaxConditionalWrites {
		chunk := ps[start:min(start+sync.MaxConditionalWrites, len(ps))]
		if !b.spend(ctx, 1, chunk) {
			continue
		}
		recs := make([]map[string]any, len(chunk))
		since := make([]time.Time, len(chunk))
		for i, p := range chunk {
			rec := map[string]any{"Id": p.sfID}
			maps.Copy(rec, p.plan.ToSalesforce)
			p.sfReq, recs[i], since[i] = rec, rec, sync.UnmodifiedSince(p.ic.UpdatedAt)
		}
		results, err := b.sf.UpdateIfUnmodified(ctx, object, recs, since)
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
		for i, r := range results {
			p := chunk[i]
			switch {
			case r.Modified:
				p.sfReq = nil // nothing written
				refused = append(refused, p)
			case r.Err != nil:
				b.sfRecordError(p, r.Err)
			}
		}
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
