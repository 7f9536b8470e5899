package app_test

import (
	"context"
	"testing"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// setup returns an App over a fresh SQLite store with one connection.
func setup(t *testing.T) (*app.App, store.Store, int64) {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, storetest.SQLiteURL(t), store.Options{})
	var id int64
	err := st.InTx(ctx, func(tx store.Tx) error {
		c, err := tx.CreateConnection(ctx, store.Connection{Name: "default"})
		id = c.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return app.New(app.Options{Store: st, DefaultConnectionID: id}), st, id
}

// TestRequestsTheAdminMustFix: wrong input is an app.Error of the kind each
// front end turns into its own answer (a 400/404/409, a message on the
// page), with a message that says what to do.
func TestRequestsTheAdminMustFix(t *testing.T) {
	t.Parallel()
	a, st, conn := setup(t)
	ctx := context.Background()
	var review, sfReview store.MatchReview
	err := st.InTx(ctx, func(tx store.Tx) error {
		var err error
		review, err = tx.AddMatchReview(ctx, store.MatchReview{ConnectionID: conn, IntercomID: "ic1", Reason: "two Leads",
			Candidates: `[{"object":"Lead","id":"00Q000000000001AAA","key":"a@b.example"},{"object":"Lead","id":"00Q000000000002AAA","key":"a@b.example"}]`})
		if err != nil {
			return err
		}
		sfReview, err = tx.AddMatchReview(ctx, store.MatchReview{ConnectionID: conn, SFObject: "Lead", SFID: "00Q000000000003AAA",
			Reason: "two Intercom leads", Candidates: `[{"role":"lead","id":"ic2","email":"c@d.example"},{"role":"lead","id":"ic3","email":"c@d.example"}]`})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		want app.Kind
	}{
		{"unknown connection", func() error { _, err := a.Connection(ctx, conn+100); return err }, app.NotFound},
		{"empty connection name", func() error { _, err := a.CreateConnection(ctx, "  "); return err }, app.Invalid},
		{"unknown sync error", func() error { _, err := a.RetrySyncError(ctx, 999); return err }, app.NotFound},
		{"page too large", func() error {
			_, err := a.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: conn, Limit: app.MaxPage + 1})
			return err
		}, app.Invalid},
		{"history without a record", func() error { _, err := a.History(ctx, conn, "", store.Page{Limit: 10}); return err }, app.Invalid},
		{"usage for zero days", func() error { _, err := a.Usage(ctx, conn, 0); return err }, app.Invalid},
		{"review with both a pick and skip", func() error {
			_, err := a.ResolveReview(ctx, conn, review.ID, app.ReviewDecision{SalesforceID: "00Q000000000001AAA", Skip: true})
			return err
		}, app.Invalid},
		{"review with a record that is not a candidate", func() error {
			_, err := a.ResolveReview(ctx, conn, review.ID, app.ReviewDecision{SalesforceID: "00Q000000000009AAA"})
			return err
		}, app.Invalid},
		{"review with nothing picked", func() error {
			_, err := a.ResolveReview(ctx, conn, review.ID, app.ReviewDecision{})
			return err
		}, app.Invalid},
		{"review of a Salesforce record given a Salesforce record", func() error {
			_, err := a.ResolveReview(ctx, conn, sfReview.ID, app.ReviewDecision{SalesforceID: "00Q000000000003AAA"})
			return err
		}, app.Invalid},
		{"review of an Intercom person given an Intercom person", func() error {
			_, err := a.ResolveReview(ctx, conn, review.ID, app.ReviewDecision{IntercomID: "ic1"})
			return err
		}, app.Invalid},
		{"review with an Intercom person who is not a candidate", func() error {
			_, err := a.ResolveReview(ctx, conn, sfReview.ID, app.ReviewDecision{IntercomID: "ic9"})
			return err
		}, app.Invalid},
		{"review that does not exist", func() error { _, err := a.ResolveReview(ctx, conn, 999, app.ReviewDecision{Skip: true}); return err }, app.NotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if got := app.KindOf(err); got != tc.want {
				t.Errorf("kind %d (%v), want %d", got, err, tc.want)
			}
		})
	}

	t.Run("a pick maps the record once", func(t *testing.T) {
		got, err := a.ResolveReview(ctx, conn, review.ID, app.ReviewDecision{SalesforceID: "00Q000000000002AAA"})
		if err != nil || got != "00Q000000000002AAA" {
			t.Fatalf("resolve: %q %v", got, err)
		}
		if _, err := a.ResolveReview(ctx, conn, review.ID, app.ReviewDecision{Skip: true}); app.KindOf(err) != app.NotFound {
			t.Errorf("resolving again: %v, want not found", err)
		}
		open, _ := a.ListReviews(ctx, conn, false)
		if len(open) != 1 || open[0].ID != sfReview.ID {
			t.Errorf("open reviews after resolving one: %+v", open)
		}
	})

	t.Run("a pick of an Intercom person maps the Salesforce record", func(t *testing.T) {
		open, _ := a.ListReviews(ctx, conn, false)
		if len(open) != 1 || open[0].CandidatesIn != app.CandidatesInIntercom || open[0].SalesforceID != "00Q000000000003AAA" || open[0].SalesforceObject != "Lead" {
			t.Fatalf("open reviews = %+v, want the review of Lead 00Q000000000003AAA", open)
		}
		got, err := a.ResolveReview(ctx, conn, sfReview.ID, app.ReviewDecision{IntercomID: "ic3"})
		if err != nil || got != "ic3" {
			t.Fatalf("resolve: %q %v", got, err)
		}
		if open, _ := a.ListReviews(ctx, conn, false); len(open) != 0 {
			t.Errorf("open reviews after resolving both: %+v", open)
		}
	})
}

// TestFindRecordsByEmail: an email finds the Intercom records matched by
// it, whatever its case; an id is looked up as itself.
func TestFindRecordsByEmail(t *testing.T) {
	t.Parallel()
	a, st, conn := setup(t)
	ctx := context.Background()
	err := st.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: conn, Kind: store.MappingPerson, IntercomID: "ic-ann",
			IntercomRole: store.RoleUser, SFObject: store.ObjectContact, SFID: "003000000000001AAA", MatchKey: "ann@example.com"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{" Ann@Example.com ": "ic-ann", "003000000000001AAA": "003000000000001AAA"} {
		got, err := a.FindRecords(ctx, conn, q)
		if err != nil || len(got) != 1 || got[0] != want {
			t.Errorf("FindRecords(%q) = %v, %v; want [%s]", q, got, err, want)
		}
	}
	if got, _ := a.FindRecords(ctx, conn, "nobody@example.com"); len(got) != 0 {
		t.Errorf("an unknown email found %v", got)
	}
}
