package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce/pubsub"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// streamTopic is the channel carrying the change events of every object
// selected for Change Data Capture; each event names its object.
const streamTopic = "/data/ChangeEvents"

// reconciledMark names the watermark row holding when the streamed objects
// were last polled in full (the reconciliation, F3.3).
const reconciledMark = "poll:reconciled"

// sfAttrSource is the Salesforce field each SALESFORCE_* attribute shows
// (F3.6), for a change event that holds only the fields that changed. The
// owner's attributes are missing: an owner change reads the record whole.
var sfAttrSource = map[string]string{
	sync.AttrSalesforceStatus: "Status",
	sync.AttrSalesforceTitle:  "Title",
}

// has reports whether a record holds a field.
func (s sfRecord) has(field string) bool {
	_, ok := s.rec.Get(field)
	return ok
}

// topicOf is the per-object change event channel, e.g. /data/LeadChangeEvent.
func topicOf(object string) string { return "/data/" + object + "ChangeEvent" }

// isEcho reports whether a change event's origin is ferry's own write to
// the connection's org (Sforce-Call-Options: client=…).
func isEcho(origin, client string) bool {
	_, rest, ok := strings.Cut(origin, "client=")
	if !ok {
		return false
	}
	name, _, _ := strings.Cut(rest, ";")
	return strings.TrimSuffix(name, "/") == client
}

// streamEvents is a batch of change events sorted into what the engine does
// with each object's records.
type streamEvents struct {
	// partial: records whose changed fields the events carry, by object,
	// in arrival order (one record per id, later changes merged in).
	partial map[string][]*sfRecord
	// fetch: records to read whole, by id: new, undeleted or unmapped
	// records, gaps, key, owner or conversion changes.
	fetch map[string][]string
	// deleted: deleted records, by object.
	deleted map[string][]string
	// reconcile: objects to read by a query from their watermark
	// (overflow, wildcard ids, undecodable events).
	reconcile map[string]bool
	echoes    int
	events    int
	// last is the newest commit time among the events.
	last time.Time
}

