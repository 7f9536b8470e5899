package engine_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// TestSalesforceReviewClosedWhenItsRecordIsMappedAnotherWay: a Salesforce
// Lead whose email two Intercom leads share waits for the admin (F2.2).
// When one of them is mapped to it another way meanwhile (its own update
// arrives by webhook and matches it, F2.3), the review is closed, and a
// pick from the page the admin still had open is refused with a clear
// message: nothing is mapped a second time.
func TestSalesforceReviewClosedWhenItsRecordIsMappedAnotherWay(t *testing.T) {
	t.Parallel()
	for _, db := range storetest.Engines() {
		t.Run(string(db.Engine), func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{db: &db})
			const email = "stale@example.com"
			first := b.newContact(map[string]any{"email": email, "role": "lead"})
			second := b.newContact(map[string]any{"email": email, "role": "lead"})
			b.drain()
			sfID := b.newRecord("Lead", map[string]any{"Email": email})
			b.poll()
			open, err := b.store.ListMatchReviews(b.ctx, b.connID, false)
			if err != nil || len(open) != 1 || open[0].SFID != sfID {
				t.Fatalf("reviews = %+v (%v), want one of Lead %s", open, err, sfID)
			}
			review := open[0]

			// The first lead's own update matches it to the Lead.
			b.updateContact(first, map[string]any{"phone": "+1 555 0199"})
			b.drain()
			if m, ok := b.mapping(first); !ok || m.SFID != sfID {
				t.Fatalf("mapping of the updated lead = %+v, %v; want Lead %s", m, ok, sfID)
			}
			if open, _ := b.store.ListMatchReviews(b.ctx, b.connID, false); len(open) != 0 {
				t.Fatalf("open reviews = %+v, want none: the Lead is mapped", open)
			}
			all, err := b.store.ListMatchReviews(b.ctx, b.connID, true)
			if err != nil || len(all) != 1 || all[0].Resolution != store.ReviewSuperseded {
				t.Fatalf("reviews = %+v (%v), want the one closed as %s", all, err, store.ReviewSuperseded)
			}

			// The admin picks the second lead on the page opened before.
			jobsBefore := b.jobCount(jobs.MapRecordArgs{}.Kind())
			a := app.New(app.Options{Store: b.store, Manager: b.mgr})
			_, err = a.ResolveReview(b.ctx, b.connID, review.ID, app.ReviewDecision{IntercomID: second})
			var ae *app.Error
			if !errors.As(err, &ae) || ae.Kind != app.Conflict {
				t.Fatalf("picking on the closed review: %v, want a clear refusal", err)
			}
			if got := b.jobCount(jobs.MapRecordArgs{}.Kind()); got != jobsBefore {
				t.Errorf("%d map jobs enqueued by a stale pick, want 0", got-jobsBefore)
			}
			if m, ok := b.mapping(second); ok {
				t.Errorf("the stale pick mapped the second lead to %s", m.SFID)
			}
			if m, _ := b.mapping(first); m.SFID != sfID {
				t.Errorf("the first lead is mapped to %s, want still Lead %s", m.SFID, sfID)
			}
			if !strings.Contains(ae.Msg, "out of date") {
				t.Errorf("message %q does not say the review is closed", ae.Msg)
			}
		})
	}
}
