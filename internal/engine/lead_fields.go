package engine

import (
	"context"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// LeadFields returns what the Lead mappings that write to Salesforce
// (qualification data, UTM parameters, location; F3.7) make of an Intercom
// contact, by Lead field, so that a Lead created from Intercom (F4.1) is
// created with them: a field Salesforce requires can then be mapped, and
// the first full sync (F3.4) finds nothing left to write. Values are
// converted as sync writes them (location codes expanded to names); empty
// ones are left out, and so is a value that cannot be converted, which the
// first full sync then reports as a sync error. The bound settings are the
// engine's cached ones; reading them costs describes only when the cache is
// cold.
func (e *Engine) LeadFields(ctx context.Context, conn store.Connection, c *intercom.Contact) (map[string]any, error) {
	b, err := e.newBatch(ctx, conn, settings.LaneInbox, connection.PurposeInbox)
	if err != nil {
		return nil, err
	}
	ms := b.c.mappings[sync.ObjectLead]
	vals := contactRecord(c, nil).values(ms)
	out := map[string]any{}
	for _, m := range ms {
		if !m.Direction.Allows(sync.Intercom) {
			continue
		}
		v := vals[m.Attribute.FullName]
		if v == nil || v == "" {
			continue
		}
		sv, err := sync.ToSalesforce(v, m.Attribute.DataType, m.Field)
		if err != nil || sv == nil {
			e.log.InfoContext(ctx, "a mapped value is left out of the new Lead", "connection", conn.ID, "field", m.Field.Name, "error", err)
			continue
		}
		out[m.Field.Name] = sv
	}
	return out, nil
}
