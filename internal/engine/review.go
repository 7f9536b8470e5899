package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// keyPrefixes are the standard objects' id prefixes.
var keyPrefixes = map[string]string{"00Q": "Lead", "003": "Contact", "001": "Account"}

// EnqueueMapRecord asks the engine to map an Intercom record to the
// Salesforce record the admin picked for an ambiguous match (F2.2). Call it
// in the transaction that resolves the review.
func EnqueueMapRecord(ctx context.Context, tx store.Tx, connID int64, intercomID, salesforceID string) error {
	if _, err := tx.Enqueue(ctx, jobs.MapRecordArgs{ConnectionID: connID, IntercomID: intercomID, SalesforceID: salesforceID}, nil); err != nil {
		return fmt.Errorf("engine: enqueue map record: %w", err)
	}
	return nil
}

// MapRecord implements jobs.Syncer: it maps the Intercom record to the
// chosen Salesforce record, replacing any mapping it had, and syncs the new
// pair both ways once (F3.4). A Salesforce record already mapped to another
// Intercom record is left alone and the refusal recorded in the history.
func (e *Engine) MapRecord(ctx context.Context, conn store.Connection, args jobs.MapRecordArgs) error {
	return e.jobError(ctx, conn.ID, e.mapRecord(ctx, conn, args))
}

func (e *Engine) mapRecord(ctx context.Context, conn store.Connection, args jobs.MapRecordArgs) error {
	object := keyPrefixes[args.SalesforceID[:min(3, len(args.SalesforceID))]]
	if object == "" {
		return river.JobCancel(fmt.Errorf("engine: %s is not a Lead, Contact or Account id", args.SalesforceID))
	}
	b, err := e.newBatch(ctx, conn, settings.LaneBackground, connection.PurposeBackground)
	if err != nil {
		return err
	}
	ctx = purposeCtx(ctx, connection.PurposeBackground)
	recs, err := b.getSF(ctx, object, []string{args.SalesforceID})
	if err != nil {
		return err
	}
	target, ok := recs[args.SalesforceID]
	if !ok {
		return river.JobCancel(fmt.Errorf("engine: %s %s does not exist", object, args.SalesforceID))
	}
	company := object == "Account"
	var rec icRecord
	if company {
		c, err := b.ic.GetCompany(ctx, args.IntercomID)
		if err != nil {
			return err
		}
		rec = companyRecord(c, nil)
	} else {
		c, err := b.ic.GetContact(ctx, args.IntercomID)
		if err != nil {
			return err
		}
		rec = contactRecord(c, nil)
	}
	rule := "the admin picked the match of an ambiguous record"
	taken, err := e.store.ListMappingsBySalesforceIDs(ctx, conn.ID, store.SalesforceObject(object), []string{target.ID})
	if err != nil {
		return err
	}
	if m, ok := taken[target.ID]; ok && m.IntercomID != rec.ID {
		b.history(string(objectOf(object)), rec.ID, target.ID, store.OriginFerry, rule, "skipped",
			fmt.Sprintf("%s %s is already mapped to Intercom %s", object, target.ID, m.IntercomID), nil)
		return b.commit(ctx)
	}
	if old, err := e.store.GetMappingByIntercomID(ctx, conn.ID, rec.ID); err == nil && old.SFID != target.ID {
		b.ops.clearSF = append(b.ops.clearSF, old.SFID)
	}
	k, _ := b.c.personKey()
	key := strings.TrimSpace(rec.key(k))
	b.mapPair(rec, target, key, company, rule, store.OriginFerry)
	if err := b.syncPairs(ctx); err != nil {
		return err
	}
	if err := b.commit(ctx); err != nil {
		return err
	}
	return b.err()
}
