package connection

import (
	"slices"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

func TestAssessSync(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	at := func(d time.Duration) *time.Time { v := ago(d); return &v }
	healthy := SyncFacts{
		State: store.StateConnected, Since: ago(24 * time.Hour), PollInterval: time.Minute,
		LastPolls:  map[string]time.Time{"Lead": ago(30 * time.Second), "Contact": ago(40 * time.Second)},
		Salesforce: &store.Reachability{},
	}
	with := func(change func(*SyncFacts)) SyncFacts {
		f := healthy
		f.LastPolls = map[string]time.Time{"Lead": ago(30 * time.Second), "Contact": ago(40 * time.Second)}
		change(&f)
		return f
	}
	for _, tc := range []struct {
		name  string
		facts SyncFacts
		want  []string
	}{
		{"polled within three intervals and nothing waiting: moving", healthy, nil},
		{"no successful poll in three intervals: poll overdue",
			with(func(f *SyncFacts) { f.LastPolls["Contact"] = ago(3*time.Minute + time.Second) }), []string{StallPollOverdue}},
		{"exactly three intervals is not yet overdue",
			with(func(f *SyncFacts) { f.LastPolls["Contact"] = ago(3 * time.Minute) }), nil},
		{"never polled since connecting an hour ago: poll overdue",
			with(func(f *SyncFacts) { f.LastPolls = nil; f.Since = ago(time.Hour) }), []string{StallPollOverdue}},
		{"just connected, not polled yet: moving",
			with(func(f *SyncFacts) { f.LastPolls = nil; f.Since = ago(time.Minute) }), nil},
		{"polls before a recent reconnect do not count against it",
			with(func(f *SyncFacts) { f.LastPolls["Lead"] = ago(5 * time.Hour); f.Since = ago(time.Minute) }), nil},
		{"a change waiting longer than the threshold: changes waiting",
			with(func(f *SyncFacts) { f.Pending = store.PendingSummary{Count: 4, Oldest: at(16 * time.Minute)} }), []string{StallChangesWaiting}},
		{"a change waiting less than the threshold: moving",
			with(func(f *SyncFacts) { f.Pending = store.PendingSummary{Count: 4, Oldest: at(14 * time.Minute)} }), nil},
		{"Salesforce unreachable",
			with(func(f *SyncFacts) {
				f.Salesforce = &store.Reachability{UnreachableSince: at(time.Minute), LastError: "503"}
			}),
			[]string{StallSalesforceUnreachable}},
		{"an outage long enough shows every cause",
			with(func(f *SyncFacts) {
				f.Salesforce = &store.Reachability{UnreachableSince: at(20 * time.Minute)}
				f.LastPolls["Lead"] = ago(20 * time.Minute)
				f.Pending = store.PendingSummary{Count: 1, Oldest: at(20 * time.Minute)}
			}), []string{StallSalesforceUnreachable, StallPollOverdue, StallChangesWaiting}},
		{"a disconnected connection does not stall: its cause says why",
			with(func(f *SyncFacts) {
				f.State = store.StateDisconnected
				f.Salesforce = &store.Reachability{UnreachableSince: at(time.Hour)}
				f.LastPolls["Lead"] = ago(time.Hour)
			}), nil},
		{"a pending connection does not stall", with(func(f *SyncFacts) { f.State = store.StatePending; f.LastPolls = nil }), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := AssessSync(tc.facts, now, 15*time.Minute)
			var got []string
			for _, r := range h.Reasons {
				got = append(got, r.Code)
				if r.Message == "" || r.Since.IsZero() {
					t.Errorf("reason %s has no message or time", r.Code)
				}
			}
			if !slices.Equal(got, tc.want) || h.Stalled != (len(tc.want) > 0) {
				t.Fatalf("reasons %v stalled %v, want %v", got, h.Stalled, tc.want)
			}
		})
	}
}
