package store_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// awkwardIDs are ids that a list bound as one parameter (a JSON array on
// SQLite, an array on PostgreSQL) must carry intact.
var awkwardIDs = []string{`it's`, `"quoted"`, `back\slash`, `ünïcødé €`, `😀`, `a,b`, `[1]`, `null`, `123`, `$1`, `?`, `%_`,
	"tab\there", "line\nbreak", `<&>`}

// TestListParameters looks records up by lists of awkward ids: each id
// finds its own record and nothing else, an id given twice counts once, and
// an empty list finds nothing.
func TestListParameters(t *testing.T) {
	eachEngine(t, func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection) {
		var states []store.FieldState
		err := s.InTx(ctx, func(tx store.Tx) error {
			for i, id := range awkwardIDs {
				if _, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: conn.ID, Kind: store.MappingPerson,
					IntercomID: id, SFObject: store.ObjectContact, SFID: "sf " + id}); err != nil {
					return err
				}
				states = append(states, store.FieldState{ConnectionID: conn.ID, Side: store.SideIntercom, RecordID: id,
					Field: "name", Value: fmt.Sprintf(`"%d"`, i), Origin: store.OriginIntercom})
			}
			// A record whose id is a prefix of others', not asked for.
			if _, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: conn.ID, Kind: store.MappingPerson,
				IntercomID: `it`, SFObject: store.ObjectContact, SFID: "sf it"}); err != nil {
				return err
			}
			return tx.PutFieldStates(ctx, states)
		})
		if err != nil {
			t.Fatal(err)
		}
		asked := append(slices.Clone(awkwardIDs), awkwardIDs[0], "missing")

		byIC, err := s.ListMappingsByIntercomIDs(ctx, conn.ID, asked)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Sorted(maps.Keys(byIC)); !slices.Equal(got, slices.Sorted(slices.Values(awkwardIDs))) {
			t.Errorf("mappings by intercom id: got %q", got)
		}
		for id, m := range byIC {
			if m.IntercomID != id || m.SFID != "sf "+id {
				t.Errorf("mapping of %q = %+v", id, m)
			}
		}

		sfIDs := make([]string, len(asked))
		for i, id := range asked {
			sfIDs[i] = "sf " + id
		}
		bySF, err := s.ListMappingsBySalesforceIDs(ctx, conn.ID, store.ObjectContact, sfIDs)
		if err != nil {
			t.Fatal(err)
		}
		if len(bySF) != len(awkwardIDs) {
			t.Errorf("mappings by salesforce id: got %d, want %d", len(bySF), len(awkwardIDs))
		}
		for id, m := range bySF {
			if m.SFID != id || "sf "+m.IntercomID != id {
				t.Errorf("mapping of %q = %+v", id, m)
			}
		}

		got, err := s.GetFieldStates(ctx, conn.ID, store.SideIntercom, asked)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(awkwardIDs) {
			t.Errorf("field states: got %d records, want %d", len(got), len(awkwardIDs))
		}
		for i, id := range awkwardIDs {
			if st := got[id]; len(st) != 1 || st[0].Value != fmt.Sprintf(`"%d"`, i) {
				t.Errorf("field states of %q = %+v", id, st)
			}
		}

		for _, empty := range [][]string{nil, {}, {""}} {
			if m, err := s.ListMappingsByIntercomIDs(ctx, conn.ID, empty); err != nil || len(m) != 0 {
				t.Errorf("mappings of %q: %v, %v", empty, m, err)
			}
			if st, err := s.GetFieldStates(ctx, conn.ID, store.SideIntercom, empty); err != nil || len(st) != 0 {
				t.Errorf("field states of %q: %v, %v", empty, st, err)
			}
		}
	})
}

// TestWebhookEventIDLists marks, renews and releases events by lists of
// ids, including empty lists and ids that are not there.
func TestWebhookEventIDLists(t *testing.T) {
	eachEngine(t, func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection) {
		var ids []int64
		err := s.InTx(ctx, func(tx store.Tx) error {
			for i := range 5 {
				e, _, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: conn.ID,
					NotificationID: fmt.Sprintf("n%d", i), Topic: "contact.user.updated", Payload: `{}`})
				if err != nil {
					return err
				}
				ids = append(ids, e.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var claimed []store.WebhookEvent
		err = s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.MarkWebhookEventsProcessed(ctx, nil); err != nil {
				return err
			}
			if n, err := tx.RenewWebhookEventClaims(ctx, nil, "me", time.Now().Add(time.Minute)); err != nil || n != 0 {
				return fmt.Errorf("renew nothing: %d, %v", n, err)
			}
			var err error
			claimed, err = tx.ClaimPendingWebhookEvents(ctx, conn.ID, 10, "me", time.Now().Add(time.Minute))
			if err != nil {
				return err
			}
			if len(claimed) != 5 {
				return fmt.Errorf("claimed %d, want 5", len(claimed))
			}
			if n, err := tx.RenewWebhookEventClaims(ctx, []int64{ids[0], ids[1], ids[1], 1 << 40}, "me", time.Now().Add(time.Hour)); err != nil || n != 2 {
				return fmt.Errorf("renew two: %d, %v", n, err)
			}
			if err := tx.MarkWebhookEventsProcessed(ctx, []int64{ids[0], ids[2], 1 << 40}); err != nil {
				return err
			}
			return tx.ReleaseWebhookEvents(ctx, ids, "me")
		})
		if err != nil {
			t.Fatal(err)
		}
		pending, err := s.ListPendingWebhookEvents(ctx, conn.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, e := range pending {
			got = append(got, e.ID)
		}
		if want := []int64{ids[1], ids[3], ids[4]}; !slices.Equal(got, want) {
			t.Errorf("pending = %v, want %v", got, want)
		}
		// Released: another owner can claim them at once.
		err = s.InTx(ctx, func(tx store.Tx) error {
			c, err := tx.ClaimPendingWebhookEvents(ctx, conn.ID, 10, "other", time.Now().Add(time.Minute))
			if err == nil && len(c) != 3 {
				err = fmt.Errorf("other claimed %d, want 3", len(c))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
