package engine

import (
	"context"
	"errors"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// RetryRecord implements jobs.Syncer: the retry of a sync error
// (F8.2). The schema is read again first, since the admin may have fixed
// the field that refused the value; then the record is synced from its
// current Intercom state. A success resolves the error; a new failure
// updates it and schedules another retry job.
func (e *Engine) RetryRecord(ctx context.Context, conn store.Connection, args jobs.RetryRecordArgs) error {
	return e.jobError(ctx, conn.ID, e.retryRecord(ctx, conn, args))
}

func (e *Engine) retryRecord(ctx context.Context, conn store.Connection, args jobs.RetryRecordArgs) error {
	e.invalidate(conn.ID)
	b, err := e.newBatch(ctx, conn, settings.LaneBackground, connection.PurposeBackground)
	if err != nil {
		return err
	}
	b.retrying = true
	ctx = purposeCtx(ctx, connection.PurposeBackground)
	m, err := e.store.GetMappingByIntercomID(ctx, conn.ID, args.IntercomID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	company := err == nil && m.Kind == store.MappingCompany
	var rec icRecord
	if company {
		c, err := b.ic.GetCompany(ctx, args.IntercomID)
		if err != nil {
			return e.retryGone(ctx, b, args, err)
		}
		rec = companyRecord(c, nil)
	} else {
		c, err := b.ic.GetContact(ctx, args.IntercomID)
		if err != nil {
			return e.retryGone(ctx, b, args, err)
		}
		rec = contactRecord(c, nil)
	}
	mappings := map[string]store.Mapping{}
	if m.ID != 0 {
		mappings[m.IntercomID] = m
	}
	if err := b.applyChanges(ctx, map[string]*icChange{rec.ID: {kind: sync.Updated, rec: rec}}, mappings, company); err != nil {
		if err := b.stop(err); err != nil {
			return err
		}
	}
	if b.failed == nil {
		if err := b.syncPairs(ctx); err != nil {
			return err
		}
	}
	if err := b.commit(ctx); err != nil {
		return err
	}
	return b.err()
}

// retryGone resolves the errors of a record that no longer exists in
// Intercom: there is nothing left to sync.
func (e *Engine) retryGone(ctx context.Context, b *batch, args jobs.RetryRecordArgs, err error) error {
	if !isICNotFound(err) {
		return err
	}
	b.ops.resolve = append(b.ops.resolve, store.SyncError{ConnectionID: args.ConnectionID, RecordID: args.IntercomID})
	b.history("", args.IntercomID, "", store.OriginFerry, "retry of a sync error", "resolved", "the Intercom record no longer exists", nil)
	return b.commit(ctx)
}
