package intercom_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/intercom"
)

// flaky answers the first fail requests with 503 and passes the rest to the
// emulator, counting requests by method.
type flaky struct {
	next  http.Handler
	fail  atomic.Int64
	gets  atomic.Int64
	posts atomic.Int64
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		f.gets.Add(1)
	case http.MethodPost:
		f.posts.Add(1)
	}
	if f.fail.Add(-1) >= 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"type":"error.list","errors":[{"code":"service_unavailable","message":"Service Unavailable"}]}`))
		return
	}
	f.next.ServeHTTP(w, r)
}

func TestServerErrorsRetriedOnlyWhenIdempotent(t *testing.T) {
	t.Parallel()
	emu := icemu.New(icemu.Options{Tokens: []string{"tok"}})
	t.Cleanup(emu.Close)
	f := &flaky{next: emu}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c := intercom.New(intercom.Config{BaseURL: srv.URL, Token: "tok"})
	ctx := context.Background()

	created, err := c.CreateContact(ctx, intercom.ContactInput{Email: intercom.Ptr("ann@example.com"), Role: intercom.Ptr("user")})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("GetSurvivesTwo503s", func(t *testing.T) {
		f.fail.Store(2)
		before := f.gets.Load()
		got, err := c.GetContact(ctx, created.ID)
		if err != nil {
			t.Fatalf("GetContact after two 503s: %v", err)
		}
		if got.ID != created.ID {
			t.Errorf("got contact %s", got.ID)
		}
		if n := f.gets.Load() - before; n != 3 {
			t.Errorf("GET requests = %d, want 3 (two failures, one success)", n)
		}
	})

	t.Run("PostIsNotRepeated", func(t *testing.T) {
		f.fail.Store(1)
		before := f.posts.Load()
		_, err := c.CreateContact(ctx, intercom.ContactInput{Email: intercom.Ptr("bob@example.com"), Role: intercom.Ptr("user")})
		if !intercom.IsRetryable(err) {
			t.Fatalf("CreateContact with a 503: err = %v, want a retryable error for the caller", err)
		}
		if n := f.posts.Load() - before; n != 1 {
			t.Errorf("POST requests = %d, want 1: a create must not be sent twice", n)
		}
	})

	t.Run("GivesUpAfterMaxRetries", func(t *testing.T) {
		f.fail.Store(100)
		before := f.gets.Load()
		_, err := c.GetContact(ctx, created.ID)
		if !intercom.IsRetryable(err) {
			t.Fatalf("err = %v, want the 503 after the retries", err)
		}
		if n := f.gets.Load() - before; n != 4 {
			t.Errorf("GET requests = %d, want 4 (1 + MaxRetries 3)", n)
		}
		f.fail.Store(0)
	})
}
