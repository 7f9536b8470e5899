package settings

import (
	"testing"
	"time"
)

func TestEffectivePollTheShorterWins(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		doc  string
		max  time.Duration
		want time.Duration
	}{
		{"1m", 5 * time.Minute, time.Minute},      // settings more often than the operator's bound
		{"10m", 5 * time.Minute, 5 * time.Minute}, // the operator's bound caps a slower setting
		{"10m", 0, 10 * time.Minute},              // no operator bound
		{"", 30 * time.Second, 30 * time.Second},  // no setting: 5m default, capped
		{"nonsense", 0, 5 * time.Minute},          // unreadable setting: the default
	} {
		if got := EffectivePoll(Document{PollInterval: tc.doc}, tc.max); got != tc.want {
			t.Errorf("settings %q, operator %s: %s, want %s", tc.doc, tc.max, got, tc.want)
		}
	}
}
