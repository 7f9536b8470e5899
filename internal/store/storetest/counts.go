package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// exerciseCounts: the mapping and history counts the overview reads stay
// exact through inserts, a mapping's kind change, deletes and retention,
// and a day's history counts only that UTC day.
func exerciseCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	c := newConnection(t, s)
	mappings := func(want map[store.MappingKind]int) {
		t.Helper()
		for kind, n := range want {
			got, err := s.CountMappings(ctx, c.ID, kind)
			noErr(t, err)
			if got != n {
				t.Errorf("CountMappings(%q) = %d, want %d", kind, got, n)
			}
		}
	}
	person := func(ic, sf string) store.Mapping {
		return store.Mapping{ConnectionID: c.ID, Kind: store.MappingPerson, IntercomID: ic, IntercomRole: store.RoleUser,
			SFObject: store.ObjectContact, SFID: sf}
	}
	inTx(t, s, func(tx store.Tx) error {
		for _, m := range []store.Mapping{person("ic1", "003000000000001"), person("ic2", "003000000000002"), person("ic3", "003000000000003")} {
			if _, err := tx.UpsertMapping(ctx, m); err != nil {
				return err
			}
		}
		// An upsert of an existing mapping is no new mapping.
		_, err := tx.UpsertMapping(ctx, person("ic1", "003000000000001"))
		return err
	})
	mappings(map[store.MappingKind]int{"": 3, store.MappingPerson: 3, store.MappingCompany: 0})
	inTx(t, s, func(tx store.Tx) error {
		_, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: c.ID, Kind: store.MappingCompany, IntercomID: "ic3",
			SFObject: store.ObjectAccount, SFID: "001000000000003"})
		return err
	})
	mappings(map[store.MappingKind]int{"": 3, store.MappingPerson: 2, store.MappingCompany: 1})
	inTx(t, s, func(tx store.Tx) error { return tx.DeleteMappingByIntercomID(ctx, c.ID, "ic2") })
	mappings(map[store.MappingKind]int{"": 2, store.MappingPerson: 1, store.MappingCompany: 1})

	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	entry := func(at time.Time, origin store.Origin, outcome string) store.HistoryEntry {
		return store.HistoryEntry{ConnectionID: c.ID, Object: "user", IntercomID: "ic1", Origin: origin, Outcome: outcome, CreatedAt: at}
	}
	inTx(t, s, func(tx store.Tx) error {
		return tx.AppendHistoryBatch(ctx, []store.HistoryEntry{
			entry(day.Add(-time.Microsecond), store.OriginIntercom, "ok"), // the day before
			entry(day, store.OriginIntercom, "ok"),
			entry(day.Add(23*time.Hour), store.OriginIntercom, "ok"),
			entry(day.Add(time.Hour), store.OriginSalesforce, "ok"),
			entry(day.Add(time.Hour), store.OriginSalesforce, "failed"),
			entry(day.Add(24*time.Hour), store.OriginSalesforce, "ok"), // the day after
		})
	})
	history := func(on time.Time, want map[store.Origin]int) {
		t.Helper()
		got, err := s.CountHistoryOfDay(ctx, c.ID, on, "ok")
		noErr(t, err)
		for _, o := range []store.Origin{store.OriginIntercom, store.OriginSalesforce} {
			if got[o] != want[o] {
				t.Errorf("CountHistoryOfDay(%s)[%s] = %d, want %d", on.Format(time.DateOnly), o, got[o], want[o])
			}
		}
	}
	history(day.Add(12*time.Hour), map[store.Origin]int{store.OriginIntercom: 2, store.OriginSalesforce: 1})
	history(day.Add(-time.Hour), map[store.Origin]int{store.OriginIntercom: 1})
	// Retention removes the day before; the counts follow.
	inTx(t, s, func(tx store.Tx) error { _, err := tx.DeleteHistoryBefore(ctx, c.ID, day, 100); return err })
	history(day.Add(-time.Hour), map[store.Origin]int{})
	history(day, map[store.Origin]int{store.OriginIntercom: 2, store.OriginSalesforce: 1})

	// Deleting the connection leaves no counter behind. Counted in the
	// deleting transaction: once it commits, SQLite may give the freed id
	// to a connection another subtest creates.
	var rows map[string]int64
	inTx(t, s, func(tx store.Tx) error {
		if err := tx.DeleteConnection(ctx, c.ID); err != nil {
			return err
		}
		var err error
		rows, err = tx.CountConnectionRows(ctx, c.ID)
		return err
	})
	if len(rows) != 0 {
		t.Errorf("rows left after deleting the connection: %v", rows)
	}
}