// sortEvents sorts events of the objects ferry syncs; others are counted
// and left out.
func (e *Engine) sortEvents(ctx context.Context, base *batch, evs []pubsub.ChangeEvent) (*streamEvents, error) {
	se := &streamEvents{partial: map[string][]*sfRecord{}, fetch: map[string][]string{}, deleted: map[string][]string{},
		reconcile: map[string]bool{}}
	objects := PolledObjects(base.c.doc)
	client := connection.SalesforceClientName(base.conn)
	_, personField := base.c.personKey()
	byID := map[string]*sfRecord{}
	fetching := map[string]bool{}
	fetch := func(object, id string) {
		if !fetching[id] {
			fetching[id] = true
			se.fetch[object] = append(se.fetch[object], id)
		}
		delete(byID, id)
	}
	// Which records are mapped decides whether a change is synced from
	// the event (mapped) or read whole to be matched (unmapped).
	ids := map[string][]string{}
	for _, ev := range evs {
		if ev.Err == nil && ev.ChangeType == "UPDATE" {
			ids[ev.Entity] = append(ids[ev.Entity], ev.RecordIDs...)
		}
	}
	mapped := map[string]map[string]store.Mapping{}
	for object, list := range ids {
		if !slices.Contains(objects, object) {
			continue
		}
		ms, err := e.store.ListMappingsBySalesforceIDs(ctx, base.conn.ID, store.SalesforceObject(object), list)
		if err != nil {
			return nil, err
		}
		mapped[object] = ms
	}
	for _, ev := range evs {
		se.events++
		if ev.Err != nil {
			// Which object it was is unknown: reconcile them all.
			e.log.WarnContext(ctx, "change event not decoded; reconciling by a query", "connection", base.conn.ID, "error", ev.Err)
			for _, o := range objects {
				se.reconcile[o] = true
			}
			continue
		}
		object := ev.Entity
		if !slices.Contains(objects, object) {
			continue
		}
		if ev.CommitTimestamp.After(se.last) {
			se.last = ev.CommitTimestamp
		}
		if isEcho(ev.ChangeOrigin, client) {
			// ferry's own write coming back: nothing to read or sync
			// (F3.5). A reconciling poll still reads what a trigger in
			// the same transaction changed.
			se.echoes++
			continue
		}
		if ev.Overflow() || slices.ContainsFunc(ev.RecordIDs, func(id string) bool { return strings.HasSuffix(id, "*") }) {
			se.reconcile[object] = true
			continue
		}
		keyField := personField
		if object == "Account" {
			keyField = base.c.companyField()
		}
		for _, id := range ev.RecordIDs {
			switch {
			case ev.ChangeType == "DELETE" || ev.ChangeType == "GAP_DELETE":
				delete(byID, id)
				se.deleted[object] = append(se.deleted[object], id)
			case ev.ChangeType != "UPDATE" || ev.Gap():
				fetch(object, id)
			case fetching[id]:
				// Read whole already: it has this change too.
			default:
				_, has := mapped[object][id]
				relevant, whole := e.eventFields(base.c, object, keyField, ev.Changed)
				switch {
				case !relevant:
				case whole || !has:
					fetch(object, id)
				default:
					r := byID[id]
					if r == nil {
						r = &sfRecord{Object: object, ID: id, partial: true,
							rec: salesforce.Record{"Id": id, "attributes": map[string]any{"type": object}}}
						byID[id] = r
						se.partial[object] = append(se.partial[object], r)
					}
					for _, f := range ev.Changed {
						r.rec[f] = restValue(base.c, object, f, ev.Values[f])
					}
					if ev.CommitTimestamp.After(r.Modstamp) {
						r.Modstamp = ev.CommitTimestamp
					}
				}
			}
		}
	}
	// Records read whole or deleted later in the batch left byID: keep
	// only the partial records still there.
	for object, recs := range se.partial {
		se.partial[object] = slices.DeleteFunc(recs, func(r *sfRecord) bool { return byID[r.ID] != r })
	}
	return se, nil
}

// eventFields says whether a change to fields matters to ferry (relevant)
// and whether the record must then be read whole: its key, owner or
// conversion changed, which the event alone cannot apply.
func (e *Engine) eventFields(c *connConfig, object, keyField string, changed []string) (relevant, whole bool) {
	obj, _ := sync.ObjectForSObject(object)
	read := selectFields(c, object, keyField, c.mappings[obj])
	for _, f := range changed {
		switch {
		case strings.EqualFold(f, keyField), f == "IsConverted", f == "ConvertedContactId", f == "OwnerId",
			f == "AccountId" && object == "Contact" && c.doc.Ownership.Enabled:
			return true, true
		case slices.ContainsFunc(read, func(r string) bool { return strings.EqualFold(r, f) }):
			relevant = true
		}
	}
	return relevant, false
}

// restValue turns a change event's field value into the value the REST API
// gives for the field (times as text, numbers as json.Number), so that
// streamed and polled values compare alike.
func restValue(c *connConfig, object, field string, v any) any {
	if v == nil {
		return nil
	}
	typ := ""
	obj, _ := sync.ObjectForSObject(object)
	for _, m := range c.mappings[obj] {
		if strings.EqualFold(m.Field.Name, field) {
			typ = m.Field.Type
		}
	}
	var n int64
	isInt := true
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case float32:
		return json.Number(strconv.FormatFloat(float64(x), 'f', -1, 32))
	case float64:
		return json.Number(strconv.FormatFloat(x, 'f', -1, 64))
	default:
		isInt = false
	}
	if !isInt {
		return v
	}
	switch typ {
	case "datetime":
		return time.UnixMilli(n).UTC().Format("2006-01-02T15:04:05.000+0000")
	case "date":
		if n > 1e8 { // milliseconds, not days
			return time.UnixMilli(n).UTC().Format("2006-01-02")
		}
		return time.Unix(n*86400, 0).UTC().Format("2006-01-02")
	}
	return json.Number(strconv.FormatInt(n, 10))
}

