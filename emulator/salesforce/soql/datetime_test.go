package soql

import (
	"slices"
	"testing"
	"time"
)

// TestDateTimeWholeRange: dates and datetimes compare exactly over the
// whole range Salesforce accepts, 1700-01-01 to 4000-12-31, including past
// 2262-04-11, where Unix nanoseconds overflow an int64, and before 1677.
// Before the fix, `SystemModstamp > 2999-01-01T00:00:00Z` returned every
// Lead.
func TestDateTimeWholeRange(t *testing.T) {
	t.Parallel()
	s := newMemSource()
	s.addObject("Lead", []string{"Id:id", "SystemModstamp:datetime", "Birthday__c:date"}, nil, []string{"Id"})
	lead := func(n, modstamp string, birthday any) {
		s.add("Lead", false, memRecord{"Id": leadID(n), "SystemModstamp": modstamp, "Birthday__c": birthday})
	}
	lead("1", "1700-01-01T00:00:00.000+0000", "1700-01-01")
	lead("2", "1969-12-31T23:59:59.999+0000", "1969-12-31")
	lead("3", "2024-03-01T10:00:00.000+0000", "2024-03-01")
	lead("4", "2262-04-11T23:47:16.854+0000", "2262-04-11") // the last millisecond UnixNano can hold
	lead("5", "2262-04-11T23:47:16.855+0000", "2262-04-12") // the first it cannot
	lead("6", "2999-06-30T12:00:00.000+0000", "2999-06-30")
	lead("7", "4000-12-31T00:00:00.000+0000", "4000-12-31")
	// A record value held as a time.Time compares the same as its text.
	s.add("Lead", false, memRecord{"Id": leadID("8"), "SystemModstamp": time.Date(3500, 1, 1, 0, 0, 0, 1, time.UTC), "Birthday__c": nil})

	tests := []struct {
		name string
		q    string
		want []string
	}{
		{"after 2999 is only what is after 2999", "SELECT Id FROM Lead WHERE SystemModstamp > 2999-01-01T00:00:00Z", []string{"6", "7", "8"}},
		{"before 1700-01-02", "SELECT Id FROM Lead WHERE SystemModstamp < 1700-01-02T00:00:00Z", []string{"1"}},
		{"before the epoch", "SELECT Id FROM Lead WHERE SystemModstamp < 1970-01-01T00:00:00Z", []string{"1", "2"}},
		{"equal past 2262", "SELECT Id FROM Lead WHERE SystemModstamp = 2999-06-30T12:00:00.000+0000", []string{"6"}},
		{"the millisecond past UnixNano's end", "SELECT Id FROM Lead WHERE SystemModstamp > 2262-04-11T23:47:16.854Z", []string{"5", "6", "7", "8"}},
		{"up to UnixNano's end", "SELECT Id FROM Lead WHERE SystemModstamp <= 2262-04-11T23:47:16.854Z", []string{"1", "2", "3", "4"}},
		{"nanoseconds count", "SELECT Id FROM Lead WHERE SystemModstamp > 3500-01-01T00:00:00Z", []string{"7", "8"}},
		{"offset crossing into 4001", "SELECT Id FROM Lead WHERE SystemModstamp < 4000-12-31T23:00:00-02:00", []string{"1", "2", "3", "4", "5", "6", "7", "8"}},
		{"offset before the last day", "SELECT Id FROM Lead WHERE SystemModstamp >= 4000-12-31T01:00:00+02:00", []string{"7"}},
		{"date after 2262", "SELECT Id FROM Lead WHERE Birthday__c > 2262-04-11", []string{"5", "6", "7"}},
		{"date equal 4000-12-31", "SELECT Id FROM Lead WHERE Birthday__c = 4000-12-31", []string{"7"}},
		{"date before 1700-01-02", "SELECT Id FROM Lead WHERE Birthday__c < 1700-01-02", []string{"1"}},
		{"relative: before today (2024-06-15)", "SELECT Id FROM Lead WHERE SystemModstamp < TODAY", []string{"1", "2", "3"}},
		{"relative: after this year", "SELECT Id FROM Lead WHERE SystemModstamp > THIS_YEAR", []string{"4", "5", "6", "7", "8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := mustRun(t, s, tt.q, ExecOptions{Now: now})
			got := ids(res.Records)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s\ngot %v, want %v", tt.q, got, tt.want)
			}
		})
	}

	t.Run("order by spans the range", func(t *testing.T) {
		t.Parallel()
		res := mustRun(t, s, "SELECT Id FROM Lead ORDER BY SystemModstamp DESC", ExecOptions{Now: now})
		if got, want := ids(res.Records), []string{"7", "8", "6", "5", "4", "3", "2", "1"}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}
