package engine

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// Field-state rows the engine keeps besides the mapped fields: the
// SystemModstamp a polled record was last processed at (so overlapping
// polls and resumed polls skip it) and the SALESFORCE_* values last written
// to a contact (so unchanged ones cost no call, F3.6).
const (
	modstampField = "$modstamp"
	sfAttrPrefix  = "custom_attributes.SALESFORCE_"
)

// states holds the loaded field states of a batch, per side and record.
type states struct {
	ic map[string][]store.FieldState
	sf map[string][]store.FieldState
}

// loadStates reads the field states of the batch's records, one query per
// side.
func (e *Engine) loadStates(ctx context.Context, connID int64, icIDs, sfIDs []string) (states, error) {
	var s states
	var err error
	if s.ic, err = e.store.GetFieldStates(ctx, connID, store.SideIntercom, icIDs); err != nil {
		return s, err
	}
	if s.sf, err = e.store.GetFieldStates(ctx, connID, store.SideSalesforce, sfIDs); err != nil {
		return s, err
	}
	return s, nil
}

// record returns the sync state of one record pair, leaving out the
// engine's own rows.
func (s states) record(icID, sfID string) sync.RecordState {
	return sync.RecordState{Intercom: toSync(s.ic[icID]), Salesforce: toSync(s.sf[sfID])}
}

// modstamp returns the SystemModstamp a Salesforce record was last
// processed at, "" if never.
func (s states) modstamp(sfID string) string {
	for _, r := range s.sf[sfID] {
		if r.Field == modstampField {
			return r.Value
		}
	}
	return ""
}

// sfAttrs returns the SALESFORCE_* values last written to a contact, by
// attribute name.
func (s states) sfAttrs(icID string) map[string]any {
	out := map[string]any{}
	for _, r := range s.ic[icID] {
		if name, ok := strings.CutPrefix(r.Field, "custom_attributes."); ok && strings.HasPrefix(r.Field, sfAttrPrefix) {
			out[name] = decodeValue(r.Value)
		}
	}
	return out
}

func toSync(rows []store.FieldState) map[string]sync.FieldState {
	out := make(map[string]sync.FieldState, len(rows))
	for _, r := range rows {
		if r.Field == modstampField || strings.HasPrefix(r.Field, sfAttrPrefix) {
			continue
		}
		out[r.Field] = sync.FieldState{Value: decodeValue(r.Value), Origin: sync.Origin(r.Origin), ChangedAt: r.ChangedAt, WrittenHash: r.WrittenHash}
	}
	return out
}

func decodeValue(s string) any {
	var v any
	if s == "" || json.Unmarshal([]byte(s), &v) != nil {
		return nil
	}
	return v
}

func encodeValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// fromSync turns a record state into store rows.
func fromSync(connID int64, icID, sfID string, rs sync.RecordState) []store.FieldState {
	var out []store.FieldState
	for f, s := range rs.Intercom {
		out = append(out, store.FieldState{ConnectionID: connID, Side: store.SideIntercom, RecordID: icID, Field: f,
			Value: encodeValue(s.Value), Origin: store.Origin(s.Origin), ChangedAt: s.ChangedAt, WrittenHash: s.WrittenHash})
	}
	for f, s := range rs.Salesforce {
		out = append(out, store.FieldState{ConnectionID: connID, Side: store.SideSalesforce, RecordID: sfID, Field: f,
			Value: encodeValue(s.Value), Origin: store.Origin(s.Origin), ChangedAt: s.ChangedAt, WrittenHash: s.WrittenHash})
	}
	return out
}

// unchanged reports whether row is stored exactly so already.
func (s states) unchanged(row store.FieldState) bool {
	rows := s.ic[row.RecordID]
	if row.Side == store.SideSalesforce {
		rows = s.sf[row.RecordID]
	}
	for _, r := range rows {
		if r.Field == row.Field {
			return r.Value == row.Value && r.Origin == row.Origin && r.ChangedAt.Equal(row.ChangedAt.UTC().Truncate(time.Microsecond)) && r.WrittenHash == row.WrittenHash
		}
	}
	return false
}

// put replaces (or adds) a loaded row, as stored meanwhile.
func (s states) put(row store.FieldState) {
	m := s.ic
	if row.Side == store.SideSalesforce {
		m = s.sf
	}
	if m == nil {
		return
	}
	row.ChangedAt = row.ChangedAt.UTC().Truncate(time.Microsecond)
	for i, r := range m[row.RecordID] {
		if r.Field == row.Field {
			m[row.RecordID][i] = row
			return
		}
	}
	m[row.RecordID] = append(m[row.RecordID], row)
}
