package sync

import (
	"testing"
	"time"
)

func TestCheckWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		bothWay     bool
		changedAt   time.Time
		conditional int
		want        WriteCheck
	}{
		{"to-Salesforce fields only: nothing to resolve, no read", false, at(0), 1, WriteBlind},
		{"to-Salesforce fields only, even with no time", false, time.Time{}, 1, WriteBlind},
		{"to-Salesforce fields only, even in a large batch", false, at(0), 5000, WriteBlind},
		{"a both-way field: written on condition", true, at(0), 1, WriteIfUnmodified},
		{"a both-way field in a full Composite call", true, at(0), MaxConditionalWrites, WriteIfUnmodified},
		{"a both-way field beyond one Composite call: read first", true, at(0), MaxConditionalWrites + 1, ReadFirst},
		{"a both-way field with no time: read first", true, time.Time{}, 1, ReadFirst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CheckWrite(tt.bothWay, tt.changedAt, tt.conditional); got != tt.want {
				t.Errorf("CheckWrite = %s, want %s", got, tt.want)
			}
		})
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
