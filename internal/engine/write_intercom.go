package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	gosync "sync"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// icWriters bounds how many Intercom updates one batch has in flight.
// Intercom has no batch update, so a batch's writes go one contact a call;
// running a few at once keeps a round short (the client paces itself under
// the rate limit).
const icWriters = 32

// icWrite is one pair's Intercom update and what came of it.
type icWrite struct {
	p         *pair
	w         map[string]any
	owner     *ownerChange
	err       error
	events    []string
	eventErrs []string
}

// writeIntercom sends each pair's planned Intercom writes and SALESFORCE_*
// attributes in one update, adding missing list options first (F3.2), and
// records the change events (F3.6). The updates run concurrently; their
// outcomes are applied to the batch in order afterwards.
func (b *batch) writeIntercom(ctx context.Context, st states) {
	var todo []*icWrite
	for _, p := range b.pairs {
		w := map[string]any{}
		maps.Copy(w, p.plan.ToIntercom)
		for k, v := range p.sfAttrs {
			w["custom_attributes."+k] = v
		}
		if p.promote {
			w["role"] = intercom.RoleUser
		}
		// The owner goes in the same update as the attributes (F5.3).
		var oc *ownerChange
		if !b.backfill {
			oc = b.planOwner(ctx, p, st)
		}
		if oc != nil && oc.keep {
			b.ownerWritten(p, oc)
			oc = nil
		}
		if oc != nil {
			w[ownerField] = nil
			if oc.to != "" {
				w[ownerField] = oc.to
			}
		}
		if len(w) == 0 {
			continue
		}
		if b.failed != nil {
			// The batch is retried as a whole; writing now would only
			// be repeated.
			p.okIC = false
			continue
		}
		for attr, opts := range p.plan.AddOptions {
			if err := b.addOptions(ctx, p.object, attr, opts); err != nil {
				b.e.log.WarnContext(ctx, "add Intercom list options", "attribute", attr, "error", err)
			}
		}
		todo = append(todo, &icWrite{p: p, w: w, owner: oc})
	}

	b.markIntercomWrites(ctx, st, todo)
	sem := make(chan struct{}, icWriters)
	var wg gosync.WaitGroup
	for _, t := range todo {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			t.err = b.updateIntercom(ctx, t.p, t.w)
			if t.err == nil {
				t.events, t.eventErrs = b.recordEvents(ctx, st, t.p)
			}
		}()
	}
	wg.Wait()

	for _, t := range todo {
		p := t.p
		if err := t.err; err != nil {
			p.okIC = false
			if isICNotFound(err) {
				// Deleted (or merged away) in Intercom: the mapping ends
				// (F2.3), as the delete's own webhook would have done.
				p.gone = true
				b.ops.deleteMappings = append(b.ops.deleteMappings, p.icID)
				b.history(string(p.object), p.icID, p.sfID, store.OriginIntercom,
					"person deleted in Intercom: delete the identity mapping only", "mapping_deleted", "", nil)
				continue
			}
			if ce := classifyIC(err); ce.kind != permanent {
				b.fail(ce)
			} else {
				p.icErr = err
			}
			continue
		}
		p.icWritten = t.w
		p.events = append(p.events, t.events...)
		p.eventErrs = append(p.eventErrs, t.eventErrs...)
		if t.owner != nil {
			b.ownerWritten(p, t.owner)
		}
	}
}

// updateIntercom sends one pair's update. A lead whose promotion to user
// conflicts with an existing user stays a lead and follows the Contact's
// mapping.
func (b *batch) updateIntercom(ctx context.Context, p *pair, w map[string]any) error {
	if p.object == sync.ObjectCompany {
		in, err := companyInput(w)
		if err != nil {
			return err
		}
		_, err = b.ic.UpdateCompany(ctx, p.icID, in)
		return err
	}
	in, err := contactInput(w)
	if err != nil {
		return err
	}
	_, err = b.ic.UpdateContact(ctx, p.icID, in)
	if _, conflict := intercom.IsConflict(err); conflict && p.promote {
		delete(w, "role")
		in.Role = nil
		_, err = b.ic.UpdateContact(ctx, p.icID, in)
	}
	return err
}

