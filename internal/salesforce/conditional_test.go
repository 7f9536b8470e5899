package salesforce_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/salesforce"
)

// TestUpdateIfUnmodified: graphs of conditional updates in one Composite
// Graph call. A record modified after its time is refused, the other
// updates of its graph are rolled back, and other graphs are written.
func TestUpdateIfUnmodified(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	c := b.client
	ids := map[string]string{}
	for _, name := range []string{"Unchanged", "Changed", "Gone", "Before", "Changed2", "After"} {
		ids[name] = mustCreate(t, c, "Lead", newLead(name))
	}
	if err := c.Delete(ctx, "Lead", ids["Gone"]); err != nil {
		t.Fatal(err)
	}
	later, earlier := time.Now().Add(time.Hour), time.Now().Add(-time.Hour)
	upd := func(name string, since time.Time) salesforce.ConditionalUpdate {
		return salesforce.ConditionalUpdate{Object: "Lead", Record: map[string]any{"Id": ids[name], "Title": "written"}, Since: since}
	}
	before := b.calls.len()
	res, err := c.UpdateIfUnmodified(ctx, [][]salesforce.ConditionalUpdate{
		{upd("Unchanged", later)},
		{upd("Changed", earlier)},
		{upd("Gone", later)},
		{upd("Before", later), upd("Changed2", earlier), upd("After", later)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls := b.calls.len() - before; calls != 1 {
		t.Errorf("%d calls, want 1 Composite Graph call", calls)
	}
	want := [][]string{{"written"}, {"modified"}, {"error"}, {"rolled back", "modified", "rolled back"}}
	for i, g := range res {
		for j, r := range g {
			got := "written"
			switch {
			case r.Modified:
				got = "modified"
			case r.RolledBack:
				got = "rolled back"
			case r.Err != nil:
				got = "error"
			}
			if i >= len(want) || j >= len(want[i]) || got != want[i][j] {
				t.Errorf("graph %d record %d: %s (%+v)", i, j, got, r)
			}
		}
	}
	var ae *salesforce.APIError
	if !errors.As(res[2][0].Err, &ae) || ae.Code != "ENTITY_IS_DELETED" {
		t.Errorf("deleted record: %v, want ENTITY_IS_DELETED", res[2][0].Err)
	}
	for name, want := range map[string]any{"Unchanged": "written", "Changed": nil, "Before": nil, "Changed2": nil, "After": nil} {
		rec, err := c.Get(ctx, "Lead", ids[name], "Title")
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := rec.Get("Title"); got != want {
			t.Errorf("Title of %s = %v, want %v", name, got, want)
		}
	}
	if _, err := c.UpdateIfUnmodified(ctx, [][]salesforce.ConditionalUpdate{{upd("Unchanged", time.Time{})}}); err == nil {
		t.Error("an update without a time: no error")
	}
	old := salesforce.NewClient(salesforce.NewRefreshingSource(b.cfg, b.tok, nil),
		salesforce.ClientOptions{APIVersion: "49.0", HTTPClient: b.srv.Client(), OnCall: b.calls.add})
	before = b.calls.len()
	if _, err := old.UpdateIfUnmodified(ctx, [][]salesforce.ConditionalUpdate{{upd("Unchanged", later)}}); err == nil || !strings.Contains(err.Error(), "50.0") {
		t.Errorf("API 49.0: err = %v, want one naming the version needed", err)
	}
	if calls := b.calls.len() - before; calls != 0 {
		t.Errorf("API 49.0: %d calls, want none", calls)
	}
}
