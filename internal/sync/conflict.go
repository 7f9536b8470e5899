package sync

import (
	"encoding/json"
	"hash/fnv"
	"io"
	"math"
	"strconv"
	"time"
)

// Origin says who put a field's current value on one side.
type Origin string

// The origins; the strings match store.Origin.
const (
	// OriginIntercom, OriginSalesforce: the side's own users or processes.
	OriginIntercom   Origin = "intercom"
	OriginSalesforce Origin = "salesforce"
	// OriginFerry: ferry wrote the value.
	OriginFerry Origin = "ferry"
)

// own is the origin of a side's own changes.
func own(s Side) Origin {
	if s == Intercom {
		return OriginIntercom
	}
	return OriginSalesforce
}

// FieldState is what ferry knows about one field of one record on one side:
// one row per connection, side, record and field, the shape of
// store.FieldState. Intercom rows are named by attribute full name,
// Salesforce rows by field name.
type FieldState struct {
	// Value is the last known value on this side, as that side reports it
	// (after a JSON round trip numbers are float64, which hashes the same).
	Value any `json:"value"`
	// Origin is who put Value there; "" means ferry knows nothing yet.
	Origin Origin `json:"origin,omitempty"`
	// ChangedAt is when the change that put Value there was recorded, by the
	// side that made it (Intercom updated_at, Salesforce SystemModstamp).
	ChangedAt time.Time `json:"changed_at,omitzero"`
	// WrittenHash is [HashValue] of the value ferry last wrote to this side;
	// a change reporting it while Origin is OriginFerry is ferry's own write
	// coming back (F3.5, no echo).
	WrittenHash string `json:"written_hash,omitempty"`
}

// Known reports whether ferry has seen or written this field.
func (f FieldState) Known() bool { return f.Origin != "" }

// RecordState is the field states of one mapped record pair, one map per
// side. Nil maps are fine: a missing row means ferry knows nothing of that
// field yet.
type RecordState struct {
	Intercom   map[string]FieldState `json:"intercom,omitempty"`   // by attribute full name
	Salesforce map[string]FieldState `json:"salesforce,omitempty"` // by field name
}

func (r RecordState) rows(s Side) map[string]FieldState {
	if s == Intercom {
		return r.Intercom
	}
	return r.Salesforce
}

func (r RecordState) clone() RecordState {
	out := RecordState{Intercom: make(map[string]FieldState, len(r.Intercom)+4), Salesforce: make(map[string]FieldState, len(r.Salesforce)+4)}
	for k, v := range r.Intercom {
		out.Intercom[k] = v
	}
	for k, v := range r.Salesforce {
		out.Salesforce[k] = v
	}
	return out
}

// Verdict is what happens to one incoming field value.
type Verdict string

// The verdicts of [Resolve] and [Plan].
const (
	// Apply: write the value to the other side.
	Apply Verdict = "apply"
	// Echo: the value is the one ferry wrote to this side; it is not a
	// change and must not be written back (F3.5, no loops).
	Echo Verdict = "echo"
	// Stale: the other side changed later (latest change wins, field by
	// field, F3.5), or this side itself did (the change is an older one
	// delivered late).
	Stale Verdict = "stale"
	// Unchanged: the side reports the value ferry already knew.
	Unchanged Verdict = "unchanged"
	// Blocked: the mapping's direction does not let this side's changes
	// flow.
	Blocked Verdict = "direction"
	// Kept: an empty value on a field ferry has never synced; F3.4's first
	// sync fills gaps but never clears the other side.
	Kept Verdict = "kept"
	// Failed: the value cannot be converted for the other side; Reason
	// says why (F8.2).
	Failed Verdict = "error"
)

// Resolve decides what to do with a value of a mapped field reported by side
// at time at (as that side recorded it), given that field's state on the
// side (mine) and on the other side (theirs, the mapped counterpart), and the
// mapping's direction (F3.5). The order of the checks matters:
//   - a value equal to what ferry wrote there is an echo, whatever its time;
//   - a value equal to the known one is unchanged;
//   - a direction that forbids the flow wins over recency;
//   - a change older than the last one seen from the same side (the field's
//     value there is the side's own change, recorded later by the side's
//     clock) is stale: a late redelivery of an older change never undoes a
//     newer one. At the same time the value is taken, as the side's
//     clock cannot order the two;
//   - the latest change wins: if the other side's current value is its own
//     change, recorded later, this one is stale. On a tie Salesforce wins, so
//     the outcome does not depend on which side's event arrives first;
//   - otherwise a change older than the one ferry last wrote to this side
//     is stale: it was reported before ferry's write landed.
func Resolve(mine, theirs FieldState, side Side, value any, at time.Time, dir Direction) Verdict {
	return resolveHash(mine, theirs, side, HashValue(value), at, dir)
}

func resolveHash(mine, theirs FieldState, side Side, h string, at time.Time, dir Direction) Verdict {
	if mine.Origin == OriginFerry && mine.WrittenHash == h {
		return Echo
	}
	if mine.Known() && HashValue(mine.Value) == h {
		return Unchanged
	}
	if !dir.Allows(side) {
		return Blocked
	}
	if mine.Origin == own(side) && !mine.ChangedAt.IsZero() && !at.IsZero() && at.Before(mine.ChangedAt) {
		return Stale
	}
	other := side.Other()
	if theirs.Origin == own(other) && dir.Allows(other) && !theirs.ChangedAt.IsZero() && !at.IsZero() {
		if at.Before(theirs.ChangedAt) || (at.Equal(theirs.ChangedAt) && side == Intercom) {
			return Stale
		}
		return Apply
	}
	// No change of the other side's own to compare with (its value is
	// ferry's too, or unknown): a report older than the change ferry last
	// wrote to this side describes the record before that write. It is
	// stale, not a change: a webhook drained late, after ferry wrote the
	// other side's newer value here, must neither write its old value back
	// nor make ferry write the newer one here again.
	if mine.Origin == OriginFerry && !mine.ChangedAt.IsZero() && !at.IsZero() && at.Before(mine.ChangedAt) {
		return Stale
	}
	return Apply
}

// HashValue is the fingerprint stored for a field value. Numbers hash by
// value whatever their Go type (5000, 5000.0 and json.Number("5000") are
// equal) and "" hashes like nil, because Salesforce stores empty text as
// null.
func HashValue(v any) string {
	h := fnv.New64a()
	var buf [64]byte
	switch x := v.(type) {
	case nil:
		h.Write([]byte("null"))
	case string:
		if x == "" {
			h.Write([]byte("null"))
		} else {
			h.Write([]byte("s:"))
			io.WriteString(h, x)
		}
	case bool:
		h.Write(strconv.AppendBool(append(buf[:0], "b:"...), x))
	case json.Number, float64, float32, int, int64, int32:
		f, ok := numberValue(x)
		if !ok || math.IsNaN(f) {
			h.Write([]byte("n:?"))
		} else {
			h.Write(strconv.AppendFloat(append(buf[:0], "n:"...), f, 'g', -1, 64))
		}
	default:
		b, err := json.Marshal(v)
		if err != nil {
			h.Write([]byte("?"))
		} else {
			h.Write([]byte("j:"))
			h.Write(b)
		}
	}
	return strconv.FormatUint(h.Sum64(), 16)
}
