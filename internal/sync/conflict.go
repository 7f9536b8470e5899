package sync

import (
	"encoding/json"
	"hash/fnv"
	"io"
	"math"
	"strconv"
	"time"
)

// SideState is what ferry knows about one mapped field's value on one side.
type SideState struct {
	// Hash is [HashValue] of the last value seen on, or written to, this
	// side; "" when unknown.
	Hash string `json:"hash,omitempty"`
	// At is when this side recorded that value (Intercom updated_at,
	// Salesforce SystemModstamp); zero for a value ferry wrote and has not
	// seen come back yet.
	At time.Time `json:"at,omitzero"`
	// Written: Hash is of a value ferry wrote to this side.
	Written bool `json:"written,omitempty"`
}

// FieldState is the stored sync state of one mapping for one record pair.
// It holds hashes, not values, so the store keeps no second copy of personal
// data.
type FieldState struct {
	Intercom   SideState `json:"intercom"`
	Salesforce SideState `json:"salesforce"`
	// Origin is the side of the last change ferry applied, and At the time
	// that side recorded it; latest change wins (F3.5).
	Origin Side      `json:"origin,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

func (st *FieldState) side(s Side) *SideState {
	if s == Intercom {
		return &st.Intercom
	}
	return &st.Salesforce
}

// RecordState is the field states of one record pair, by [Mapping.Key].
// A missing entry means ferry has never synced that field for the pair.
type RecordState map[string]FieldState

// Verdict is what happens to one incoming field value.
type Verdict string

// The verdicts of [Resolve] and [Plan].
const (
	// Apply: write the value to the other side.
	Apply Verdict = "apply"
	// Echo: the value is the one ferry wrote to this side; it is not a
	// change and must not be written back (F3.5, no loops).
	Echo Verdict = "echo"
	// Stale: the other side changed later; latest change wins, field by
	// field (F3.5).
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
// at time at (as that side recorded it), given the field's stored state and
// the mapping's direction (F3.5). The order of the checks matters: a value
// equal to what ferry wrote is an echo whatever its time, a direction that
// forbids the flow wins over recency, and only then does the latest change
// win. On a tie Salesforce wins, so the outcome does not depend on which
// side's event arrives first.
func Resolve(st FieldState, side Side, value any, at time.Time, dir Direction) Verdict {
	return resolveHash(st, side, HashValue(value), at, dir)
}

func resolveHash(st FieldState, side Side, h string, at time.Time, dir Direction) Verdict {
	ss := st.side(side)
	if ss.Hash != "" && ss.Hash == h {
		if ss.Written {
			return Echo
		}
		return Unchanged
	}
	if !dir.Allows(side) {
		return Blocked
	}
	if st.Origin == side.Other() && !st.At.IsZero() && !at.IsZero() {
		if at.Before(st.At) || (at.Equal(st.At) && side == Intercom) {
			return Stale
		}
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
