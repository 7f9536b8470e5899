package engine_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// eventually waits up to 30 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// openErrors returns the connection's open sync errors.
func (b *bundle) openErrors() []store.SyncError {
	errs, _, err := b.store.ListSyncErrors(b.ctx, store.SyncErrorFilter{ConnectionID: b.connID})
	if err != nil {
		b.t.Fatal(err)
	}
	return errs
}

// TestSyncErrors: values Salesforce cannot take become sync errors naming
// the field and value, with Salesforce's code and the failed request; after
// the admin fixes the field, "retry" (store.RetryJob) succeeds and removes
// the error (F3.2, F8.2). Runs with River workers, as the daemon does.
func TestSyncErrors(t *testing.T) {
	t.Parallel()

	for _, db := range storetest.Engines() {
		t.Run("RestrictedPicklistCheckedByFerry/"+string(db.Engine), func(t *testing.T) {
			t.Parallel()
			testRestrictedPicklist(t, setup(t, setupOpts{workers: true, db: &db}))
		})
	}

	t.Run("RestrictedPicklistRefusedBySalesforce", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{workers: true})
		if err := b.sf.RestrictPicklist("Lead", "Tier__c", false); err != nil {
			t.Fatal(err)
		}
		lead := b.newRecord("Lead", map[string]any{"Email": "refuse@example.com"})
		id := b.newContact(map[string]any{"email": "refuse@example.com"})
		eventually(t, "mapping", func() bool { _, ok := b.mapping(id); return ok })
		// The admin restricts the picklist after ferry read the schema.
		if err := b.sf.RestrictPicklist("Lead", "Tier__c", true); err != nil {
			t.Fatal(err)
		}
		b.updateContact(id, map[string]any{"custom_attributes": map[string]any{"tier": "Bronze"}})
		eventually(t, "sync error", func() bool { return len(b.openErrors()) == 1 })
		se := b.openErrors()[0]
		if se.Code != "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" || !strings.Contains(se.RequestBody, "Bronze") {
			t.Errorf("sync error = %+v; want Salesforce's code and the failed request", se)
		}
		if err := b.sf.RestrictPicklist("Lead", "Tier__c", false); err != nil {
			t.Fatal(err)
		}
		if _, err := b.store.RetryJob(b.ctx, *se.JobID); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the retry to resolve the error", func() bool { return len(b.openErrors()) == 0 })
		if got := b.sfField("Lead", lead, "Tier__c"); got != "Bronze" {
			t.Errorf("Tier__c = %v after the retry, want Bronze", got)
		}
	})

	t.Run("TypeErrorThenFixedValue", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{workers: true})
		contact := b.newRecord("Contact", map[string]any{"Email": "nick@example.com"})
		id := b.newContact(map[string]any{"email": "nick@example.com", "role": "user"})
		eventually(t, "mapping", func() bool { _, ok := b.mapping(id); return ok })
		b.updateContact(id, map[string]any{"custom_attributes": map[string]any{"nickname": "much-too-long-for-ten"}})
		eventually(t, "sync error", func() bool { return len(b.openErrors()) == 1 })
		if se := b.openErrors()[0]; !strings.Contains(se.Message, "Nickname__c") || !strings.Contains(se.Message, "much-too-long-for-ten") {
			t.Errorf("sync error message %q does not name the field and value", se.Message)
		}
		b.updateContact(id, map[string]any{"custom_attributes": map[string]any{"nickname": "Nick"}})
		eventually(t, "the success to remove the error", func() bool { return len(b.openErrors()) == 0 })
		if got := b.sfField("Contact", contact, "Nickname__c"); got != "Nick" {
			t.Errorf("Nickname__c = %v, want Nick", got)
		}
	})
}

// TestTokenRevokedMidRun: Salesforce revokes ferry's token while changes
// arrive; the connection shows the cause, nothing is lost, and after the
// admin reconnects the queued changes sync without a re-import (F1.3).
func TestTokenRevokedMidRun(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{workers: true})
	contact := b.newRecord("Contact", map[string]any{"Email": "rev@example.com"})
	id := b.newContact(map[string]any{"email": "rev@example.com", "role": "user"})
	eventually(t, "mapping", func() bool { _, ok := b.mapping(id); return ok })
	syncsBefore, err := b.store.ListInitialSyncs(b.ctx, b.connID)
	if err != nil {
		t.Fatal(err)
	}

	jobsBefore := b.jobCount("initial_sync")
	b.sf.RevokeAllTokens()
	b.updateContact(id, map[string]any{"phone": "during-outage"})
	eventually(t, "the connection to show the cause", func() bool {
		c := b.conn()
		return c.State == store.StateDisconnected && c.Cause == store.CauseTokenRevoked
	})
	pending, err := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) == 0 {
		t.Fatal("the change was dropped while disconnected")
	}
	if got := b.sfField("Contact", contact, "Phone"); got == "during-outage" {
		t.Fatal("synced with a revoked token?")
	}

	b.connectSalesforce()
	eventually(t, "the queued change to sync after reconnecting", func() bool {
		return b.sfField("Contact", contact, "Phone") == "during-outage"
	})
	syncsAfter, err := b.store.ListInitialSyncs(b.ctx, b.connID)
	if err != nil {
		t.Fatal(err)
	}
	if len(syncsAfter) != len(syncsBefore) || syncsAfter[0].StartedAt != syncsBefore[0].StartedAt {
		t.Errorf("initial sync rows changed on reconnect: %+v → %+v (no re-import expected)", syncsBefore, syncsAfter)
	}
	if n := b.jobCount("initial_sync"); n != jobsBefore {
		t.Errorf("%d initial sync jobs after reconnecting, %d before; reconnecting must not re-import", n, jobsBefore)
	}
}

