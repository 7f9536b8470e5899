package sync

import (
	"cmp"
	"slices"
	"time"
)

// RecordChange is one side's view of a record: the values of the mapped
// attributes or fields it reports, and when that side recorded them.
type RecordChange struct {
	Side Side
	// At is when the side recorded the change: Intercom's updated_at,
	// Salesforce's SystemModstamp.
	At time.Time
	// Values holds the reported values: for Intercom by attribute full
	// name ("phone", "custom_attributes.job_title"), for Salesforce by field
	// name ("Phone"). Only present keys are considered, so a webhook can
	// carry just the changed attributes; nil means the value was cleared.
	Values map[string]any
}

// FieldDecision records what [Plan] decided for one mapping and one side's
// value, for the per-record history (F8.3) and the sync-error list (F8.2).
type FieldDecision struct {
	Key     string // Mapping.Key()
	Side    Side   // the side that reported the value
	Verdict Verdict
	Reason  string // the conversion error when Verdict is Failed
}

// RecordPlan is what to write for one record pair and the state to store
// afterwards.
type RecordPlan struct {
	// ToIntercom holds the attribute values to write, by full name.
	ToIntercom map[string]any
	// ToSalesforce holds the field values to write, by field name.
	ToSalesforce map[string]any
	// AddOptions lists, per Intercom list attribute, Salesforce values the
	// list lacks; add them to the list before writing (F3.2).
	AddOptions map[string][]string
	// Decisions has one entry per mapping and side value considered.
	Decisions []FieldDecision

	state, before RecordState
	touched       map[string][2]bool // key → wrote to Intercom, wrote to Salesforce
}

// State returns the record state to store once every planned write
// succeeded. See [RecordPlan.Commit] when only one side's write succeeded.
func (p RecordPlan) State() RecordState { return p.Commit(true, true) }

// Commit returns the record state to store after the writes: fields whose
// write to a failed side was planned keep their previous state, so the next
// run plans the same write again and nothing is lost.
func (p RecordPlan) Commit(okIntercom, okSalesforce bool) RecordState {
	out := make(RecordState, len(p.state))
	for k, st := range p.state {
		w := p.touched[k]
		if (w[0] && !okIntercom) || (w[1] && !okSalesforce) {
			if prev, ok := p.before[k]; ok {
				out[k] = prev
			}
			continue
		}
		out[k] = st
	}
	return out
}

// Failures returns the decisions whose value could not be converted.
func (p RecordPlan) Failures() []FieldDecision {
	var out []FieldDecision
	for _, d := range p.Decisions {
		if d.Verdict == Failed {
			out = append(out, d)
		}
	}
	return out
}

// Empty reports whether the plan writes nothing.
func (p RecordPlan) Empty() bool {
	return len(p.ToIntercom) == 0 && len(p.ToSalesforce) == 0
}

// pending is a write planned while Plan runs.
type pending struct {
	to    Side
	m     int // index into the mappings
	value any
	hash  string
}

// writeSet is the writes planned so far; a slice, as records have few.
type writeSet []pending

func (ws writeSet) find(to Side, m int) int {
	for i, w := range ws {
		if w.to == to && w.m == m {
			return i
		}
	}
	return -1
}

func (ws *writeSet) drop(to Side, m int) {
	if i := ws.find(to, m); i >= 0 {
		*ws = slices.Delete(*ws, i, i+1)
	}
}

func (ws *writeSet) put(w pending) {
	if i := ws.find(w.to, w.m); i >= 0 {
		(*ws)[i] = w
		return
	}
	*ws = append(*ws, w)
}

