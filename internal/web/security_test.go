package web_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"

	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/config"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
	"github.com/ferrysync/ferry/internal/web"
)

// signIn signs in with the admin token and returns the Cookie header.
func (b *bundle) signIn(t testing.TB) string {
	t.Helper()
	res := b.do(t, http.MethodPost, "/api/v1/session", "", `{"token":"`+adminToken+`"}`)
	if res.status != http.StatusOK {
		t.Fatalf("sign in: %d %s", res.status, res.body)
	}
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == "ferry_session" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatal("sign in set no session cookie")
	return ""
}

func TestSignOutEndsTheSessionServerSide(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cookie := b.signIn(t)
	other := b.signIn(t) // a second browser of the same admin
	if res := b.do(t, http.MethodGet, "/api/v1/connections", "", "", "Cookie", cookie); res.status != http.StatusOK {
		t.Fatalf("with the session: %d", res.status)
	}
	if res := b.do(t, http.MethodDelete, "/api/v1/session", "", "", "Cookie", cookie); res.status != http.StatusNoContent {
		t.Fatalf("sign out: %d %s", res.status, res.body)
	}
	// A copy of the cookie (kept by an attacker, or a browser that ignored
	// the deletion) no longer works.
	if res := b.do(t, http.MethodGet, "/api/v1/connections", "", "", "Cookie", cookie); res.status != http.StatusUnauthorized {
		t.Fatalf("signed-out cookie: %d, want 401", res.status)
	}
	// Nor on another instance sharing the store.
	ts := httptest.NewServer(web.New(web.Options{Config: b.cfg, Store: b.store, Manager: b.manager}).Handler())
	t.Cleanup(ts.Close)
	if res := b.do(t, http.MethodGet, ts.URL+"/api/v1/connections", "", "", "Cookie", cookie); res.status != http.StatusUnauthorized {
		t.Fatalf("signed-out cookie on another instance: %d, want 401", res.status)
	}
	// The other browser's session lives on.
	if res := b.do(t, http.MethodGet, ts.URL+"/api/v1/connections", "", "", "Cookie", other); res.status != http.StatusOK {
		t.Fatalf("other session on another instance: %d, want 200", res.status)
	}
}

// clientFrom returns a client whose connections come from the loopback
// address ip, so the server sees another client.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

