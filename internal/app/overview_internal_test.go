package app

import "testing"

// TestInitialSyncDone: the overview's initial sync percentage is the share
// of records gone through once Intercom's totals are known, the share of
// objects finished before, and 100 only when every object is done.
func TestInitialSyncDone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		objects []InitialSyncView
		want    int
	}{
		{"nothing started", nil, 0},
		{"totals unknown before the first page", []InitialSyncView{
			{State: "running"}, {State: "done", Processed: 10, Total: 10}}, 50},
		{"share of records across objects", []InitialSyncView{
			{State: "running", Processed: 300, Total: 1000}, {State: "done", Processed: 100, Total: 100}}, 36},
		{"paused part way", []InitialSyncView{
			{State: "paused", Processed: 150, Total: 600}, {State: "running", Total: 200}}, 18},
		{"records added while running never pass 99", []InitialSyncView{
			{State: "running", Processed: 1200, Total: 1000}}, 99},
		{"a done object whose listing grew counts what it read", []InitialSyncView{
			{State: "done", Processed: 120, Total: 100}, {State: "running", Processed: 40, Total: 80}}, 80},
		{"account sync off: done with no records", []InitialSyncView{
			{State: "running", Processed: 50, Total: 200}, {State: "done"}}, 25},
		{"all done", []InitialSyncView{{State: "done", Processed: 5, Total: 5}, {State: "done"}}, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := initialSyncDone(tc.objects); got != tc.want {
				t.Errorf("initialSyncDone = %d, want %d", got, tc.want)
			}
		})
	}
}
