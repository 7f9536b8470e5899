package sync

import "time"

// Coalescing is what [NextRound] knows when a change is waiting to be
// written to Salesforce: how the connection's recent rounds went and how
// much of the day's API budget its lane has left (F8.1).
type Coalescing struct {
	// SinceLast is the time since the connection's last round started;
	// long after a quiet spell.
	SinceLast time.Duration
	// LastTook is how long the last round took, from its start to its
	// writes' commit.
	LastTook time.Duration
	// Window is how long rounds gather changes under a stream of them:
	// rounds start at most this often, so changes arriving meanwhile are
	// written together. Zero or negative never gathers.
	Window time.Duration
	// Target is the latency a change should land within: a round gathers
	// no longer than Target minus what a round takes, so that a change
	// arriving just after a round started still lands in time. Zero means
	// no target.
	Target time.Duration
	// LaneLeft is how many calls the lane may still make today (the
	// budget's remaining calls above the reserves of the lanes after it,
	// settings.APIBudget); negative when unknown or unlimited.
	LaneLeft int
	// DayLeft is the time until the budget's day ends.
	DayLeft time.Duration
}

// PaceHeadroom is how much faster than an even pace (one that lasts until
// the day ends) a lane may spend its remaining calls: a burst early in the
// day is not held back, and as the lane's calls run out its rounds spread
// further apart.
const PaceHeadroom = 4

// MaxGather is the longest a tight budget makes rounds gather changes:
// beyond it changes would wait for long without saving much more.
const MaxGather = 5 * time.Minute

// NextRound says how long to wait before the next round starts (0: at
// once). Each round costs about one call per object written (200 records
// a call), whatever its size, so fewer rounds mean fewer calls:
//   - idle: when the last round started a window ago or more, a change is
//     written at once;
//   - while changes arrive: rounds are spaced by the window, shortened so
//     that the wait plus a round stays within the latency target;
//   - when the day's budget is tight: rounds are spaced so that the lane's
//     remaining calls, spent at most PaceHeadroom times faster than an even
//     pace, last until the day ends (one call a round), up to MaxGather;
//     the budget outranks the latency target, since a lane that runs dry
//     stops syncing altogether (F8.1). A lane with no calls left does not
//     gather: the budget check stops its rounds.
func NextRound(c Coalescing) time.Duration {
	w := max(c.Window, 0)
	if c.Target > 0 && w > 0 {
		w = max(min(w, c.Target-c.LastTook), 0)
	}
	if c.LaneLeft > 0 && c.DayLeft > 0 && w > 0 {
		pace := c.DayLeft / time.Duration(c.LaneLeft*PaceHeadroom)
		w = max(w, min(pace, MaxGather))
	}
	return max(w-c.SinceLast, 0)
}
