package intercom_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry/emulator/intercom"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tests := []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"missing", map[string]string{}, http.StatusUnauthorized},
		{"wrong", map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized},
		{"not bearer", map[string]string{"Authorization": "Basic " + testToken}, http.StatusUnauthorized},
		{"good", map[string]string{"Authorization": "Bearer " + testToken}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m, h := f.callWith("GET", "/me", nil, tt.header)
			if code != tt.want {
				t.Fatalf("status %d, want %d", code, tt.want)
			}
			if code == http.StatusUnauthorized {
				if c := errorCode(t, m); c != "unauthorized" {
					t.Errorf("code %q", c)
				}
				if h.Get("X-RateLimit-Limit") != "" {
					t.Error("rate limit headers sent without valid credentials")
				}
				return
			}
			if m["type"] != "admin" || m["app"].(map[string]any)["id_code"] != f.srv.AppID() {
				t.Errorf("unexpected /me: %v", m)
			}
			if h.Get("X-RateLimit-Limit") != "1666" || h.Get("X-RateLimit-Remaining") == "" || h.Get("X-RateLimit-Reset") == "" {
				t.Errorf("rate limit headers: %v", h)
			}
		})
	}
	t.Run("revoked", func(t *testing.T) {
		f := setup(t)
		f.must(200, "GET", "/admins", nil)
		code, m, _ := f.callWith("POST", "/__emulator/tokens/revoke", map[string]string{"token": testToken}, nil)
		if code != 200 || m["revoked"] != true {
			t.Fatalf("revoke: %d %v", code, m)
		}
		code, m = f.call("GET", "/admins", nil)
		if code != 401 || errorCode(t, m) != "unauthorized" {
			t.Fatalf("after revoke: %d %v", code, m)
		}
	})
}

func TestVersionHeader(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, tt := range []struct {
		version string
		want    int
	}{{"2.11", 200}, {"2.12", 200}, {"2.14", 200}, {"2.5", 400}, {"3.0", 400}, {"Preview", 400}} {
		t.Run(tt.version, func(t *testing.T) {
			code, m, _ := f.callWith("GET", "/admins", nil, map[string]string{"Authorization": "Bearer " + testToken, "Intercom-Version": tt.version})
			if code != tt.want {
				t.Fatalf("status %d, want %d: %v", code, tt.want, m)
			}
			if code == 400 && errorCode(t, m) != "intercom_version_invalid" {
				t.Errorf("body %v", m)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) // fixed clock: one window
	f := setup(t, func(o *intercom.Options) {
		o.RateLimit = 18 // 3 per 10-second window
		o.Now = func() time.Time { return clock }
	})
	hdr := map[string]string{"Authorization": "Bearer " + testToken}
	for i := 1; i <= 4; i++ {
		code, m, h := f.callWith("GET", "/teams", nil, hdr)
		if h.Get("X-RateLimit-Limit") != "3" {
			t.Fatalf("limit header %q", h.Get("X-RateLimit-Limit"))
		}
		if want := strconv.FormatInt(clock.Unix()/10*10+10, 10); h.Get("X-RateLimit-Reset") != want {
			t.Errorf("reset %q, want %s", h.Get("X-RateLimit-Reset"), want)
		}
		if i <= 3 {
			if code != 200 || h.Get("X-RateLimit-Remaining") != strconv.Itoa(3-i) {
				t.Fatalf("call %d: %d remaining %q", i, code, h.Get("X-RateLimit-Remaining"))
			}
			continue
		}
		if code != 429 || errorCode(t, m) != "rate_limit_exceeded" || h.Get("X-RateLimit-Remaining") != "0" {
			t.Fatalf("call %d: %d %v", i, code, m)
		}
	}
	// Raising the limit through the control surface opens a fresh window.
	code, _, _ := f.callWith("POST", "/__emulator/rate-limit", map[string]int{"per_minute": 600}, nil)
	if code != 200 {
		t.Fatalf("set rate limit: %d", code)
	}
	f.must(200, "GET", "/teams", nil)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"unknown path", "GET", "/nope", nil, 404, "not_found"},
		{"unknown contact", "GET", "/contacts/5f0000000000000000000000", nil, 404, "not_found"},
		{"malformed json", "POST", "/contacts", "{not json", 400, "bad_request"},
		{"unknown field", "POST", "/contacts", map[string]any{"email": "a@b.example", "colour": "red"}, 400, "bad_request"},
		{"wrong type", "POST", "/contacts", map[string]any{"email": 42}, 400, "parameter_invalid"},
		{"bad role", "POST", "/contacts", map[string]any{"role": "visitor"}, 400, "parameter_invalid"},
		{"nothing identifying", "POST", "/contacts", map[string]any{"name": "x"}, 400, "parameter_invalid"},
		{"unknown admin", "GET", "/admins/1", nil, 404, "admin_not_found"},
		{"unknown conversation", "GET", "/conversations/999999", nil, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := f.call(tt.method, tt.path, tt.body)
			if code != tt.status {
				t.Fatalf("status %d, want %d: %v", code, tt.status, m)
			}
			if c := errorCode(t, m); c != tt.code {
				t.Errorf("code %q, want %q", c, tt.code)
			}
		})
	}
}

func TestAdminsAndTeams(t *testing.T) {
	t.Parallel()
	f := setup(t, func(o *intercom.Options) { o.Seed = "demo" })
	admins := f.must(200, "GET", "/admins", nil)
	list := admins["admins"].([]any)
	if admins["type"] != "admin.list" || len(list) < 4 {
		t.Fatalf("admins: %v", admins)
	}
	first := list[1].(map[string]any)
	got := f.must(200, "GET", "/admins/"+str(first["id"]), nil)
	if got["email"] != first["email"] || got["type"] != "admin" {
		t.Errorf("admin by id: %v", got)
	}
	teams := f.must(200, "GET", "/teams", nil)
	if teams["type"] != "team.list" || len(teams["teams"].([]any)) < 2 {
		t.Errorf("teams: %v", teams)
	}
	empty := setup(t)
	if n := len(empty.must(200, "GET", "/admins", nil)["admins"].([]any)); n != 1 {
		t.Errorf("empty seed has %d admins, want only the app's own", n)
	}
}

func TestConcurrentCalls(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var wg sync.WaitGroup
	errs := make(chan string, 40)
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			code, m := f.call("POST", "/contacts", map[string]any{"email": "c" + strconv.Itoa(i) + "@x.example"})
			if code != 200 {
				errs <- strconv.Itoa(code) + " " + str(m["type"])
			}
		}()
		go func() {
			defer wg.Done()
			if code, _ := f.call("GET", "/contacts?per_page=5", nil); code != 200 {
				errs <- "list " + strconv.Itoa(code)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := f.must(200, "GET", "/contacts", nil)["total_count"]; n != float64(20) {
		t.Errorf("total_count %v, want 20", n)
	}
	if got := f.srv.APICalls(); got != 41 {
		t.Errorf("APICalls %d, want 41", got)
	}
}
