package settings

import "time"

// EffectivePoll is how often a connection is polled: the settings'
// poll_interval, but at least as often as the operator's bound
// (FERRY_POLL_INTERVAL; 0 for none). The shorter of the two wins, so an
// operator can make every connection poll more often, and a connection's
// admin can make theirs poll more often than the operator's default, never
// less.
func EffectivePoll(d Document, operatorMax time.Duration) time.Duration {
	interval := d.Poll()
	if operatorMax > 0 {
		interval = min(interval, operatorMax)
	}
	return interval
}
