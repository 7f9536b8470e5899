package salesforce_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce"
)

// flakySF answers the first fail REST requests with 503 and passes the rest
// to the emulator, counting REST requests by method.
type flakySF struct {
	next   http.Handler
	fail   atomic.Int64
	counts [3]atomic.Int64 // GET, PATCH, POST
}

func (f *flakySF) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for i, m := range []string{http.MethodGet, http.MethodPatch, http.MethodPost} {
		if r.Method == m {
			f.counts[i].Add(1)
		}
	}
	if f.fail.Add(-1) >= 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`[{"message":"Server temporarily unavailable","errorCode":"SERVER_UNAVAILABLE"}]`))
		return
	}
	f.next.ServeHTTP(w, r)
}

func TestServerErrorsRetriedOnlyWhenIdempotent(t *testing.T) {
	t.Parallel()
	emu := sfemu.New(sfemu.Options{Seed: "empty"})
	f := &flakySF{next: emu}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	ctx := context.Background()
	cfg := &salesforce.Config{LoginURL: srv.URL, ClientID: sfemu.DefaultClientID, ClientSecret: sfemu.DefaultClientSecret}
	tok, err := cfg.PasswordLogin(ctx, sfemu.DefaultUsername, sfemu.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	c := salesforce.NewClient(salesforce.StaticSource{Tok: tok}, salesforce.ClientOptions{})
	id, err := c.Create(ctx, "Lead", map[string]any{"LastName": "Lovelace", "Company": "Analytical"})
	if err != nil {
		t.Fatal(err)
	}
	count := func(i int) int64 { return f.counts[i].Load() }

	t.Run("GetSurvivesTwo503s", func(t *testing.T) {
		f.fail.Store(2)
		before := count(0)
		rec, err := c.Get(ctx, "Lead", id, "LastName")
		if err != nil {
			t.Fatalf("Get after two 503s: %v", err)
		}
		if rec["LastName"] != "Lovelace" {
			t.Errorf("record = %v", rec)
		}
		if n := count(0) - before; n != 3 {
			t.Errorf("GET requests = %d, want 3", n)
		}
	})

	t.Run("CollectionsUpdateRetried", func(t *testing.T) {
		f.fail.Store(1)
		before := count(1)
		res, err := c.UpdateMany(ctx, "Lead", []map[string]any{{"Id": id, "Phone": "+1 555 0100"}}, false)
		if err != nil || len(res) != 1 || !res[0].Success {
			t.Fatalf("UpdateMany after a 503: %v %+v", err, res)
		}
		if n := count(1) - before; n != 2 {
			t.Errorf("PATCH requests = %d, want 2", n)
		}
	})

	t.Run("CreateIsNotRepeated", func(t *testing.T) {
		f.fail.Store(1)
		before := count(2)
		_, err := c.Create(ctx, "Lead", map[string]any{"LastName": "Hopper", "Company": "Navy"})
		if !salesforce.IsTransient(err) {
			t.Fatalf("Create with a 503: err = %v, want a transient error for the caller", err)
		}
		if n := count(2) - before; n != 1 {
			t.Errorf("POST requests = %d, want 1: a create must not be sent twice", n)
		}
	})
}