func TestSignInRateLimitPerClient(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	b := setupWith(t, storetest.SQLiteURL(t), func(_ *config.Config, o *web.Options) { o.Now = clock })
	signIn := func(c *http.Client, token string) *http.Response {
		t.Helper()
		res, err := c.Post(b.url+"/api/v1/session", "application/json", strings.NewReader(`{"token":"`+token+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	attacker, admin := clientFrom("127.0.0.1"), clientFrom("127.0.0.2")
	for i := range 10 {
		if res := signIn(attacker, "guess"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, res.StatusCode)
		}
	}
	res := signIn(attacker, "guess")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("11th failure: %d Retry-After %q, want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// Even the right token is not tried while the client is limited.
	if res := signIn(attacker, adminToken); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right token while limited: %d, want 429", res.StatusCode)
	}
	// Another client is not affected.
	if res := signIn(admin, adminToken); res.StatusCode != http.StatusOK {
		t.Fatalf("other client: %d, want 200", res.StatusCode)
	}
	// The limit lifts when the failures leave the 15-minute window.
	mu.Lock()
	now = now.Add(16 * time.Minute)
	mu.Unlock()
	if res := signIn(attacker, adminToken); res.StatusCode != http.StatusOK {
		t.Fatalf("after the window: %d, want 200", res.StatusCode)
	}
}

func TestRedirectToIsNeverAnotherHost(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, raw := range []string{"%2F%09%2Fevil.example", "%2F%2Fx", "%2F%5Cx", "https%3A%2F%2Fevil.example", "%2F%0D%0A%2Fevil.example"} {
		res := b.admin(t, http.MethodGet, "/connect/salesforce?connection="+itoa(b.connID)+"&redirect_to="+raw, "")
		if res.status != http.StatusBadRequest {
			t.Errorf("redirect_to=%s: %d %s, want 400", raw, res.status, res.header.Get("Location"))
		}
	}
	// A clean path is kept and followed at the end of the flow.
	cb := b.authorize(t, "/connect/salesforce?connection="+itoa(b.connID)+"&redirect_to=%2Fui%2Fconnections")
	res := b.do(t, http.MethodGet, cb.String(), "", "")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/ui/connections" {
		t.Fatalf("callback: %d Location %q, want 303 /ui/connections", res.status, res.header.Get("Location"))
	}
}

func TestOAuthStateIsBoundToTheBrowser(t *testing.T) {
	t.Parallel()
	for _, provider := range []string{"salesforce", "intercom"} {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			cb := b.authorize(t, "/connect/"+provider+"?connection="+itoa(b.connID))
			// The callback URL (state and code) reaches a client without
			// credentials and without the admin browser's cookie.
			res, err := http.Get(cb.String())
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("callback from another client: %d, want 400", res.StatusCode)
			}
			kind := store.CredentialSalesforce
			if provider == "intercom" {
				kind = store.CredentialIntercom
			}
			if _, err := b.store.GetCredential(t.Context(), b.connID, kind); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("credential after the foreign callback: %v, want none", err)
			}
			// The admin's own browser still completes the flow.
			if res := b.do(t, http.MethodGet, cb.String(), "", ""); res.status != http.StatusSeeOther {
				t.Fatalf("callback from the admin's browser: %d %s", res.status, res.body)
			}
			if _, err := b.store.GetCredential(t.Context(), b.connID, kind); err != nil {
				t.Fatalf("credential after the genuine callback: %v", err)
			}
		})
	}
	t.Run("the binding cookie", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		res := b.admin(t, http.MethodGet, "/connect/intercom?connection="+itoa(b.connID), "")
		var flow *http.Cookie
		for _, c := range (&http.Response{Header: res.header}).Cookies() {
			if strings.HasPrefix(c.Name, "ferry_oauth_") {
				flow = c
			}
		}
		if flow == nil || !flow.HttpOnly || flow.SameSite != http.SameSiteLaxMode || flow.Path != "/oauth/intercom/callback" || flow.MaxAge <= 0 {
			t.Fatalf("binding cookie = %+v, want HttpOnly, Lax, scoped to the callback, expiring", flow)
		}
		if strings.Contains(res.header.Get("Location"), flow.Value) {
			t.Fatal("the binding value travels in the authorize URL")
		}
	})
}

func TestServerTimeoutsCloseSlowAndIdleClients(t *testing.T) {
	t.Parallel()
	b := setupWith(t, storetest.SQLiteURL(t), func(_ *config.Config, o *web.Options) {
		o.Timeouts = web.Timeouts{ReadHeader: 300 * time.Millisecond, Read: 300 * time.Millisecond,
			Body: 300 * time.Millisecond, Write: 5 * time.Second, Idle: 300 * time.Millisecond}
	})
	srv := b.srv.HTTPServer(b.srv.Handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	// closedWithin reports whether the server closes conn within d
	// (answering something first is allowed).
	closedWithin := func(conn net.Conn, d time.Duration) bool {
		_ = conn.SetReadDeadline(time.Now().Add(d))
		_, err := io.Copy(io.Discard, conn)
		var ne net.Error
		return !(errors.As(err, &ne) && ne.Timeout())
	}
	t.Run("a body that never comes", func(t *testing.T) {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"tok")
		if !closedWithin(conn, 5*time.Second) {
			t.Fatal("a slow body kept its connection open for 5 s (read timeout 300 ms)")
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("healthz: %v %v", res, err)
		}
		if !closedWithin(conn, 5*time.Second) {
			t.Fatal("an idle keep-alive connection stayed open for 5 s (idle timeout 300 ms)")
		}
	})
	t.Run("headers that never end", func(t *testing.T) {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, _ = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
		if !closedWithin(conn, 5*time.Second) {
			t.Fatal("unfinished headers kept the connection open for 5 s")
		}
	})
	if d := web.DefaultTimeouts; d.Read <= 0 || d.ReadHeader <= 0 || d.Idle <= 0 || d.Write <= 0 || d.Body <= 0 {
		t.Fatalf("DefaultTimeouts %+v leave a timeout unset", d)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, path := range []string{"/api/v1/connections", "/api/v1/nope", "/healthz"} {
		if res := b.admin(t, http.MethodGet, path, ""); res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", path, res.header.Get("X-Content-Type-Options"))
		}
	}
	res := b.do(t, http.MethodGet, "/connected?provider=intercom", "", "")
	csp := res.header.Get("Content-Security-Policy")
	if !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || csp == "" {
		t.Fatalf("HTML page: Content-Type %q CSP %q", res.header.Get("Content-Type"), csp)
	}
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "*") {
		t.Errorf("CSP %q allows inline code, eval or any host", csp)
	}
	// The page's one inline style is allowed by its hash, so it renders.
	m := regexp.MustCompile(`<style>(.*?)</style>`).FindSubmatch(res.body)
	if m == nil {
		t.Fatalf("page has no style: %s", res.body)
	}
	sum := sha256.Sum256(m[1])
	if !strings.Contains(csp, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("CSP %q does not allow the page's inline style", csp)
	}
}