// Plan decides, field by field, what one record pair's changes mean for each
// side (F3.5): values are converted (F3.1, F3.2), echoes of ferry's own
// writes and unchanged values are dropped, directions are applied and the
// latest change wins. mappings are those of the record's object (see
// [ObjectForSObject]). It is pure: state is not modified; the plan carries
// the new state. The engine calls it once per record of a batch.
//
// Changes are applied in time order, Salesforce after Intercom at equal
// times. When both sides of one field change in the same plan only the
// winner is written, so the sides never cross-write.
//
// F3.4 (first sync of a new mapping, both ways once) is Plan with both
// sides' full records and an empty state: a field with no state takes the
// latest non-empty value and never clears the other side. Pass an empty
// state after ActRepoint and ActMoveMapping too, as the pair is new.
func Plan(mappings []Mapping, state RecordState, changes []RecordChange) RecordPlan {
	p := RecordPlan{
		ToIntercom:   map[string]any{},
		ToSalesforce: map[string]any{},
		state:        make(RecordState, len(state)),
		before:       state,
	}
	for k, v := range state {
		p.state[k] = v
	}
	ordered := changes
	if !slices.IsSortedFunc(changes, compareChanges) {
		ordered = slices.Clone(changes)
		slices.SortStableFunc(ordered, compareChanges)
	}
	keys := make([]string, len(mappings)) // filled as values show up
	p.Decisions = make([]FieldDecision, 0, len(mappings))

	var writes writeSet
	for _, ch := range ordered {
		for i, m := range mappings {
			name := m.Attribute.FullName
			if ch.Side == Salesforce {
				name = m.Field.Name
			}
			value, ok := ch.Values[name]
			if !ok {
				continue
			}
			if keys[i] == "" {
				keys[i] = m.Key()
			}
			p.apply(m, i, keys[i], ch, value, &writes)
		}
	}
	for _, w := range writes {
		m := mappings[w.m]
		t := p.touched[keys[w.m]]
		if w.to == Intercom {
			t[0] = true
			p.ToIntercom[m.Attribute.FullName] = w.value
			if s, ok := w.value.(string); ok && m.Attribute.IsList() {
				if _, known := pickValue(m.Attribute.Options, s); !known && !slices.Contains(p.AddOptions[m.Attribute.FullName], s) {
					if p.AddOptions == nil {
						p.AddOptions = map[string][]string{}
					}
					p.AddOptions[m.Attribute.FullName] = append(p.AddOptions[m.Attribute.FullName], s)
				}
			}
		} else {
			t[1] = true
			p.ToSalesforce[m.Field.Name] = w.value
		}
		if p.touched == nil {
			p.touched = map[string][2]bool{}
		}
		p.touched[keys[w.m]] = t
	}
	return p
}

// compareChanges orders changes by time, Intercom before Salesforce at equal
// times so that Salesforce wins ties.
func compareChanges(a, b RecordChange) int {
	if c := a.At.Compare(b.At); c != 0 {
		return c
	}
	return cmp.Compare(sideRank(a.Side), sideRank(b.Side))
}

// apply runs one mapping for one side's value and updates the working state
// and pending writes.
func (p *RecordPlan) apply(m Mapping, mi int, k string, ch RecordChange, value any, writes *writeSet) {
	st := p.state[k]
	_, fresh := p.before[k]
	fresh = !fresh
	ss := st.side(ch.Side)
	h := HashValue(value)
	decide := func(v Verdict, reason string) {
		p.Decisions = append(p.Decisions, FieldDecision{Key: k, Side: ch.Side, Verdict: v, Reason: reason})
	}

	// The side already holds a value ferry is about to write there: nothing
	// to write, and the value is the side's own, not ferry's.
	if i := writes.find(ch.Side, mi); i >= 0 && (*writes)[i].hash == h {
		writes.drop(ch.Side, mi)
		*ss = SideState{Hash: h, At: ch.At}
		p.state[k] = st
		decide(Unchanged, "")
		return
	}
	if fresh && isEmpty(value) {
		decide(Kept, "")
		return
	}
	v := resolveHash(st, ch.Side, h, ch.At, m.Direction)
	switch v {
	case Echo:
		ss.Written, ss.At = false, ch.At
	case Unchanged, Stale:
	case Blocked:
		*ss = SideState{Hash: h, At: ch.At}
	case Apply:
		out, err := convert(m, ch.Side, value)
		if err != nil {
			decide(Failed, err.Error())
			return
		}
		*ss = SideState{Hash: h, At: ch.At}
		to := ch.Side.Other()
		*st.side(to) = SideState{Hash: HashValue(out), Written: true}
		st.Origin, st.At = ch.Side, ch.At
		// This side's value supersedes any write to it planned earlier in
		// this plan.
		writes.drop(ch.Side, mi)
		writes.put(pending{to: to, m: mi, value: out, hash: st.side(to).Hash})
	}
	if v != Unchanged && v != Stale {
		p.state[k] = st
	}
	decide(v, "")
}

// convert turns a value from side into the other side's value, using the
// Intercom list's spelling for values it already has.
func convert(m Mapping, from Side, value any) (any, error) {
	if from == Intercom {
		return ToSalesforce(value, m.Attribute.DataType, m.Field)
	}
	out, err := ToIntercom(value, m.Field, m.Attribute.DataType)
	if err != nil {
		return nil, err
	}
	if s, ok := out.(string); ok && m.Attribute.IsList() {
		if v, known := pickValue(m.Attribute.Options, s); known {
			return v, nil
		}
	}
	return out, nil
}

func sideRank(s Side) int {
	if s == Salesforce {
		return 1
	}
	return 0
}
