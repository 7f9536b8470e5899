package sync

import (
	"math"
	"time"
)

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
	// header of sObject Rows, sent as nodes of Composite Graph calls: up
	// to 500 records a call, grouped by [GraphSize]). Salesforce checks
	// the condition as it writes, so nothing can slip in between a check
	// and the write, at any batch size. A refused write (412) is read and
	// planned again with both sides' values.
	WriteIfUnmodified WriteCheck = "if_unmodified"
	// ReadFirst: read the record's both-way fields, plan again with both
	// sides' values, then write. It is the fallback when the Intercom
	// change's time is unknown, so there is no time to write on condition
	// of.
	ReadFirst WriteCheck = "read"
)

// CheckWrite decides the check of one record's write to Salesforce.
//   - bothWay: a field about to be written is mapped both ways. If none
//     is, the write is blind.
//   - changedAt: when Intercom recorded the change being written (its
//     updated_at, whole seconds); zero when unknown, which reads first.
//
// Why the condition is enough: by latest-wins the Intercom change at
// changedAt loses only to a Salesforce change recorded at or after it (a
// tie goes to Salesforce). A Salesforce change ferry has not seen either
// was recorded before [UnmodifiedSince] — before changedAt, so Intercom's
// value rightly wins and writing it over is correct — or after it, and then
// Salesforce refuses the write and ferry reads the record and resolves the
// conflict with both sides' times. Ferry's own earlier writes or other
// changes after that time cost a read, never a lost change.
//
// Reading first for large batches (one query for hundreds of records, then
// a blind write) would cost about as few calls but leaves the moment
// between the read and the write open to a Salesforce change that the
// write then overwrites; Composite Graph calls make the conditional write
// cheaper than reading and writing anyway (see [GraphSize]).
func CheckWrite(bothWay bool, changedAt time.Time) WriteCheck {
	switch {
	case !bothWay:
		return WriteBlind
	case changedAt.IsZero():
		return ReadFirst
	}
	return WriteIfUnmodified
}

// Composite Graph limits (Salesforce's "Composite Graph Limits") that
// [GraphSize] plans with.
const (
	// MaxGraphs is the most graphs one Composite Graph call takes.
	MaxGraphs = 75
	// MaxGraphNodes is the most nodes (records written) one Composite
	// Graph call takes in all.
	MaxGraphNodes = 500
	// MaxGraphFailures: once more graphs than this have failed in a call,
	// Salesforce runs none of the call's remaining graphs.
	MaxGraphFailures = 14
)

// GraphSize decides how many records each graph of the next Composite
// Graph call writes on condition, and so how many records the call
// carries: [RecordsPerCall](size) records, in graphs of size records (the
// last one may be smaller).
//   - pending: records still to write on condition (at least one).
//   - settled, failed: of the records the batch has already sent, how many
//     had an outcome (written, refused or their own error), and how many
//     of those failed (refused or error).
//
// A graph is all or nothing: when one of its records is refused (or fails),
// Salesforce rolls back the graph's others and they are sent again in the
// next call. One record per graph never re-sends anything but carries at
// most 75 records a call; seven per graph fill the call's 500 nodes. So:
//   - With no failure seen, graphs are as small as still fits every pending
//     record in one call (up to 75 pending: one each; 500 and more: seven
//     each, 500 a call). Under no contention that is the fewest calls, and
//     it couples as few records as that allows.
//   - Once failures are seen, the failure rate so far estimates each
//     record's chance of failing, and the size that settles the most
//     records per call is chosen: a graph of k settles k records when none
//     fails and one when one does, and a call stops after 15 failed graphs.
//     Under heavy contention that is one per graph.
//
// Modelled over 10,000 records (TestGraphSizeCallsAgainstFixedSizes),
// this costs 20 calls with no refusal and about 24 with 1% refused (seven
// per graph), where one per graph costs 134 and 136 — and reading first,
// then writing blind, 55.
func GraphSize(pending, settled, failed int) int {
	most := max(1, (min(pending, MaxGraphNodes)+MaxGraphs-1)/MaxGraphs)
	if failed == 0 || settled == 0 {
		return most
	}
	p := float64(failed) / float64(settled)
	best, size := -1.0, 1
	for k := 1; k <= most; k++ {
		graphs := float64((min(RecordsPerCall(k), pending) + k - 1) / k)
		ok := math.Pow(1-p, float64(k)) // no record of the graph fails
		run := graphs
		if fails := (1 - ok) * graphs; fails > MaxGraphFailures+1 {
			run = (MaxGraphFailures + 1) / (1 - ok) // graphs run before the call stops
		}
		if n := run * (float64(k)*ok + (1 - ok)); n > best*1.0001 {
			best, size = n, k
		}
	}
	return size
}

// RecordsPerCall is how many records one Composite Graph call takes in
// graphs of size records: 75 graphs, or 500 records in all.
func RecordsPerCall(size int) int {
	return min(MaxGraphNodes, MaxGraphs*max(size, 1))
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
