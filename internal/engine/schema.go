package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/setupcheck"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// A mapped Salesforce field can disappear under ferry: hidden from the
// connected user by field-level security, or deleted. Until the schema is
// read again every query naming it fails with INVALID_FIELD. The engine
// then reads the schema again at once (the setup check records the problem
// with its fix, so the connection shows it), leaves the lost field out of
// queries and writes, and keeps the other fields syncing both ways. Changes
// to the lost field's Intercom attribute are kept as sync errors with a
// retry; when a later check finds the field back, the retries run and the
// object's poll reads again what Salesforce changed meanwhile.

// schemaChanged reports a Salesforce call refused because a field it names
// does not exist for the connected user (any more).
func schemaChanged(err error) bool {
	var ae *salesforce.APIError
	return errors.As(err, &ae) && ae.Code == salesforce.CodeInvalidField
}

// rebind drops the connection's cached schema and returns a batch bound to
// the schema read again.
func (e *Engine) rebind(ctx context.Context, base *batch) (*batch, error) {
	e.invalidate(base.conn.ID)
	e.log.WarnContext(ctx, "a Salesforce field ferry uses is gone; reading the schema again", "connection", base.conn.ID)
	return e.newBatch(ctx, base.conn, base.lane, connection.PurposeBackground)
}

// objectFeature is the sync feature that needs an object's key field.
func objectFeature(object string) setupcheck.Feature {
	switch object {
	case "Lead":
		return setupcheck.LeadSync
	case "Contact":
		return setupcheck.UserSync
	}
	return setupcheck.AccountSync
}

// keptChanges returns, by Salesforce field, the Intercom values of a pair's
// paused mappings (F1.4: field missing or read-only) that changed since
// ferry last synced them: they cannot be written now and are kept.
func (b *batch) keptChanges(p *pair, state sync.RecordState) map[string]any {
	if p.ic == nil {
		return nil
	}
	var out map[string]any
	for _, m := range b.c.paused[p.object] {
		if !sync.Direction(m.Direction).Allows(sync.Intercom) {
			continue
		}
		v := p.ic.get(m.Intercom)
		prev, known := state.Intercom[m.Intercom]
		if p.fresh {
			known = false
		}
		switch {
		case known && (sync.HashValue(v) == sync.HashValue(prev.Value) || sync.HashValue(v) == prev.WrittenHash):
			continue
		case !known && (v == nil || v == ""):
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[m.Salesforce] = v
	}
	return out
}

// keep records a pair's kept changes as one open sync error whose retry
// runs when the field is back; a pair synced from Intercom with nothing
// kept resolves it.
func (b *batch) keep(p *pair) {
	if len(p.kept) == 0 {
		if p.ic != nil && p.okSF {
			b.ops.resolve = append(b.ops.resolve, store.SyncError{ConnectionID: b.conn.ID, RecordID: p.icID, Operation: connection.OpKeptChange})
		}
		return
	}
	fields := make([]string, 0, len(p.kept))
	for f := range p.kept {
		fields = append(fields, f)
	}
	slices.Sort(fields)
	why := b.c.setup.Problems
	var fix []string
	for _, pr := range why {
		if pr.Object == p.sfObject && slices.ContainsFunc(pr.Mapped, func(f string) bool { return slices.Contains(fields, f) }) {
			fix = append(fix, pr.Message+". Fix: "+pr.Fix)
		}
	}
	msg := fmt.Sprintf("change to %s.%s kept: the field is missing, hidden or read-only for the connected Salesforce user; "+
		"it is written once ferry can write the field again. %s", p.sfObject, strings.Join(fields, ", "), strings.Join(fix, " "))
	rec := map[string]any{"Id": p.sfID}
	for f, v := range p.kept {
		rec[f] = v
	}
	body, _ := json.Marshal(map[string]any{"object": p.sfObject, "records": []any{rec}})
	details, _ := json.Marshal(map[string]any{"salesforce_id": p.sfID, "intercom_id": p.icID, "object": string(p.object), "fields": fields})
	b.ops.errors = append(b.ops.errors, store.SyncError{ConnectionID: b.conn.ID, Object: p.sfObject, RecordID: p.icID,
		Operation: connection.OpKeptChange, Code: connection.CodeFieldUnavailable, Message: strings.TrimSpace(msg),
		Details: string(details), RequestBody: string(body)})
}

// forgetKept leaves the Intercom values of a pair's kept changes out of the
// state stored: a mapping that still syncs Salesforce to Intercom (its
// field became read-only) would otherwise record them as seen, and they
// would not count as changes when the field is writable again.
func (b *batch) forgetKept(p *pair, rs sync.RecordState) {
	for _, m := range b.c.paused[p.object] {
		if _, ok := p.kept[m.Salesforce]; ok {
			delete(rs.Intercom, m.Intercom)
		}
	}
}

// pausedMappings returns the mappings of doc whose field the setup check
// found missing or read-only, by object.
func pausedMappings(doc settings.Document, res setupcheck.Result) map[sync.Object][]settings.Mapping {
	out := map[sync.Object][]settings.Mapping{}
	for _, m := range doc.Mappings {
		obj := sync.Object(m.Object)
		if obj.SObject() != "" && res.Paused(obj.SObject(), m.Salesforce) {
			out[obj] = append(out[obj], m)
		}
	}
	return out
}
