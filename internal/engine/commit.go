package engine

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
)

// commit stores the batch's outcome in one transaction. Sync errors get a
// retry job scheduled far ahead, which the admin's "retry" runs at once
// (F8.2).
func (b *batch) commit(ctx context.Context) error {
	ops := &b.ops
	err := b.e.store.InTx(ctx, func(tx store.Tx) error {
		// Built afresh on each attempt: InTx may run this function again.
		resolve := slices.Clone(ops.resolve)
		var mappedIC, mappedSF []string
		for _, id := range ops.deleteMappings {
			if err := tx.DeleteMappingByIntercomID(ctx, b.conn.ID, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		for _, m := range ops.upserts {
			if _, err := tx.UpsertMapping(ctx, m); err != nil {
				if errors.Is(err, store.ErrConflict) {
					b.e.log.WarnContext(ctx, "mapping conflicts with another one; skipped", "intercom", m.IntercomID, "salesforce", m.SFID)
					continue
				}
				return err
			}
			// Mapped, from whichever side found the match first: a
			// failed lookup of this record no longer needs fixing.
			resolve = append(resolve, store.SyncError{ConnectionID: m.ConnectionID, RecordID: m.IntercomID, Operation: opMatchSalesforce})
			mappedIC, mappedSF = append(mappedIC, m.IntercomID), append(mappedSF, m.SFID)
		}
		// A review of a record now mapped (by a key change, a rematch, a
		// conversion) asks a question already answered: closed, so the
		// admin is never offered a stale choice (F2.2).
		if len(mappedIC) > 0 {
			if _, err := tx.CloseMappedReviews(ctx, b.conn.ID, mappedIC, mappedSF); err != nil {
				return err
			}
		}
		for _, id := range uniq(ops.clearIC) {
			if err := tx.DeleteFieldStates(ctx, b.conn.ID, store.SideIntercom, id); err != nil {
				return err
			}
		}
		for _, id := range uniq(ops.clearSF) {
			if err := tx.DeleteFieldStates(ctx, b.conn.ID, store.SideSalesforce, id); err != nil {
				return err
			}
		}
		if err := tx.PutFieldStates(ctx, dedupeStates(ops.states)); err != nil {
			return err
		}
		history, err := onePerEpisode(ctx, tx, b.conn.ID, ops.history)
		if err != nil {
			return err
		}
		if err := tx.AppendHistoryBatch(ctx, history); err != nil {
			return err
		}
		if len(ops.reviews) > 0 {
			open, err := tx.ListMatchReviews(ctx, b.conn.ID, false)
			if err != nil {
				return err
			}
			// One open review a record: a record seen again by each
			// poll or event is not listed twice.
			subject := func(r store.MatchReview) string {
				if r.FromSalesforce() {
					return "sf:" + r.SFID
				}
				return "ic:" + r.IntercomID
			}
			have := map[string]bool{}
			for _, r := range open {
				have[subject(r)] = true
			}
			for _, r := range ops.reviews {
				if have[subject(r)] {
					continue
				}
				have[subject(r)] = true
				if _, err := tx.AddMatchReview(ctx, r); err != nil {
					return err
				}
			}
		}
		if len(resolve) > 0 {
			// Only records with an open error need resolving: look them
			// up once rather than updating every synced record.
			open, _, err := tx.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: b.conn.ID, Limit: 1000})
			if err != nil {
				return err
			}
			has := map[string]bool{}
			for _, se := range open {
				has[se.RecordID] = true
			}
			for _, r := range resolve {
				if !has[r.RecordID] && len(open) < 1000 {
					continue
				}
				if _, err := tx.ResolveSyncErrors(ctx, r.ConnectionID, r.RecordID, r.Operation); err != nil {
					return err
				}
			}
		}
		for _, se := range ops.errors {
			if !retriedByJob(se.Operation) {
				if _, err := tx.UpsertSyncError(ctx, se); err != nil {
					return err
				}
				continue
			}
			args, at := jobs.RetryRecordArgs{ConnectionID: b.conn.ID, IntercomID: se.RecordID}, b.e.now().Add(b.e.opts.RetryAfter)
			if se.Code == salesforce.CodeInvalidFieldForInsertUpdate && !b.retrying {
				// A field ferry read as writable was refused: it became
				// read-only. Retried at once with the schema read again,
				// the other fields are written and the read-only one's
				// change is kept until it is writable again.
				args.Refused, at = true, b.e.now()
			}
			res, err := tx.Enqueue(ctx, args, jobs.RetryRecordInsertOpts(at))
			if err != nil {
				return err
			}
			se.JobID = &res.Job.ID
			if _, err := tx.UpsertSyncError(ctx, se); err != nil {
				return err
			}
		}
		if err := tx.PutConversationTasks(ctx, ops.convTasks); err != nil {
			return err
		}
		if err := tx.MarkWebhookEventsProcessed(ctx, ops.processed); err != nil {
			return err
		}
		for _, w := range ops.watermarks {
			if err := tx.PutWatermark(ctx, w); err != nil {
				return err
			}
		}
		if ops.initial != nil {
			ok, err := tx.PutInitialSyncProgress(ctx, *ops.initial)
			if err != nil {
				return err
			}
			// A newer run started meanwhile: this step's work stands, its
			// progress belongs to a run that is over.
			b.superseded = !ok
		}
		if ops.backfill != nil {
			state, err := tx.PutBackfillProgress(ctx, *ops.backfill)
			if err != nil {
				return err
			}
			b.backfillState = state
		}
		return nil
	})
	if err == nil {
		b.committed()
	}
	return err
}

func uniq(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// dedupeStates keeps the last row per side, record and field, so one
// statement never upserts the same key twice.
func dedupeStates(rows []store.FieldState) []store.FieldState {
	type key struct{ side, rec, field string }
	idx := map[key]int{}
	var out []store.FieldState
	for _, r := range rows {
		k := key{string(r.Side), r.RecordID, r.Field}
		if i, ok := idx[k]; ok {
			out[i] = r
			continue
		}
		idx[k] = len(out)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b store.FieldState) int {
		return cmp.Or(cmp.Compare(a.Side, b.Side), cmp.Compare(a.RecordID, b.RecordID), cmp.Compare(a.Field, b.Field))
	})
	return out
}

// outcomeRetrying is the history outcome of a record whose sync waits for
// the batch to be retried.
const outcomeRetrying = "retrying"

// onePerEpisode drops "retrying" history entries of records whose newest
// entry already says so: a failure episode is one row however many rounds
// it lasts (a record failing for a day was 187 rows), and the row that ends
// it (ok, error) is written as usual.
func onePerEpisode(ctx context.Context, tx store.Tx, connID int64, entries []store.HistoryEntry) ([]store.HistoryEntry, error) {
	var ids []string
	for _, e := range entries {
		if e.Outcome == outcomeRetrying && e.IntercomID != "" {
			ids = append(ids, e.IntercomID)
		}
	}
	if len(ids) == 0 {
		return entries, nil
	}
	last, err := tx.LatestHistoryOutcomes(ctx, connID, uniq(ids))
	if err != nil {
		return nil, err
	}
	out := entries[:0:0]
	for _, e := range entries {
		if e.IntercomID != "" {
			if e.Outcome == outcomeRetrying && last[e.IntercomID] == outcomeRetrying {
				continue
			}
			last[e.IntercomID] = e.Outcome
		}
		out = append(out, e)
	}
	return out, nil
}
