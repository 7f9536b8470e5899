package salesforce_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/salesforce"
)

func TestUpdateIfUnmodified(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	c := b.client
	unchanged := mustCreate(t, c, "Lead", newLead("Unchanged"))
	changed := mustCreate(t, c, "Lead", newLead("Changed"))
	gone := mustCreate(t, c, "Lead", newLead("Gone"))
	if err := c.Delete(ctx, "Lead", gone); err != nil {
		t.Fatal(err)
	}
	later, earlier := time.Now().Add(time.Hour), time.Now().Add(-time.Hour)
	before := b.calls.len()
	res, err := c.UpdateIfUnmodified(ctx, "Lead", []map[string]any{
		{"Id": unchanged, "Title": "written"},
		{"Id": changed, "Title": "refused"},
		{"Id": gone, "Title": "never"},
	}, []time.Time{later, earlier, later})
	if err != nil {
		t.Fatal(err)
	}
	if calls := b.calls.len() - before; calls != 1 {
		t.Errorf("%d calls, want 1 Composite call", calls)
	}
	if len(res) != 3 || res[0].Modified || res[0].Err != nil || !res[1].Modified || res[1].Err != nil || res[2].Err == nil {
		t.Fatalf("results = %+v", res)
	}
	var ae *salesforce.APIError
	if !errors.As(res[2].Err, &ae) || ae.Code != "ENTITY_IS_DELETED" {
		t.Errorf("deleted record: %v, want ENTITY_IS_DELETED", res[2].Err)
	}
	for id, want := range map[string]any{unchanged: "written", changed: nil} {
		rec, err := c.Get(ctx, "Lead", id, "Title")
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := rec.Get("Title"); got != want {
			t.Errorf("Title of %s = %v, want %v", id, got, want)
		}
	}
	if _, err := c.UpdateIfUnmodified(ctx, "Lead", []map[string]any{{"Id": unchanged}}, nil); err == nil {
		t.Error("records without times: no error")
	}
}