// recordEvents sends the SALESFORCE_CHANGE_* events a pair's new
// SALESFORCE_* attributes call for (F3.6) and returns, for the history, the
// names of those sent and why the others failed.
func (b *batch) recordEvents(ctx context.Context, st states, p *pair) (sent, failed []string) {
	if p.sfAttrs == nil {
		return nil, nil
	}
	prev := st.sfAttrs(p.icID)
	if p.ic != nil {
		prev = p.ic.custom()
	}
	next := maps.Clone(prev)
	if next == nil {
		next = map[string]any{}
	}
	maps.Copy(next, p.sfAttrs)
	for _, ev := range sync.SalesforceEvents(prev, next, b.e.now()) {
		md := map[string]any{}
		for k, v := range ev.Metadata {
			md[k] = v
		}
		if err := b.ic.CreateEvent(ctx, intercom.DataEvent{EventName: ev.Name, CreatedAt: intercom.Timestamp(ev.CreatedAt),
			ID: p.icID, Metadata: md}); err != nil {
			b.e.log.WarnContext(ctx, "record Intercom event", "event", ev.Name, "contact", p.icID, "error", err)
			failed = append(failed, fmt.Sprintf("data event %s not recorded in Intercom: %v", ev.Name, err))
			continue
		}
		sent = append(sent, ev.Name)
	}
	return sent, failed
}

// addOptions adds Salesforce picklist values an Intercom list lacks
// (F3.2). Intercom replaces a list's options with what an update sends, so
// the values are merged with the list as Intercom has it now, read just
// before the update, never with ferry's cached copy: that copy misses the
// options ferry added since it was read (Silver, then Bronze, sent [Gold,
// Bronze]) and those added in Intercom. No option is ever removed.
func (b *batch) addOptions(ctx context.Context, object sync.Object, attr string, add []string) error {
	id := b.c.attrIDs[attr]
	if id == "" {
		return fmt.Errorf("no data attribute id for %s", attr)
	}
	if _, changed := sync.MergeOptions(b.c.options(object, attr), add); !changed {
		return nil // added earlier in this batch, or since the plan was made
	}
	model := "contact"
	if object == sync.ObjectCompany {
		model = "company"
	}
	b.optionCalls++
	attrs, err := b.ic.ListDataAttributes(ctx, model, false)
	if err != nil {
		return fmt.Errorf("read the list options: %w", err)
	}
	i := slices.IndexFunc(attrs, func(a intercom.DataAttribute) bool { return a.ID.String() == id })
	if i < 0 {
		return fmt.Errorf("data attribute %s (%s) no longer exists", attr, id)
	}
	merged, changed := sync.MergeOptions(attrs[i].Options, add)
	if changed {
		b.optionCalls++
		if _, err := b.ic.UpdateDataAttribute(ctx, id, intercom.DataAttributeInput{Options: merged}); err != nil {
			return err
		}
	}
	b.c = b.e.withOptions(b.conn.ID, b.c, object, attr, merged)
	return nil
}

// markIntercomWrites stores, before the Intercom updates are sent, the
// states of the both-way attributes they write as if they had succeeded
// (ferry's value, its hash as written). Intercom announces each update by
// webhook, possibly before this batch commits; the drain of that webhook
// then knows the value as ferry's own (F3.5, no echo) instead of writing it
// back to Salesforce, where it came from. A failed update restores the
// previous states when the batch commits: st is updated so that finish
// sees them as changed.
func (b *batch) markIntercomWrites(ctx context.Context, st states, todo []*icWrite) {
	var rows []store.FieldState
	for _, t := range todo {
		p := t.p
		var state sync.RecordState
		for _, m := range b.c.mappings[p.object] {
			if _, ok := p.plan.ToIntercom[m.Attribute.FullName]; !ok || m.Direction != sync.DirBoth {
				continue
			}
			if state.Intercom == nil {
				state = p.plan.State()
			}
			if fs, ok := state.Intercom[m.Attribute.FullName]; ok {
				rows = append(rows, store.FieldState{ConnectionID: b.conn.ID, Side: store.SideIntercom, RecordID: p.icID,
					Field: m.Attribute.FullName, Value: encodeValue(fs.Value), Origin: store.Origin(fs.Origin), ChangedAt: fs.ChangedAt,
					WrittenHash: fs.WrittenHash})
			}
		}
	}
	if len(rows) == 0 {
		return
	}
	if err := b.e.store.InTx(ctx, func(tx store.Tx) error { return tx.PutFieldStates(ctx, dedupeStates(rows)) }); err != nil {
		// Without the marks an early webhook may cost one write back.
		b.e.log.WarnContext(ctx, "mark Intercom writes", "error", err)
		return
	}
	for _, r := range rows {
		st.put(r)
	}
}
