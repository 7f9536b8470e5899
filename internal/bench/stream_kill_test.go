package bench

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestKilledMidStream kills a ferry process with SIGKILL while Salesforce
// changes stream to it (issue 14) and starts another on the same store,
// with a 5-minute poll so that only the stream can deliver them: every
// change reaches Intercom (the new process resumes after the last replay
// id the dead one saved), the final values are right, and no value is
// written twice.
func TestKilledMidStream(t *testing.T) {
	eachEngine(t, testKilledMidStream)
}

func testKilledMidStream(t *testing.T, dbURL string) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const n = 301
	ph := startProcessHarnessWith(t, ctx, dbURL, n, "ks", nil, func(h *Harness) []string {
		addr, err := h.SF.StartPubSub("127.0.0.1:0", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.SF.StopPubSub)
		return []string{envPubSub + "=http://" + addr, envPoll + "=5m"}
	})
	h, people, first, st, f, lb, env := ph.h, ph.people, ph.first, ph.st, ph.f, ph.lb, ph.env
	if err := h.waitStreaming(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	// Warm up: one streamed change lands and its position is saved, and
	// the poll reconciling the stream's start has run; from then on only
	// the stream delivers.
	warm := people[0]
	people = people[1:]
	if err := h.ChangeSalesforce(warm, "warm"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		cs, err := st.GetChangeStream(ctx, f.ConnID)
		if err != nil {
			t.Fatal(err)
		}
		wm, err := st.GetWatermark(ctx, f.ConnID, "poll:reconciled")
		if err == nil && len(cs.ReplayID) > 0 && cs.Events > 0 && wm.SystemModstamp.After(cs.ModeSince) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stream did not save a position and reconcile its start: %+v", cs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	lp, err := st.GetWatermark(ctx, f.ConnID, "poll:last")
	if err != nil {
		t.Fatal(err)
	}
	lastPoll := lp.SystemModstamp

	m := begin(h, false)
	killed := make(chan int64, 1)
	var once sync.Once
	h.ICRec.Observe(func(w Write) {
		if w.Field != icField || w.At.Before(m.start) {
			return
		}
		once.Do(func() {
			go func() {
				first.signal(t, syscall.SIGKILL)
				killed <- h.ICRec.Stats().Writes - m.icRec0.Writes
			}()
		})
	})
	final := make(map[Person]string, len(people))
	for i, p := range people {
		v := fmt.Sprintf("streamed-%d", i)
		if err := m.change(p, v); err != nil {
			t.Fatal(err)
		}
		final[p] = v
		time.Sleep(3 * time.Millisecond) // changes over about a second
	}
	var landedAtKill int64
	select {
	case landedAtKill = <-killed:
	case <-ctx.Done():
		t.Fatal("no change reached Intercom before the deadline")
	}
	if landedAtKill >= int64(len(people)) {
		t.Fatal("every change had landed before the kill; nothing was tested")
	}
	cs, err := st.GetChangeStream(ctx, f.ConnID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killed the first ferry after %d of %d Intercom writes; %d events applied and saved before", landedAtKill, len(people), cs.Events)

	restart := time.Now()
	second := startChild(t, env)
	lb.set(second.url)
	var res Result
	m.finish(ctx, Config{PollInterval: time.Second, Timeout: 60 * time.Second}, &res, len(people), final)
	if res.Landed != len(people) {
		t.Errorf("%d of %d changes landed", res.Landed, len(people))
	} else {
		t.Logf("all %d changes landed %.1f s after the restart", len(people), m.start.Add(res.Wall).Sub(restart).Seconds())
	}
	if res.Mismatches != 0 {
		t.Errorf("%d contacts hold a wrong final value", res.Mismatches)
	}
	if res.Duplicates != 0 {
		for p := range final {
			if vals := h.ICRec.Values(p.IntercomID, icField); duplicates(vals) > 0 {
				t.Logf("%s: %v", p.IntercomID, vals)
			}
		}
		t.Errorf("%d values were written twice", res.Duplicates)
	}
	if lp, err := st.GetWatermark(ctx, f.ConnID, "poll:last"); err != nil || lp.SystemModstamp.After(lastPoll) {
		t.Errorf("Salesforce was polled after the warm-up (%v, %v): the changes must come by the stream alone", lp.SystemModstamp, err)
	}
	if res.EchoWrites != 0 {
		t.Errorf("%d echo writes to Salesforce", res.EchoWrites)
	}
}
