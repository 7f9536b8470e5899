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
	writes        writeSet
}

// State returns the record state to store once every planned write
// succeeded. See [RecordPlan.Commit] when a side's write failed.
func (p RecordPlan) State() RecordState { return p.Commit(true, true) }

// Commit returns the record state to store after the writes. For a write to
// a side that failed, both the target row and the row of the change that
// caused it keep their previous state, so the next run plans the same write
// again and nothing is lost.
func (p RecordPlan) Commit(okIntercom, okSalesforce bool) RecordState {
	out := p.state.clone()
	for _, w := range p.writes {
		if (w.to == Intercom && okIntercom) || (w.to == Salesforce && okSalesforce) {
			continue
		}
		revert(out, p.before, w.to, w.toName)
		revert(out, p.before, w.to.Other(), w.fromName)
	}
	return out
}

func revert(out, before RecordState, side Side, name string) {
	if prev, ok := before.rows(side)[name]; ok {
		out.rows(side)[name] = prev
	} else {
		delete(out.rows(side), name)
	}
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
	to       Side
	m        int    // index into the mappings
	toName   string // the row written: attribute or field name on side to
	fromName string // the row of the change that caused it, on the other side
	value    any
	hash     string
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
// sides' full records and an empty state: a field ferry knows nothing of on
// either side takes the latest non-empty value and never clears the other
// side. Pass an empty state after ActRepoint and ActMoveMapping too, as the
// pair is new.
func Plan(mappings []Mapping, state RecordState, changes []RecordChange) RecordPlan {
	p := RecordPlan{
		ToIntercom:   map[string]any{},
		ToSalesforce: map[string]any{},
		state:        state.clone(),
		before:       state,
		Decisions:    make([]FieldDecision, 0, len(mappings)),
	}
	ordered := changes
	if !slices.IsSortedFunc(changes, compareChanges) {
		ordered = slices.Clone(changes)
		slices.SortStableFunc(ordered, compareChanges)
	}
	keys := make([]string, len(mappings)) // filled as values show up
	for _, ch := range ordered {
		for i, m := range mappings {
			value, ok := ch.Values[m.name(ch.Side)]
			if !ok {
				continue
			}
			if keys[i] == "" {
				keys[i] = m.Key()
			}
			p.apply(m, i, keys[i], ch, value)
		}
	}
	for _, w := range p.writes {
		m := mappings[w.m]
		if w.to == Salesforce {
			p.ToSalesforce[w.toName] = w.value
			continue
		}
		p.ToIntercom[w.toName] = w.value
		if s, ok := w.value.(string); ok && m.Attribute.IsList() {
			if _, known := pickValue(m.Attribute.Options, s); !known && !slices.Contains(p.AddOptions[w.toName], s) {
				if p.AddOptions == nil {
					p.AddOptions = map[string][]string{}
				}
				p.AddOptions[w.toName] = append(p.AddOptions[w.toName], s)
			}
		}
	}
	return p
}

// name is the mapping's attribute or field name on side s.
func (m Mapping) name(s Side) string {
	if s == Intercom {
		return m.Attribute.FullName
	}
	return m.Field.Name
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
func (p *RecordPlan) apply(m Mapping, mi int, key string, ch RecordChange, value any) {
	from, to := ch.Side, ch.Side.Other()
	fromName, toName := m.name(from), m.name(to)
	mine, theirs := p.state.rows(from)[fromName], p.state.rows(to)[toName]
	h := HashValue(value)
	decide := func(v Verdict, reason string) {
		p.Decisions = append(p.Decisions, FieldDecision{Key: key, Side: from, Verdict: v, Reason: reason})
	}
	observed := FieldState{Value: value, Origin: own(from), ChangedAt: ch.At, WrittenHash: mine.WrittenHash}

	// The side already holds the value ferry is about to write there:
	// nothing to write, and the value is the side's own.
	if i := p.writes.find(from, mi); i >= 0 && p.writes[i].hash == h {
		p.writes.drop(from, mi)
		p.state.rows(from)[fromName] = observed
		decide(Unchanged, "")
		return
	}
	// F3.4: a field unknown on both sides never clears the other side.
	_, knownMine := p.before.rows(from)[fromName]
	_, knownTheirs := p.before.rows(to)[toName]
	if !knownMine && !knownTheirs && isEmpty(value) {
		decide(Kept, "")
		return
	}
	v := resolveHash(mine, theirs, from, h, ch.At, m.Direction)
	switch v {
	case Echo:
		mine.ChangedAt = ch.At
		p.state.rows(from)[fromName] = mine
	case Blocked:
		p.state.rows(from)[fromName] = observed
	case Apply:
		out, err := convert(m, from, value)
		if err != nil {
			decide(Failed, err.Error())
			return
		}
		p.state.rows(from)[fromName] = observed
		oh := HashValue(out)
		if theirs.Origin == OriginFerry && theirs.WrittenHash == oh && HashValue(theirs.Value) == oh {
			// ferry wrote this very value there already, for this
			// change: another batch still running (its write is marked
			// before it is sent, its source's state stored only when it
			// commits). Writing it again would only repeat that write.
			p.writes.drop(from, mi)
			decide(Unchanged, "")
			return
		}
		p.state.rows(to)[toName] = FieldState{Value: out, Origin: OriginFerry, ChangedAt: ch.At, WrittenHash: oh}
		// This side's value supersedes any write to it planned earlier in
		// this plan.
		p.writes.drop(from, mi)
		p.writes.put(pending{to: to, m: mi, toName: toName, fromName: fromName, value: out, hash: oh})
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
