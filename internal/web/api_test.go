package web_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/web"
)

func TestAdminAuth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	endpoints := []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/connections", ""},
		{http.MethodPost, "/api/v1/connections", `{"name":"x"}`},
		{http.MethodGet, "/api/v1/connections/1", ""},
		{http.MethodPost, "/api/v1/connections/1/disconnect", `{}`},
		{http.MethodGet, "/api/v1/settings", ""},
		{http.MethodPut, "/api/v1/settings", `{}`},
		{http.MethodGet, "/api/v1/sync-errors", ""},
		{http.MethodGet, "/api/v1/sync-errors/1", ""},
		{http.MethodPost, "/api/v1/sync-errors/1/retry", ""},
		{http.MethodPost, "/api/v1/sync-errors/retry", ""},
		{http.MethodGet, "/api/v1/history?record=x", ""},
		{http.MethodGet, "/api/v1/usage", ""},
		{http.MethodGet, "/api/v1/reviews", ""},
		{http.MethodPost, "/api/v1/reviews/1/resolve", `{"skip":true}`},
		{http.MethodGet, "/connect/salesforce", ""},
		{http.MethodGet, "/connect/intercom", ""},
	}
	for _, ep := range endpoints {
		for _, hdr := range []struct{ name, value string }{
			{"none", ""},
			{"wrong token", "Bearer nope"},
			{"token prefix", "Bearer " + adminToken[:len(adminToken)-1]},
			{"basic scheme", "Basic " + adminToken},
			{"empty bearer", "Bearer "},
		} {
			var h []string
			if hdr.value != "" {
				h = []string{"Authorization", hdr.value}
			}
			res := b.do(t, ep.method, ep.path, "", ep.body, h...)
			if res.status != http.StatusUnauthorized || res.errorCode(t) != "unauthorized" || res.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s with %s: status %d %s, want 401", ep.method, ep.path, hdr.name, res.status, res.body)
			}
		}
	}
	// The right token passes (whatever the endpoint then answers).
	for _, ep := range endpoints {
		if res := b.admin(t, ep.method, ep.path, ep.body); res.status == http.StatusUnauthorized {
			t.Errorf("%s %s with the admin token: 401", ep.method, ep.path)
		}
	}
}

func TestSession(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if res := b.do(t, http.MethodPost, "/api/v1/session", "", `{"token":"wrong"}`); res.status != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", res.status)
	}
	if res := b.do(t, http.MethodPost, "/api/v1/session", "", `{"token":`); res.status != http.StatusBadRequest {
		t.Fatalf("malformed: %d", res.status)
	}
	res := b.do(t, http.MethodPost, "/api/v1/session", "", `{"token":"`+adminToken+`"}`)
	if res.status != http.StatusOK {
		t.Fatalf("sign in: %d %s", res.status, res.body)
	}
	cookies := (&http.Response{Header: res.header}).Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode || cookies[0].Value == "" {
		t.Fatalf("cookie = %+v", cookies)
	}
	if strings.Contains(cookies[0].Value, adminToken) {
		t.Fatal("the session cookie carries the admin token")
	}
	c := cookies[0].Name + "=" + cookies[0].Value
	if res := b.do(t, http.MethodGet, "/api/v1/connections", "", "", "Cookie", c); res.status != http.StatusOK {
		t.Fatalf("with the session: %d", res.status)
	}
	// The browser can start a connect flow with it.
	if res := b.do(t, http.MethodGet, "/connect/salesforce", "", "", "Cookie", c); res.status != http.StatusFound {
		t.Fatalf("connect with the session: %d", res.status)
	}
	forged := c[:len(c)-2] + "xx"
	if res := b.do(t, http.MethodGet, "/api/v1/connections", "", "", "Cookie", forged); res.status != http.StatusUnauthorized {
		t.Fatalf("forged session: %d", res.status)
	}
	// The cookie is a random value, not a signed expiry: each sign-in gets
	// its own.
	if again := b.signIn(t); again == c {
		t.Fatal("two sign-ins got the same session cookie")
	}
	// Another instance with the same secrets accepts the session until it
	// expires.
	later := func(d time.Duration) *httptest.Server {
		srv := web.New(web.Options{Config: b.cfg, Store: b.store, Manager: b.manager, DefaultConnectionID: b.connID,
			Now: func() time.Time { return time.Now().Add(d) }})
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		return ts
	}
	if res := b.do(t, http.MethodGet, later(time.Hour).URL+"/api/v1/connections", "", "", "Cookie", c); res.status != http.StatusOK {
		t.Fatalf("session on another instance: %d", res.status)
	}
	if res := b.do(t, http.MethodGet, later(13*time.Hour).URL+"/api/v1/connections", "", "", "Cookie", c); res.status != http.StatusUnauthorized {
		t.Fatalf("expired session: %d", res.status)
	}
	// Rotating the admin token ends every session.
	rotated := b.cfg
	rotated.AdminToken = "rotated-admin-token"
	ts := httptest.NewServer(web.New(web.Options{Config: rotated, Store: b.store, Manager: b.manager}).Handler())
	t.Cleanup(ts.Close)
	if res := b.do(t, http.MethodGet, ts.URL+"/api/v1/connections", "", "", "Cookie", c); res.status != http.StatusUnauthorized {
		t.Fatalf("session after rotating the admin token: %d", res.status)
	}

	res = b.do(t, http.MethodDelete, "/api/v1/session", "", "")
	if res.status != http.StatusNoContent || !strings.Contains(res.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("sign out: %d %q", res.status, res.header.Get("Set-Cookie"))
	}
}

func TestConnectionsAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)

	res := b.admin(t, http.MethodPost, "/api/v1/connections", `{"name":"acme"}`)
	if res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	created := res.json(t)
	id := int64(created["id"].(float64))
	if created["state"] != "pending" || created["default"] != false || res.header.Get("Location") != "/api/v1/connections/"+itoa(id) {
		t.Fatalf("created = %v (Location %q)", created, res.header.Get("Location"))
	}
	for _, tc := range []struct {
		body, code string
		status     int
	}{
		{`{"name":""}`, "bad_request", http.StatusBadRequest},
		{`{"name":"x","extra":1}`, "bad_request", http.StatusBadRequest},
		{`{"name":`, "bad_request", http.StatusBadRequest},
		{``, "bad_request", http.StatusBadRequest},
		{`{"name":"x"} {}`, "bad_request", http.StatusBadRequest},
	} {
		res := b.admin(t, http.MethodPost, "/api/v1/connections", tc.body)
		if res.status != tc.status || res.errorCode(t) != tc.code {
			t.Errorf("create %q: %d %s", tc.body, res.status, res.body)
		}
	}

	list := b.admin(t, http.MethodGet, "/api/v1/connections", "").json(t)["connections"].([]any)
	if len(list) != 2 || list[0].(map[string]any)["default"] != true || list[1].(map[string]any)["name"] != "acme" {
		t.Fatalf("list = %v", list)
	}
	for path, status := range map[string]int{
		"/api/v1/connections/999": http.StatusNotFound,
		"/api/v1/connections/abc": http.StatusBadRequest,
		"/api/v1/nope":            http.StatusNotFound,
	} {
		if res := b.admin(t, http.MethodGet, path, ""); res.status != status || res.errorCode(t) == "" {
			t.Errorf("GET %s: %d %s, want %d with a JSON error", path, res.status, res.body, status)
		}
	}

	// Connect the new one, then disconnect it keeping its data.
	b.connectSalesforce(t, id)
	cred, err := b.store.GetCredential(t.Context(), id, store.CredentialSalesforce)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := cred.SalesforceToken()
	res = b.admin(t, http.MethodPost, "/api/v1/connections/"+itoa(id)+"/disconnect", `{"purge":false}`)
	if res.status != http.StatusOK {
		t.Fatalf("disconnect: %d %s", res.status, res.body)
	}
	got := res.json(t)
	if got["state"] != "disconnected" || got["cause"] != store.CauseUserDisconnected ||
		got["salesforce"].(map[string]any)["has_credentials"] != false {
		t.Fatalf("after disconnect: %v", got)
	}
	// The token was revoked at Salesforce, not only forgotten.
	app := &salesforce.Config{LoginURL: b.sfURL, ClientID: sfemu.DefaultClientID, ClientSecret: sfemu.DefaultClientSecret}
	if _, err := app.RefreshToken(t.Context(), tok.RefreshToken); !errors.Is(err, salesforce.ErrTokenRevoked) {
		t.Fatalf("refresh with the disconnected token: %v, want revoked", err)
	}

	res = b.admin(t, http.MethodPost, "/api/v1/connections/"+itoa(id)+"/disconnect", `{"purge":true}`)
	if res.status != http.StatusOK || res.json(t)["purged"] != true {
		t.Fatalf("purge: %d %s", res.status, res.body)
	}
	if res := b.admin(t, http.MethodGet, "/api/v1/connections/"+itoa(id), ""); res.status != http.StatusNotFound {
		t.Fatalf("purged connection: %d", res.status)
	}
	if res := b.admin(t, http.MethodPost, "/api/v1/connections/"+itoa(id)+"/disconnect", `{"purge":"yes"}`); res.status != http.StatusBadRequest {
		t.Fatalf("purge of wrong type: %d", res.status)
	}
}

func TestSyncErrorsAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	var withJob, withoutJob store.SyncError
	var jobID int64
	err := b.store.InTx(ctx, func(tx store.Tx) error {
		j, err := tx.Enqueue(ctx, jobs.PollArgs{ConnectionID: b.connID}, nil)
		if err != nil {
			return err
		}
		jobID = j.Job.ID
		withJob, err = tx.UpsertSyncError(ctx, store.SyncError{ConnectionID: b.connID, Object: "Lead", RecordID: "ic1",
			Operation: "create_lead", Code: "REQUIRED_FIELD_MISSING", Message: "Required fields are missing: [Company]",
			RequestBody: `{"LastName":"Ann"}`, JobID: &jobID})
		if err != nil {
			return err
		}
		withoutJob, err = tx.UpsertSyncError(ctx, store.SyncError{ConnectionID: b.connID, Object: "Contact", RecordID: "ic2",
			Operation: "update_contact", Code: "INVALID_EMAIL_ADDRESS", Message: "bad email"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.CancelJob(ctx, jobID); err != nil {
		t.Fatal(err)
	}

	got := b.admin(t, http.MethodGet, "/api/v1/sync-errors", "").json(t)
	if got["total"] != 2.0 || len(got["sync_errors"].([]any)) != 2 {
		t.Fatalf("list = %v", got)
	}
	if got := b.admin(t, http.MethodGet, "/api/v1/sync-errors?limit=1", "").json(t); len(got["sync_errors"].([]any)) != 1 || got["total"] != 2.0 {
		t.Fatalf("limit=1: %v", got)
	}
	if got := b.admin(t, http.MethodGet, "/api/v1/sync-errors?code=INVALID_EMAIL_ADDRESS", "").json(t); got["total"] != 1.0 {
		t.Fatalf("by code: %v", got)
	}
	for _, q := range []string{"limit=0", "limit=5000", "offset=-1", "connection=x"} {
		if res := b.admin(t, http.MethodGet, "/api/v1/sync-errors?"+q, ""); res.status != http.StatusBadRequest {
			t.Errorf("%s: %d", q, res.status)
		}
	}

	detail := b.admin(t, http.MethodGet, "/api/v1/sync-errors/"+itoa(withJob.ID), "").json(t)
	if detail["request_body"] != `{"LastName":"Ann"}` || detail["code"] != "REQUIRED_FIELD_MISSING" || detail["retryable"] != true {
		t.Fatalf("detail = %v", detail)
	}
	if res := b.admin(t, http.MethodGet, "/api/v1/sync-errors/999", ""); res.status != http.StatusNotFound {
		t.Fatalf("unknown: %d", res.status)
	}

	res := b.admin(t, http.MethodPost, "/api/v1/sync-errors/"+itoa(withJob.ID)+"/retry", "")
	if res.status != http.StatusAccepted {
		t.Fatalf("retry: %d %s", res.status, res.body)
	}
	job, err := b.store.GetJob(ctx, jobID)
	if err != nil {
		t.Fatal(err)
	}
	if job.State != rivertype.JobStateAvailable {
		t.Fatalf("job after retry: %s, want available", job.State)
	}
	if res := b.admin(t, http.MethodPost, "/api/v1/sync-errors/"+itoa(withoutJob.ID)+"/retry", ""); res.status != http.StatusConflict {
		t.Fatalf("retry without job: %d", res.status)
	}

	if _, err := b.store.CancelJob(ctx, jobID); err != nil {
		t.Fatal(err)
	}
	got = b.admin(t, http.MethodPost, "/api/v1/sync-errors/retry", "").json(t)
	if got["retried"] != 1.0 || got["without_job"] != 1.0 {
		t.Fatalf("bulk retry = %v", got)
	}
	if job, _ := b.store.GetJob(ctx, jobID); job.State != rivertype.JobStateAvailable {
		t.Fatalf("job after bulk retry: %s", job.State)
	}
}

func TestHistoryUsageReviewsAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	today := time.Now().UTC()
	var review store.MatchReview
	err := b.store.InTx(ctx, func(tx store.Tx) error {
		for i, out := range []string{"ok", "failed", "ok"} {
			_, err := tx.AppendHistory(ctx, store.HistoryEntry{ConnectionID: b.connID, Object: "contact", IntercomID: "ic1",
				SalesforceID: "003000000000001AAA", Origin: store.OriginIntercom, Rule: "mapping",
				Changes: `{"Phone":{"old":null,"new":"` + itoa(int64(i)) + `"}}`, Outcome: out})
			if err != nil {
				return err
			}
		}
		for purpose, n := range map[string]int64{"background": 5, "inbox": 2} {
			if _, err := tx.IncrementUsage(ctx, b.connID, today, purpose, n); err != nil {
				return err
			}
		}
		if _, err := tx.IncrementUsage(ctx, b.connID, today.AddDate(0, 0, -40), "background", 7); err != nil {
			return err
		}
		var err error
		review, err = tx.AddMatchReview(ctx, store.MatchReview{ConnectionID: b.connID, IntercomID: "ic9", Reason: "two contacts",
			Candidates: `[{"id":"003000000000001AAA"},{"id":"003000000000002AAA"}]`})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("history", func(t *testing.T) {
		t.Parallel()
		got := b.admin(t, http.MethodGet, "/api/v1/history?record=003000000000001AAA&limit=2", "").json(t)
		h := got["history"].([]any)
		if len(h) != 2 || got["next_before"] == nil {
			t.Fatalf("page 1 = %v", got)
		}
		first := h[0].(map[string]any)
		if first["outcome"] != "ok" || first["changes"].(map[string]any)["Phone"].(map[string]any)["new"] != "2" {
			t.Fatalf("newest entry = %v", first)
		}
		next := b.admin(t, http.MethodGet, "/api/v1/history?record=ic1&limit=2&before="+itoa(int64(got["next_before"].(float64))), "").json(t)
		if len(next["history"].([]any)) != 1 {
			t.Fatalf("page 2 = %v", next)
		}
		if res := b.admin(t, http.MethodGet, "/api/v1/history", ""); res.status != http.StatusBadRequest {
			t.Fatalf("without record: %d", res.status)
		}
	})

	t.Run("usage", func(t *testing.T) {
		t.Parallel()
		got := b.admin(t, http.MethodGet, "/api/v1/usage?days=7", "").json(t)
		days := got["days"].([]any)
		if len(days) != 1 {
			t.Fatalf("days = %v (the 40-day-old row must be outside)", days)
		}
		d := days[0].(map[string]any)
		if d["total"] != 7.0 || d["by_purpose"].(map[string]any)["inbox"] != 2.0 || d["day"] != today.Format("2006-01-02") {
			t.Fatalf("day = %v", d)
		}
		if got := b.admin(t, http.MethodGet, "/api/v1/usage?days=60", "").json(t); len(got["days"].([]any)) != 2 {
			t.Fatalf("60 days = %v", got)
		}
		if res := b.admin(t, http.MethodGet, "/api/v1/usage?days=0", ""); res.status != http.StatusBadRequest {
			t.Fatalf("days=0: %d", res.status)
		}
	})

	t.Run("reviews", func(t *testing.T) {
		t.Parallel()
		got := b.admin(t, http.MethodGet, "/api/v1/reviews", "").json(t)["reviews"].([]any)
		if len(got) != 1 || len(got[0].(map[string]any)["candidates"].([]any)) != 2 {
			t.Fatalf("reviews = %v", got)
		}
		path := "/api/v1/reviews/" + itoa(review.ID) + "/resolve"
		for body, status := range map[string]int{
			`{"salesforce_id":"nope"}`:                           http.StatusBadRequest,
			`{"salesforce_id":"003000000000001AAA","skip":true}`: http.StatusBadRequest,
			`{"sf":"003000000000001AAA"}`:                        http.StatusBadRequest,
			`{"salesforce_id":"003000000000001"}`:                http.StatusOK,
		} {
			if res := b.admin(t, http.MethodPost, path, body); res.status != status {
				t.Errorf("resolve %s: %d %s, want %d", body, res.status, res.body, status)
			}
		}
		if res := b.admin(t, http.MethodPost, path, `{"skip":true}`); res.status != http.StatusNotFound {
			t.Fatalf("resolving twice: %d", res.status)
		}
		if got := b.admin(t, http.MethodGet, "/api/v1/reviews", "").json(t)["reviews"].([]any); len(got) != 0 {
			t.Fatalf("open reviews after resolving: %v", got)
		}
		all := b.admin(t, http.MethodGet, "/api/v1/reviews?resolved=1", "").json(t)["reviews"].([]any)
		if len(all) != 1 || all[0].(map[string]any)["resolution"] != "003000000000001" {
			t.Fatalf("all reviews = %v", all)
		}
	})
}

func TestHealth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if res := b.do(t, http.MethodGet, "/healthz", "", ""); res.status != http.StatusOK || strings.TrimSpace(string(res.body)) != "ok" {
		t.Fatalf("healthz: %d %q", res.status, res.body)
	}
	b.connectSalesforce(t, b.connID)
	b.connectIntercomToken(t, b.connID)
	b.sf.RevokeAllTokens()
	sf, err := b.manager.Salesforce(t.Context(), b.connID)
	if err != nil {
		t.Fatal(err)
	}
	// Fails and disconnects. Not a describe: the setup check at connect
	// cached those.
	_, _ = sf.DescribeGlobal(t.Context())

	res := b.do(t, http.MethodGet, "/readyz", "", "")
	if res.status != http.StatusOK {
		t.Fatalf("readyz: %d %s", res.status, res.body)
	}
	var ready struct {
		Status      string `json:"status"`
		Connections []struct {
			ID    int64  `json:"id"`
			State string `json:"state"`
			Cause string `json:"cause"`
		} `json:"connections"`
	}
	if err := json.Unmarshal(res.body, &ready); err != nil {
		t.Fatal(err)
	}
	if ready.Status != "ready" || len(ready.Connections) != 1 || ready.Connections[0].State != "disconnected" ||
		ready.Connections[0].Cause != store.CauseTokenRevoked {
		t.Fatalf("readyz = %s", res.body)
	}

	metrics := string(b.do(t, http.MethodGet, "/metrics", "", "").body)
	for _, want := range []string{
		`ferry_connection_state{cause="token_revoked",connection="` + itoa(b.connID) + `",state="disconnected"} 1`,
		`ferry_connection_state{cause="",connection="` + itoa(b.connID) + `",state="connected"} 0`,
		`ferry_http_requests_total{code="200",method="GET",route="GET /readyz"} 1`,
		`ferry_http_requests_total{code="303",method="GET",route="GET /oauth/salesforce/callback"} 1`,
		`ferry_http_request_duration_seconds_count{route="GET /healthz"} 1`,
		`ferry_oauth_callbacks_total{outcome="connected",provider="salesforce"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(metrics, "/connections/1") {
		t.Error("metrics are labelled by path, not route")
	}
}

func TestReadyzStoreDown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if err := b.store.Close(); err != nil {
		t.Fatal(err)
	}
	res := b.do(t, http.MethodGet, "/readyz", "", "")
	if res.status != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a closed store: %d %s", res.status, res.body)
	}
	if res := b.do(t, http.MethodGet, "/healthz", "", ""); res.status != http.StatusOK {
		t.Fatalf("healthz: %d", res.status)
	}
}
