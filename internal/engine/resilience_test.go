package engine_test

import (
	"fmt"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/engine"
)

// TestPollResumes: a poll interrupted half way (Intercom refuses ferry's
// token after some writes) resumes from its last saved page without
// skipping or repeating a change: every contact is written exactly once
// (F3.3).
func TestPollResumes(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	const n = 450
	ids, leads := b.seedPairs(n, n)
	if err := b.runInitialSync(); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(2 * time.Second)
	for i, id := range leads {
		if err := b.sf.UpdateRecord("Lead", id, map[string]any{"Title": fmt.Sprintf("new-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	base := b.ic.APICalls()
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if b.ic.APICalls()-base >= 250 {
				b.ic.RevokeToken(icToken)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	err := b.eng.Poll(engine.ForcePoll(b.ctx), b.conn())
	close(stop)
	<-done
	if err == nil {
		t.Fatal("the poll survived a revoked Intercom token")
	}
	if c := b.conn(); c.Cause == "" {
		t.Error("the connection does not show why it broke")
	}
	b.ic.AddToken(icToken)
	if err := b.eng.Poll(engine.ForcePoll(b.ctx), b.conn()); err != nil {
		t.Fatalf("resumed poll: %v", err)
	}
	if calls := b.ic.APICalls() - base; calls != n {
		t.Errorf("%d Intercom calls for %d changed Leads; want exactly one each (no change skipped or repeated)", calls, n)
	}
	for _, i := range []int{0, 199, 200, 449} {
		if got := b.icContact(ids[i]).CustomAttributes["job_title"]; got != fmt.Sprintf("new-%d", i) {
			t.Errorf("contact %d job_title = %v", i, got)
		}
	}
}

// TestFaults: with 5% of calls to both APIs failing with 503 and added
// latency, changes in both directions all arrive; nothing is lost (River
// retries the batches that failed).
func TestFaults(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{workers: true})
	const n = 60
	ids, leads := b.seedPairs(n, n)
	if err := b.runInitialSync(); err != nil {
		t.Fatal(err)
	}
	b.sf.SetFaults(sfemu.Faults{ErrorRate: 0.05, ErrorStatus: 503, LatencyMs: 2})
	b.ic.SetFaults(icemu.Faults{ErrorRate: 0.05, ErrorStatus: 503, LatencyMS: 2})
	b.clock.Advance(2 * time.Second)
	for i, id := range ids {
		if err := b.ic.MessengerUpdateContact(id, map[string]any{"phone": fmt.Sprintf("f-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "every Intercom change in Salesforce", func() bool {
		for i, id := range leads {
			if b.sfField("Lead", id, "Phone") != fmt.Sprintf("f-%d", i) {
				return false
			}
		}
		return true
	})
	b.clock.Advance(2 * time.Second)
	for i, id := range leads {
		if err := b.sf.UpdateRecord("Lead", id, map[string]any{"Title": fmt.Sprintf("ft-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Polls are retried until one gets through; each resumes the last.
	eventually(t, "a poll to get through", func() bool { return b.eng.Poll(engine.ForcePoll(b.ctx), b.conn()) == nil })
	b.sf.SetFaults(sfemu.Faults{})
	b.ic.SetFaults(icemu.Faults{})
	for i, id := range ids {
		if got := b.icContact(id).CustomAttributes["job_title"]; got != fmt.Sprintf("ft-%d", i) {
			t.Errorf("contact %d job_title = %v, want ft-%d", i, got, i)
		}
	}
	if errs := b.openErrors(); len(errs) > 0 {
		t.Errorf("%d sync errors from transient faults; they must retry by themselves: %+v", len(errs), errs[0])
	}
	eventually(t, "no event left pending", func() bool {
		evs, _ := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 10)
		return len(evs) == 0
	})
}