// TestBudget: when ferry's daily budget or the org's remaining requests run
// out, background sync pauses (the job snoozes: until the next UTC day for
// ferry's own budget, briefly for the org's, whose allowance frees over a
// rolling 24 hours) and resumes by itself (F8.1).
func TestBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		exhaust func(b *bundle)
		restore func(b *bundle)
	}{
		{"FerryDailyLimit", func(b *bundle) {
			if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
				_, err := tx.IncrementUsage(b.ctx, b.connID, b.clock.Now(), "background", 20000)
				return err
			}); err != nil {
				b.t.Fatal(err)
			}
		}, func(b *bundle) { b.clock.Advance(24 * time.Hour) }},
		// Ferry learns the org's remaining requests from its last call's
		// Sforce-Limit-Info header; a poll makes one.
		{"OrgRemaining", func(b *bundle) {
			b.sf.SetAPIRemaining(500)
			_ = b.eng.Poll(engine.ForcePoll(b.ctx), b.conn())
		}, func(b *bundle) {
			b.clock.Advance(24 * time.Hour)
			b.sf.SetAPIRemaining(15000)
		}},
		// The org runs out between two calls: Salesforce answers
		// REQUEST_LIMIT_EXCEEDED; the connection shows the limit (it
		// needs no reconnect: it frees up by itself).
		{"OrgLimitExceeded", func(b *bundle) { b.sf.SetAPIRemaining(0) }, func(b *bundle) {
			if c := b.conn(); c.State != store.StateAPILimitReached || c.Cause != store.CauseAPILimitReached {
				b.t.Errorf("connection %s (%s) after the org limit, want %s", c.State, c.Cause, store.StateAPILimitReached)
			}
			b.clock.Advance(2 * time.Minute)
			b.sf.SetAPIRemaining(15000)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{})
			contact := b.newRecord("Contact", map[string]any{"Email": "budget@example.com"})
			id := b.newContact(map[string]any{"email": "budget@example.com", "role": "user"})
			b.drain()
			tt.exhaust(b)
			b.updateContact(id, map[string]any{"phone": "over-budget"})
			pending, err := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 100)
			if err != nil || len(pending) == 0 {
				t.Fatalf("pending = %d, %v", len(pending), err)
			}
			ev := pending[len(pending)-1]
			err = b.eng.DrainIntercom(b.ctx, b.conn(), jobs.DrainContacts)
			var snooze *rivertype.JobSnoozeError
			if !errors.As(err, &snooze) {
				t.Fatalf("DrainIntercom = %v, want a snooze until the budget resets", err)
			}
			if got := b.sfField("Contact", contact, "Phone"); got == "over-budget" {
				t.Fatal("synced over budget")
			}
			if after, _ := b.store.GetWebhookEvent(b.ctx, ev.ID); after.ProcessedAt != nil {
				t.Fatal("the paused change was marked processed")
			}
			tt.restore(b)
			if err := b.eng.DrainIntercom(b.ctx, b.conn(), jobs.DrainContacts); err != nil {
				t.Fatalf("after the day rolled over: %v", err)
			}
			if got := b.sfField("Contact", contact, "Phone"); got != "over-budget" {
				t.Errorf("Phone = %v after the budget reset, want over-budget", got)
			}
		})
	}
}

// jobCount counts a kind's jobs in every state.
func (b *bundle) jobCount(kind string) int {
	counts, err := b.store.CountJobs(b.ctx, kind)
	if err != nil {
		b.t.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// testRestrictedPicklist: ferry refuses to send a value a restricted
// picklist lacks; after the admin adds it, the retry succeeds.
func testRestrictedPicklist(t *testing.T, b *bundle) {
	lead := b.newRecord("Lead", map[string]any{"Email": "pick@example.com"})
	id := b.newContact(map[string]any{"email": "pick@example.com"})
	eventually(t, "mapping", func() bool { _, ok := b.mapping(id); return ok })
	b.updateContact(id, map[string]any{"custom_attributes": map[string]any{"tier": "Platinum"}})
	eventually(t, "sync error", func() bool { return len(b.openErrors()) == 1 })
	se := b.openErrors()[0]
	if se.RecordID != id || se.Object != "Lead" || !strings.Contains(se.Message, "Platinum") || !strings.Contains(se.Message, "Tier__c") {
		t.Errorf("sync error = %+v; want the record, the field and the value named", se)
	}
	if se.JobID == nil {
		t.Fatal("sync error has no retry job")
	}
	if got := b.sfField("Lead", lead, "Tier__c"); got != nil {
		t.Errorf("Tier__c = %v; an unknown value must never be written to a restricted picklist", got)
	}
	if err := b.sf.AddPicklistValue("Lead", "Tier__c", "Platinum"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.RetryJob(b.ctx, *se.JobID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the retry to resolve the error", func() bool { return len(b.openErrors()) == 0 })
	if got := b.sfField("Lead", lead, "Tier__c"); got != "Platinum" {
		t.Errorf("Tier__c = %v after the retry, want Platinum", got)
	}
}
