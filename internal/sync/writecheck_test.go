package sync

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestCheckWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		bothWay   bool
		changedAt time.Time
		want      WriteCheck
	}{
		{"to-Salesforce fields only: nothing to resolve, no read", false, at(0), WriteBlind},
		{"to-Salesforce fields only, even with no time", false, time.Time{}, WriteBlind},
		{"a both-way field: written on condition, however many records are written", true, at(0), WriteIfUnmodified},
		{"a both-way field with no time: read first", true, time.Time{}, ReadFirst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CheckWrite(tt.bothWay, tt.changedAt); got != tt.want {
				t.Errorf("CheckWrite = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestGraphSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                     string
		pending, settled, failed int
		want                     int
	}{
		{"one record", 1, 0, 0, 1},
		{"up to 75 records: one a graph, so no record waits on another, one call", 75, 0, 0, 1},
		{"76 records: two a graph, still one call", 76, 0, 0, 2},
		{"300 records: four a graph, one call", 300, 0, 0, 4},
		{"500 records: seven a graph fill one call", 500, 0, 0, 7},
		{"a burst: seven a graph, 500 records a call", 10000, 0, 0, 7},
		{"written without a refusal so far: graphs stay full", 9500, 500, 0, 7},
		{"a rare refusal: graphs stay full", 9500, 500, 1, 7},
		{"one in twenty refused: smaller graphs send fewer records back", 9500, 500, 25, 5},
		{"heavy contention: one a graph", 9500, 500, 150, 1},
		{"few records left under contention: one call either way, one a graph", 60, 500, 25, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := GraphSize(tt.pending, tt.settled, tt.failed)
			if got != tt.want {
				t.Errorf("GraphSize(%d, %d, %d) = %d, want %d", tt.pending, tt.settled, tt.failed, got, tt.want)
			}
			if n := RecordsPerCall(got); n > MaxGraphNodes || (n+got-1)/got > MaxGraphs {
				t.Errorf("%d records in graphs of %d: over a call's limits", n, got)
			}
		})
	}
}

// conditionalCalls models writing n records on condition with Composite
// Graph calls, each record refused with chance p (deterministically, by
// seed), graphs sized by size: a graph stops at its first refused record,
// which is settled (then read and written blind, with the other refused
// records: one retrieve per 2,000 and one Collections write per 200), and
// sends its other records back; a call runs no more graphs after 15 failed.
// It returns the calls made.
func conditionalCalls(n int, p float64, seed uint64, size func(pending, settled, failed int) int) int {
	r := rand.New(rand.NewPCG(seed, 1))
	refuse := make([]bool, n)
	pending := make([]int, n)
	for i := range refuse {
		refuse[i], pending[i] = r.Float64() < p, i
	}
	calls, settled, failed := 0, 0, 0
	for len(pending) > 0 {
		k := size(len(pending), settled, failed)
		take := min(len(pending), RecordsPerCall(k))
		var back []int
		failures := 0
		for g := 0; g < take; g += k {
			graph := pending[g:min(g+k, take)]
			if failures > MaxGraphFailures {
				back = append(back, graph...)
				continue
			}
			at := slices.IndexFunc(graph, func(i int) bool { return refuse[i] })
			if at < 0 {
				settled += len(graph)
				continue
			}
			failures++
			settled++
			failed++
			back = append(back, graph[:at]...)
			back = append(back, graph[at+1:]...)
		}
		calls++
		pending = append(back, pending[take:]...)
	}
	if failed > 0 {
		calls += (failed+1999)/2000 + (failed+199)/200
	}
	return calls
}

// TestGraphSizeCallsAgainstFixedSizes measures GraphSize in the model of
// conditionalCalls against every fixed graph size, from no contention to
// half the records refused: it is never more than 10% (or one call) above
// the best fixed size, and with no contention it is the fewest calls there
// can be (500 records a call).
func TestGraphSizeCallsAgainstFixedSizes(t *testing.T) {
	t.Parallel()
	const runs = 4
	mean := func(n int, p float64, size func(int, int, int) int) float64 {
		total := 0
		for seed := range uint64(runs) {
			total += conditionalCalls(n, p, seed, size)
		}
		return float64(total) / runs
	}
	for _, n := range []int{25, 75, 300, 2000, 10000} {
		for _, p := range []float64{0, 0.001, 0.01, 0.05, 0.2, 0.5} {
			got := mean(n, p, GraphSize)
			best, bestK := math.Inf(1), 0
			for k := 1; k <= 7; k++ {
				if c := mean(n, p, func(int, int, int) int { return k }); c < best {
					best, bestK = c, k
				}
			}
			if got > best*1.1 && got > best+1 {
				t.Errorf("%d records, %.1f%% refused: %.1f calls, but %d a graph takes %.1f", n, p*100, got, bestK, best)
			}
			if p == 0 && got != float64((n+MaxGraphNodes-1)/MaxGraphNodes) {
				t.Errorf("%d records, none refused: %.1f calls, want %d", n, got, (n+MaxGraphNodes-1)/MaxGraphNodes)
			}
			t.Logf("%5d records, %4.1f%% refused: %6.1f calls (best fixed size %d: %6.1f)", n, p*100, got, bestK, best)
		}
	}
}

// TestUnmodifiedSinceKeepsLatestWins checks the condition against Resolve:
// every Salesforce change that would win over the Intercom change (F3.5)
// is later than the condition's time, so Salesforce refuses the write,
// whether it compares at the millisecond or at the second.
func TestUnmodifiedSinceKeepsLatestWins(t *testing.T) {
	t.Parallel()
	changed := at(0) // Intercom's updated_at: whole seconds
	since := UnmodifiedSince(changed)
	if since.Nanosecond() != 0 {
		t.Fatalf("UnmodifiedSince = %s, want whole seconds", since)
	}
	for _, d := range []time.Duration{-2 * time.Second, -time.Second, -999 * time.Millisecond, -time.Millisecond, 0,
		time.Millisecond, 500 * time.Millisecond, time.Second, time.Minute} {
		sfAt := changed.Add(d)
		sfWins := Resolve(FieldState{}, FieldState{Value: "S", Origin: OriginSalesforce, ChangedAt: sfAt}, Intercom, "I", changed, DirBoth) == Stale
		refusedMS := sfAt.After(since)
		refusedS := sfAt.Truncate(time.Second).After(since)
		if sfWins && (!refusedMS || !refusedS) {
			t.Errorf("a Salesforce change %s after the Intercom change wins, but a write unmodified since %s is not refused (ms %v, s %v)",
				d, since.Format(time.RFC3339), refusedMS, refusedS)
		}
		if !sfWins && d < -time.Second && refusedS {
			t.Errorf("a Salesforce change %s before the Intercom change refuses the write", d)
		}
	}
}

func TestBothWayWrite(t *testing.T) {
	t.Parallel()
	ms := []Mapping{
		{Object: ObjectLead, Attribute: ICAttribute{FullName: "phone"}, Field: SFField{Name: "Phone"}, Direction: DirToSalesforce},
		{Object: ObjectLead, Attribute: ICAttribute{FullName: "custom_attributes.job_title"}, Field: SFField{Name: "Title"}, Direction: DirBoth},
	}
	tests := []struct {
		name string
		w    map[string]any
		want bool
	}{
		{"to-Salesforce field only", map[string]any{"Phone": "1"}, false},
		{"both-way field", map[string]any{"Title": "CEO"}, true},
		{"both", map[string]any{"Phone": "1", "Title": nil}, true},
		{"nothing", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := BothWayWrite(ms, tt.w); got != tt.want {
				t.Errorf("BothWayWrite = %v, want %v", got, tt.want)
			}
		})
	}
}