func TestMethodNotAllowedSaysAllow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPost, "/healthz", "GET, HEAD"},
		{http.MethodDelete, "/metrics", "GET, HEAD"},
		{http.MethodGet, "/webhooks/intercom", "HEAD, POST"},
		{http.MethodGet, "/api/v1/session", "POST, DELETE"},
		{http.MethodDelete, "/api/v1/settings", "GET, HEAD, PUT"},
		{http.MethodPatch, "/api/v1/connections/1", "GET, HEAD"},
		{http.MethodPut, "/api/v1/sync-errors/retry", "GET, HEAD, POST"},
		{http.MethodDelete, "/api/v1/connections", "GET, HEAD, POST"},
	} {
		res := b.admin(t, tc.method, tc.path, "")
		if res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want 405 Allow %q", tc.method, tc.path, res.status, res.header.Get("Allow"), tc.allow)
		}
	}
	if res := b.admin(t, http.MethodGet, "/api/v1/nothing-here", ""); res.status != http.StatusNotFound {
		t.Errorf("unknown API path: %d, want 404", res.status)
	}
}

func TestMetricsAndReadyzProtection(t *testing.T) {
	t.Parallel()
	t.Run("token", func(t *testing.T) {
		t.Parallel()
		b := setupWith(t, storetest.SQLiteURL(t), func(c *config.Config, _ *web.Options) { c.MetricsToken = "scrape-token" })
		for _, path := range []string{"/metrics", "/readyz"} {
			if res := b.do(t, http.MethodGet, path, "", ""); res.status != http.StatusUnauthorized || strings.Contains(string(res.body), "default") {
				t.Errorf("%s without a token: %d, want 401 and no connection names", path, res.status)
			}
			if res := b.do(t, http.MethodGet, path, "scrape-token", ""); res.status != http.StatusOK {
				t.Errorf("%s with the metrics token: %d", path, res.status)
			}
		}
		if res := b.do(t, http.MethodGet, "/healthz", "", ""); res.status != http.StatusOK {
			t.Errorf("/healthz stays open: %d", res.status)
		}
	})
	t.Run("separate listener", func(t *testing.T) {
		t.Parallel()
		b := setupWith(t, storetest.SQLiteURL(t), func(c *config.Config, _ *web.Options) { c.MetricsListen = "127.0.0.1:0" })
		for _, path := range []string{"/metrics", "/readyz"} {
			if res := b.do(t, http.MethodGet, path, "", ""); res.status != http.StatusNotFound {
				t.Errorf("%s on the main listener: %d, want 404", path, res.status)
			}
		}
		ops := httptest.NewServer(b.srv.OpsHandler())
		t.Cleanup(ops.Close)
		for _, path := range []string{"/metrics", "/readyz", "/healthz"} {
			if res := b.do(t, http.MethodGet, ops.URL+path, "", ""); res.status != http.StatusOK {
				t.Errorf("%s on the ops listener: %d", path, res.status)
			}
		}
	})
}