// applyEvents applies a batch of change events through the rules polled
// changes go through (F3.3): per object, deletes end mappings, records read
// whole are matched and synced, changed fields of mapped records are
// synced with the commit time as their change time. Each object's records
// are one batch, so Intercom writes run together. replayed: the events may
// have been applied already by a process that died before saving its
// position (see batch.replayed). It returns the objects to reconcile by a
// query.
func (e *Engine) applyEvents(ctx context.Context, conn store.Connection, evs []pubsub.ChangeEvent, replayed bool) (*streamEvents, error) {
	base, err := e.newBatch(ctx, conn, settings.LaneBackground, connection.PurposeBackground)
	if err != nil {
		return nil, err
	}
	base.replayed = replayed
	ctx = purposeCtx(ctx, connection.PurposeBackground)
	se, err := e.sortEvents(ctx, base, evs)
	if err != nil {
		return nil, err
	}
	for _, object := range PolledObjects(base.c.doc) {
		var recs []sfRecord
		deleted := se.deleted[object]
		if ids := se.fetch[object]; len(ids) > 0 {
			if err := e.checkBudget(ctx, conn.ID, base.c, base.sf, base.lane, 1); err != nil {
				return nil, err
			}
			got, err := base.getSF(ctx, object, ids)
			if err != nil {
				return nil, fmt.Errorf("engine: read %d %s records of change events: %w", len(ids), object, err)
			}
			for _, id := range ids {
				if r, ok := got[id]; ok {
					recs = append(recs, r)
				} else {
					deleted = append(deleted, id) // gone: deleted since
				}
			}
		}
		for _, r := range se.partial[object] {
			recs = append(recs, *r)
		}
		if len(recs) == 0 && len(deleted) == 0 {
			continue
		}
		var prepare func(b *batch) error
		if len(deleted) > 0 {
			prepare = func(b *batch) error { return b.salesforceDeleted(ctx, object, deleted) }
		}
		if err := e.applyChunk(ctx, base, object, recs, prepare, nil); err != nil {
			return nil, err
		}
	}
	return se, nil
}

// readReplayed reads the current Intercom records of the pairs a replayed
// stream batch syncs from change events, so that values a process that
// died after writing them left there are not written again. A record that
// cannot be read is written as planned.
func (b *batch) readReplayed(ctx context.Context) {
	sem := make(chan struct{}, icWriters)
	var wg gosync.WaitGroup
	for _, p := range b.pairs {
		if p.ic != nil || p.icNow != nil || p.sf == nil || !p.sf.partial {
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if p.object == sync.ObjectCompany {
				if c, err := b.ic.GetCompany(ctx, p.icID); err == nil {
					r := companyRecord(c, nil)
					p.icNow = &r
				}
				return
			}
			if c, err := b.ic.GetContact(ctx, p.icID); err == nil {
				r := contactRecord(c, nil)
				p.icNow = &r
			}
		})
	}
	wg.Wait()
}

// StreamCause texts: why a connection's changes are polled (shown on its
// overview).
const (
	causeSettings     = "the settings ask for polling (salesforce_changes is \"poll\")"
	causeNotConnected = "the connection is not connected to Salesforce"
	causeStarting     = "the change stream is starting; changes made before it are read by polling"
	causeNoCDC        = "Change Data Capture is not enabled for %s in Salesforce (Setup > Integrations > Change Data Capture)"
	causeReplayOld    = "the stream's position was older than Salesforce keeps events; the missed window is read by polling"
	causeAuth         = "Salesforce refused the stream's token"
	causeAllocation   = "the org's daily event delivery allocation is used up"
	causeStreamFails  = "the change stream keeps failing: %s"
)

// errNoStream: no object ferry syncs has Change Data Capture enabled.
var errNoStream = errors.New("engine: no synced object is selected for Change Data Capture")
