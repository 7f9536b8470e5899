package engine

import (
	"context"
	"errors"
	"maps"
	"slices"
)

// writeSalesforce sends the planned Salesforce writes, one Collections call
// per 200 records of one object.
func (b *batch) writeSalesforce(ctx context.Context) {
	byObject := map[string][]*pair{}
	for _, p := range b.pairs {
		if len(p.plan.ToSalesforce) > 0 {
			byObject[p.sfObject] = append(byObject[p.sfObject], p)
		}
	}
	for _, object := range slices.Sorted(maps.Keys(byObject)) {
		ps := byObject[object]
		if b.failed != nil {
			for _, p := range ps {
				p.okSF = false
			}
			continue
		}
		calls := (len(ps) + b.e.opts.BatchSize - 1) / b.e.opts.BatchSize
		if err := b.e.checkBudget(ctx, b.conn.ID, b.c, b.sf, b.lane, calls); err != nil {
			var bu *errBudget
			if errors.As(err, &bu) {
				b.budget = bu
			}
			b.fail(&batchError{kind: transient, err: err})
			for _, p := range ps {
				p.okSF = false
			}
			continue
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
						p.okSF = false
						if ce := classifySF(rerr); ce.kind != permanent {
							b.fail(ce) // UNABLE_TO_LOCK_ROW: retry the batch
							continue
						}
						p.sfErr = rerr
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
}
