package soql

import (
	"testing"
	"time"
)

func TestRelativeRange(t *testing.T) {
	t.Parallel()
	d := func(s string) time.Time {
		tm, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	sat := time.Date(2024, 6, 15, 18, 30, 0, 0, time.FixedZone("x", 5*3600)) // 13:30 UTC, a Saturday
	jan := time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		lit    string
		n      int
		now    time.Time
		lo, hi string
	}{
		{"TODAY", 0, sat, "2024-06-15", "2024-06-16"},
		{"YESTERDAY", 0, sat, "2024-06-14", "2024-06-15"},
		{"TOMORROW", 0, sat, "2024-06-16", "2024-06-17"},
		{"LAST_N_DAYS", 2, sat, "2024-06-13", "2024-06-16"},
		{"NEXT_N_DAYS", 2, sat, "2024-06-16", "2024-06-18"},
		{"N_DAYS_AGO", 3, sat, "2024-06-12", "2024-06-13"},
		{"THIS_WEEK", 0, sat, "2024-06-09", "2024-06-16"},
		{"LAST_WEEK", 0, sat, "2024-06-02", "2024-06-09"},
		{"NEXT_WEEK", 0, sat, "2024-06-16", "2024-06-23"},
		{"THIS_MONTH", 0, sat, "2024-06-01", "2024-07-01"},
		{"LAST_MONTH", 0, jan, "2023-12-01", "2024-01-01"},
		{"NEXT_MONTH", 0, jan, "2024-02-01", "2024-03-01"},
		{"THIS_YEAR", 0, jan, "2024-01-01", "2025-01-01"},
		{"LAST_YEAR", 0, jan, "2023-01-01", "2024-01-01"},
		{"NEXT_YEAR", 0, jan, "2025-01-01", "2026-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.lit, func(t *testing.T) {
			t.Parallel()
			lo, hi := relativeRange(Value{Kind: ValueRelativeDate, Relative: tt.lit, N: tt.n}, tt.now)
			if lo != instantOf(d(tt.lo)) || hi != instantOf(d(tt.hi)) {
				t.Errorf("got [%v, %v), want [%s, %s)", lo.time(), hi.time(), tt.lo, tt.hi)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	want := instantOf(time.Date(2024, 3, 1, 10, 0, 0, 123000000, time.UTC))
	tests := []struct {
		in string
		ok bool
	}{
		{"2024-03-01T10:00:00.123+0000", true},
		{"2024-03-01T10:00:00.123Z", true},
		{"2024-03-01T11:00:00.123+01:00", true},
		{"2024-03-01T08:30:00.123-0130", true},
		{"2024-03-01T10:00:00.1234", false}, // wrong precision, so a different instant
		{"2024-03-01T10:00", false},
		{"2024-03-01T10:00:00.123+01", false},
		{"not a time", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := parseTime(tt.in)
			if (ok && got == want) != tt.ok {
				t.Errorf("parseTime(%q) = %v, %v", tt.in, got.time(), ok)
			}
		})
	}
	if got, ok := parseTime("2024-02-29"); !ok || got != instantOf(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date = %v, %v", got, ok)
	}
}

func TestLike(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, s string // pattern as unescaped by the parser
		want       bool
	}{
		{"abc", "ABC", true},
		{"abc", "abcd", false},
		{"a%", "a", true},
		{"a%c", "abbbc", true},
		{"a%c", "abbbd", false},
		{"%b%", "abc", true},
		{"%%", "", true},
		{"_", "", false},
		{"_", "é", true},
		{"a_c", "aXc", true},
		{`a\%c`, "a%c", true},
		{`a\%c`, "abc", false},
		{`a\_c`, "a_c", true},
		{`a\_c`, "abc", false},
		{`a\\c`, `a\c`, true},
		{"%a%b%c%", "xxaxxbxxcxx", true},
		{"%a%b%c%", "xxcxxbxxaxx", false},
		{"ÉTÉ", "été", true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.s, func(t *testing.T) {
			t.Parallel()
			if got := compileLike(tt.pattern).match(tt.s); got != tt.want {
				t.Errorf("LIKE %q on %q = %v", tt.pattern, tt.s, got)
			}
		})
	}
}

func TestCompareFold(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"abc", "ABC", 0},
		{"abc", "abd", -1},
		{"B", "a", 1},
		{"ab", "abc", -1},
		{"", "", 0},
		{"Zoë", "ZOË", 0},
		{"é", "f", 1},
	}
	for _, tt := range tests {
		if got := compareFold(tt.a, tt.b); got != tt.want {
			t.Errorf("compareFold(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
