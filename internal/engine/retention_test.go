package engine_test

import (
	"testing"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/store"
)

// TestFailureEpisodeIsOneHistoryRow: while Salesforce fails, every round
// retries a record's change; its history gets one "retrying" row per failure
// episode, not one per round (issue 8 item 11: 187 rows for one record).
func TestFailureEpisodeIsOneHistoryRow(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	sfID := b.newRecord("Lead", map[string]any{"Email": "episode@example.com"})
	id := b.newContact(map[string]any{"email": "episode@example.com", "role": "lead"})
	b.drain()
	if m, ok := b.mapping(id); !ok || m.SFID != sfID {
		t.Fatalf("mapping = %+v, %v", m, ok)
	}
	retrying := func() (n int, last string) {
		t.Helper()
		h, err := b.store.ListHistory(b.ctx, b.connID, id, store.Page{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range h {
			if e.Outcome == "retrying" {
				n++
			}
		}
		if len(h) > 0 {
			last = h[0].Outcome
		}
		return n, last
	}
	episode := func(rounds int, phone string) {
		t.Helper()
		b.sf.SetFaults(sfemu.Faults{ErrorRate: 1, ErrorStatus: 503})
		b.updateContact(id, map[string]any{"phone": phone})
		for range rounds {
			if err := b.eng.Drain(b.ctx, b.connID); err == nil {
				t.Fatal("drain succeeded while every Salesforce call fails")
			}
		}
		b.sf.SetFaults(sfemu.Faults{})
		b.drain()
		if got := b.sfField("Lead", sfID, "Phone"); got != phone {
			t.Fatalf("Lead.Phone = %v after the failure, want %s", got, phone)
		}
	}
	episode(5, "+1 555 0101")
	if n, last := retrying(); n != 1 || last != "ok" {
		t.Errorf("after 5 failed rounds: %d retrying rows (want 1), newest %q (want ok)", n, last)
	}
	episode(3, "+1 555 0102")
	if n, _ := retrying(); n != 2 {
		t.Errorf("after a second failure episode: %d retrying rows, want %d", n, 2)
	}
}
