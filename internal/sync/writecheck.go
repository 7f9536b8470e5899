package sync

import "time"

// WriteCheck is what ferry does before it writes Intercom changes to a
// Salesforce record so that the latest change wins (F3.5): a change made in
// Salesforce after the Intercom change, which ferry has not polled yet, must
// never be overwritten.
type WriteCheck string

// The checks of [CheckWrite], cheapest first.
const (
	// WriteBlind: write without looking. None of the fields written flows
	// both ways, so Salesforce's own value of them never wins over
	// Intercom's and there is nothing to resolve: one write, no read.
	WriteBlind WriteCheck = "blind"
	// WriteIfUnmodified: write on the condition that Salesforce has not
	// modified the record since [UnmodifiedSince] (the If-Unmodified-Since
	// header of sObject Rows; up to 25 records in one Composite call).
	// Salesforce checks the condition as it writes, so nothing can slip in
	// between a check and the write. A refused write (412) is read and
	// planned again with both sides' values.
	WriteIfUnmodified WriteCheck = "if_unmodified"
	// ReadFirst: read the record's both-way fields, plan again with both
	// sides' values, then write. It is the fallback when the Intercom
	// change's time is unknown, and cheaper than conditional writes when
	// many records are written at once (one query reads hundreds of
	// records, one Composite call writes 25 conditionally).
	ReadFirst WriteCheck = "read"
)

// MaxConditionalWrites is how many records one Composite call writes on
// condition (its subrequest limit). Beyond it, reading first costs no more
// calls than writing on condition, so [CheckWrite] reads.
const MaxConditionalWrites = 25

// CheckWrite decides the check of one record's write to Salesforce.
//   - bothWay: a field about to be written is mapped both ways. If none
//     is, the write is blind.
//   - changedAt: when Intercom recorded the change being written (its
//     updated_at, whole seconds); zero when unknown, which reads first.
//   - conditional: how many records of the same batch would be written on
//     condition; above [MaxConditionalWrites] they are read first.
//
// Why the condition is enough: by latest-wins the Intercom change at
// changedAt loses only to a Salesforce change recorded at or after it (a
// tie goes to Salesforce). A Salesforce change ferry has not seen either
// was recorded before [UnmodifiedSince] — before changedAt, so Intercom's
// value rightly wins and writing it over is correct — or after it, and then
// Salesforce refuses the write and ferry reads the record and resolves the
// conflict with both sides' times. Ferry's own earlier writes or other
// changes after that time cost a read, never a lost change.
func CheckWrite(bothWay bool, changedAt time.Time, conditional int) WriteCheck {
	switch {
	case !bothWay:
		return WriteBlind
	case changedAt.IsZero() || conditional > MaxConditionalWrites:
		return ReadFirst
	}
	return WriteIfUnmodified
}

// UnmodifiedSince is the If-Unmodified-Since time of a conditional write of
// an Intercom change recorded at changedAt: the whole second before it. The
// header has whole seconds; Salesforce refuses the write when the record's
// last modification is later than it, so any Salesforce change recorded in
// changedAt's second or later (which would win, F3.5) makes it refuse,
// whether Salesforce compares at the second or the millisecond.
func UnmodifiedSince(changedAt time.Time) time.Time {
	return changedAt.UTC().Truncate(time.Second).Add(-time.Second)
}

// BothWayWrite reports whether a planned write to Salesforce (field values
// by name) includes a field that one of the mappings ms maps both ways.
func BothWayWrite(ms []Mapping, toSalesforce map[string]any) bool {
	for _, m := range ms {
		if m.Direction != DirBoth {
			continue
		}
		if _, ok := toSalesforce[m.Field.Name]; ok {
			return true
		}
	}
	return false
}
