package sync

import (
	"testing"
	"time"
)

func TestNextRound(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	stream := Coalescing{Window: 500 * ms, Target: time.Second, LastTook: 100 * ms, LaneLeft: -1}
	with := func(f func(*Coalescing)) Coalescing { c := stream; f(&c); return c }
	tests := []struct {
		name string
		c    Coalescing
		want time.Duration
	}{
		{"idle: the first change after a quiet spell is written at once", with(func(c *Coalescing) { c.SinceLast = time.Hour }), 0},
		{"idle: a round a window ago", with(func(c *Coalescing) { c.SinceLast = 500 * ms }), 0},
		{"a stream: gather until a window after the last round", with(func(c *Coalescing) { c.SinceLast = 100 * ms }), 400 * ms},
		{"a stream, slow rounds: the wait plus a round stays within the target", with(func(c *Coalescing) { c.SinceLast = 100 * ms; c.LastTook = 800 * ms }), 100 * ms},
		{"rounds slower than the target: never wait", with(func(c *Coalescing) { c.SinceLast = 10 * ms; c.LastTook = 2 * time.Second }), 0},
		{"no window: never gather", with(func(c *Coalescing) { c.Window = 0 }), 0},
		{"no target: the window alone", with(func(c *Coalescing) { c.Target = 0; c.LastTook = 5 * time.Second; c.SinceLast = 100 * ms }), 400 * ms},
		{"a roomy budget changes nothing", with(func(c *Coalescing) { c.LaneLeft = 4_000_000; c.DayLeft = 12 * time.Hour; c.SinceLast = 100 * ms }), 400 * ms},
		{"a tight budget: rounds spread over the rest of the day",
			with(func(c *Coalescing) { c.LaneLeft = 100; c.DayLeft = 400 * time.Minute; c.SinceLast = 10 * time.Second }), 50 * time.Second},
		{"a tight budget outranks the latency target",
			with(func(c *Coalescing) { c.LaneLeft = 1000; c.DayLeft = 8000 * time.Second; c.SinceLast = 0 }), 2 * time.Second},
		{"a tight budget waits at most MaxGather", with(func(c *Coalescing) { c.LaneLeft = 1; c.DayLeft = 10 * time.Hour }), MaxGather},
		{"a tight budget, idle long enough: at once", with(func(c *Coalescing) { c.LaneLeft = 10; c.DayLeft = 400 * time.Second; c.SinceLast = time.Minute }), 0},
		{"no calls left: no gathering, the budget check stops the round", with(func(c *Coalescing) { c.LaneLeft = 0; c.DayLeft = 10 * time.Hour }), 500 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := NextRound(tt.c); got != tt.want {
				t.Errorf("NextRound = %s, want %s", got, tt.want)
			}
		})
	}
}
