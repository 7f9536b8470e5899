package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// BenchmarkBurst drains a burst of 10,000 Intercom changes to mapped
// records and reports Salesforce calls per change (target ≤ 0.02) and
// changes per second through the drain.
func BenchmarkBurst(b *testing.B) {
	const n = 10000
	bd := setup(b, setupOpts{})
	ids, _ := bd.seedPairs(n, n)
	if err := bd.runInitialSync(); err != nil {
		b.Fatal(err)
	}
	time.Sleep(time.Second)
	bd.drain()
	b.ResetTimer()
	var calls int64
	for it := range b.N {
		b.StopTimer()
		bd.clock.Advance(2 * time.Second)
		mark := bd.lastEventID()
		// The emulator's webhook queue holds 4,096 deliveries: send the
		// burst in waves it can hold.
		for i, id := range ids {
			if err := bd.ic.MessengerUpdateContact(id, map[string]any{"phone": fmt.Sprintf("b%d-%d", it, i)}); err != nil {
				b.Fatal(err)
			}
			if (i+1)%2000 == 0 {
				bd.waitEvent(mark, id, "updated", fmt.Sprintf(`"b%d-%d"`, it, i))
			}
		}
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			evs, err := bd.store.ListPendingWebhookEvents(bd.ctx, bd.connID, n+1)
			if err != nil {
				b.Fatal(err)
			}
			mine := 0
			for _, ev := range evs {
				if strings.Contains(ev.Payload, fmt.Sprintf(`"b%d-`, it)) {
					mine++
				}
			}
			if mine >= n {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		before := bd.sf.APICalls()
		b.StartTimer()
		bd.drain()
		b.StopTimer()
		calls += bd.sf.APICalls() - before
	}
	b.ReportMetric(float64(calls)/float64(b.N*n), "sfcalls/change")
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "changes/s")
}

// BenchmarkPoll polls 10,000 changed Leads of mapped pairs and reports
// Salesforce calls per change (one query page per 2,000 records) and
// changes per second written to Intercom.
func BenchmarkPoll(b *testing.B) {
	const n = 10000
	bd := setup(b, setupOpts{})
	_, leads := bd.seedPairs(n, n)
	if err := bd.runInitialSync(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var calls int64
	for it := range b.N {
		b.StopTimer()
		bd.clock.Advance(2 * time.Second)
		for i, id := range leads {
			if err := bd.sf.UpdateRecord("Lead", id, map[string]any{"Title": fmt.Sprintf("p%d-%d", it, i)}); err != nil {
				b.Fatal(err)
			}
		}
		before := bd.sf.APICalls()
		b.StartTimer()
		bd.poll()
		b.StopTimer()
		calls += bd.sf.APICalls() - before
	}
	b.ReportMetric(float64(calls)/float64(b.N*n), "sfcalls/change")
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "changes/s")
}
