package salesforce_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func TestDescribe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	c := b.client

	before := b.calls.len()
	d, err := c.Describe(ctx, "Lead")
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "Lead" || d.KeyPrefix != "00Q" || !d.Createable || !d.Queryable {
		t.Fatalf("describe = %+v", d)
	}
	for _, name := range []string{"LastName", "Company"} {
		if f := d.Field(name); f == nil || !f.Required() {
			t.Errorf("%s should be required: %+v", name, f)
		}
	}
	if f := d.Field("email"); f == nil || f.Required() || f.Type != "email" {
		t.Errorf("Email = %+v", f)
	}
	if f := d.Field("LeadSource"); f == nil || f.Type != "picklist" || len(f.PicklistValues) == 0 {
		t.Errorf("LeadSource = %+v", f)
	}
	if f := d.Field("OwnerId"); f == nil || f.Type != "reference" || len(f.ReferenceTo) == 0 || f.RelationshipName != "Owner" {
		t.Errorf("OwnerId = %+v", f)
	}

	if again, err := c.Describe(ctx, "lead"); err != nil || again != d || b.calls.len()-before != 1 {
		t.Fatalf("second describe made %d calls; want it cached", b.calls.len()-before)
	}

	// A field hidden by field-level security disappears after invalidation.
	if err := b.emu.SetFieldHidden("Lead", "Phone", true); err != nil {
		t.Fatal(err)
	}
	c.InvalidateDescribe("Lead")
	d2, err := c.Describe(ctx, "Lead")
	if err != nil {
		t.Fatal(err)
	}
	if d2.Field("Phone") != nil || d.Field("Phone") == nil {
		t.Fatal("invalidated describe still shows the hidden field")
	}

	objs, err := c.DescribeGlobal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, o := range objs {
		found[o.Name] = true
	}
	for _, name := range []string{"Lead", "Contact", "Account", "Task", "Case", "User"} {
		if !found[name] {
			t.Errorf("DescribeGlobal lacks %s", name)
		}
	}
}

func TestLimitsAndUsage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupWith(t, sfemu.Options{APIDailyLimit: 1234})
	c := b.client

	if used, max := c.Usage(); used != 0 || max != 0 {
		t.Fatalf("usage before any call = %d/%d", used, max)
	}
	limits, err := c.Limits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	daily := limits[salesforce.LimitDailyAPIRequests]
	if daily.Max != 1234 || daily.Remaining <= 0 || daily.Remaining > 1234 {
		t.Fatalf("DailyApiRequests = %+v", daily)
	}
	used, max := c.Usage()
	if max != 1234 || used != daily.Max-daily.Remaining {
		t.Fatalf("Usage = %d/%d, limits say %d used of %d", used, max, daily.Max-daily.Remaining, daily.Max)
	}
	for range 3 {
		if _, err := c.Limits(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if used2, _ := c.Usage(); used2 != used+3 {
		t.Fatalf("usage after 3 more calls = %d, want %d", used2, used+3)
	}
	calls := b.calls.snapshot()
	last := calls[len(calls)-1]
	if last.Method != "GET" || last.Path != "/services/data/v62.0/limits" || last.StatusCode != 200 || last.Used != used+3 || last.Max != 1234 {
		t.Fatalf("last call = %+v", last)
	}

	versions, err := c.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range versions {
		found = found || v.Version == c.APIVersion()
	}
	if !found {
		t.Fatalf("versions %v lack %s", versions, c.APIVersion())
	}
}

func TestUpdatedDeleted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	c := b.client

	start := time.Now().Add(-time.Hour)
	keep := mustCreate(t, c, "Lead", newLead("Keep"))
	gone := mustCreate(t, c, "Lead", newLead("Gone"))
	if err := c.Delete(ctx, "Lead", gone); err != nil {
		t.Fatal(err)
	}
	end := time.Now().Add(time.Minute)

	up, err := c.Updated(ctx, "Lead", start, end)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(up.IDs, keep) || contains(up.IDs, gone) || up.LatestDateCovered.IsZero() {
		t.Fatalf("updated = %+v, want %s and not %s", up, keep, gone)
	}
	del, err := c.Deleted(ctx, "Lead", start, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(del.Records) != 1 || del.Records[0].ID != gone || del.Records[0].DeletedDate.IsZero() {
		t.Fatalf("deleted = %+v, want %s", del, gone)
	}
	if _, err := c.Updated(ctx, "Lead", end, start); err == nil {
		t.Fatal("reversed window accepted")
	}
}

func TestClientNameHeader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)

	// A recording front for the emulator, to see the request headers.
	var mu sync.Mutex
	var got []string
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get("Sforce-Call-Options"))
		mu.Unlock()
		b.emu.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	tok := *b.tok
	tok.InstanceURL = front.URL

	for _, tt := range []struct{ name, want string }{{"ferry", "client=ferry"}, {"", ""}} {
		c := salesforce.NewClient(salesforce.StaticSource{Tok: &tok}, salesforce.ClientOptions{ClientName: tt.name})
		if _, err := c.Limits(ctx); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		last := got[len(got)-1]
		mu.Unlock()
		if last != tt.want {
			t.Fatalf("ClientName %q sent Sforce-Call-Options %q, want %q", tt.name, last, tt.want)
		}
	}
}
