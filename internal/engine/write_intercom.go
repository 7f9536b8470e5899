package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// writeIntercom sends each pair's planned Intercom writes and SALESFORCE_*
// attributes in one update, adding missing list options first (F3.2), and
// records the change events (F3.6).
func (b *batch) writeIntercom(ctx context.Context, st states) {
	for _, p := range b.pairs {
		w := map[string]any{}
		maps.Copy(w, p.plan.ToIntercom)
		for k, v := range p.sfAttrs {
			w["custom_attributes."+k] = v
		}
		if p.promote {
			w["role"] = intercom.RoleUser
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
		var err error
		if p.object == sync.ObjectCompany {
			var in intercom.CompanyInput
			if in, err = companyInput(w); err == nil {
				_, err = b.ic.UpdateCompany(ctx, p.icID, in)
			}
		} else {
			var in intercom.ContactInput
			if in, err = contactInput(w); err == nil {
				_, err = b.ic.UpdateContact(ctx, p.icID, in)
				if _, conflict := intercom.IsConflict(err); conflict && p.promote {
					// A user with these details exists already: the lead
					// stays a lead and follows the Contact's mapping.
					delete(w, "role")
					in.Role = nil
					_, err = b.ic.UpdateContact(ctx, p.icID, in)
				}
			}
		}
		if err != nil {
			p.okIC = false
			if isICNotFound(err) {
				// Deleted (or merged away) in Intercom: the mapping ends
				// (F2.3), as the delete's own webhook would have done.
				p.gone = true
				b.ops.deleteMappings = append(b.ops.deleteMappings, p.icID)
				b.history(string(p.object), p.icID, p.sfID, store.OriginIntercom,
					"person deleted in Intercom: delete the identity mapping only (seed 001, F2.3)", "mapping_deleted", "", nil)
				continue
			}
			if ce := classifyIC(err); ce.kind != permanent {
				b.fail(ce)
			} else {
				p.icErr = err
			}
			continue
		}
		p.icWritten = w
		if p.sfAttrs != nil {
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
					continue
				}
				p.events++
			}
		}
	}
}

// addOptions adds Salesforce picklist values an Intercom list lacks.
func (b *batch) addOptions(ctx context.Context, object sync.Object, attr string, add []string) error {
	id := b.c.attrIDs[attr]
	if id == "" {
		return fmt.Errorf("no data attribute id for %s", attr)
	}
	var have []string
	for _, m := range b.c.mappings[object] {
		if m.Attribute.FullName == attr {
			have = m.Attribute.Options
		}
	}
	opts := slices.Clone(have)
	for _, v := range add {
		if !slices.Contains(opts, v) {
			opts = append(opts, v)
		}
	}
	_, err := b.ic.UpdateDataAttribute(ctx, id, intercom.DataAttributeInput{Options: opts})
	return err
}
