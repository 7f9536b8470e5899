package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/config"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
	"github.com/ferrysync/ferry/internal/web"
)

const (
	adminToken     = "test-admin-token-0123456789"
	icClientID     = "ferry-ic-client"
	icClientSecret = "ferry-ic-secret"
	icStaticToken  = "dG9rOmZlcnJ5LXRlc3Q="
)

// bundle is one ferry server with both emulators and a fresh store.
type bundle struct {
	sf      *sfemu.Server
	sfURL   string
	ic      *icemu.Server
	icURL   string
	store   store.Store
	manager *connection.Manager
	cfg     config.Config
	reg     *prometheus.Registry
	url     string // ferry's base URL
	connID  int64  // the default connection
	client  *http.Client
	logs    *syncBuffer // everything ferry logged, at debug level
	srv     *web.Server
	box     *secret.Box // the store's secrets key, for more instances on it
	dbURL   string      // the store's database
	logger  *slog.Logger
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func setup(t testing.TB) *bundle {
	t.Helper()
	return setupOn(t, storetest.SQLiteURL(t))
}

func setupOn(t testing.TB, databaseURL string) *bundle {
	t.Helper()
	return setupWith(t, databaseURL, nil)
}

// setupWith is setupOn with a chance to change ferry's configuration (and
// server options) before the server is built.
func setupWith(t testing.TB, databaseURL string, adjust func(*config.Config, *web.Options)) *bundle {
	t.Helper()
	ctx := context.Background()
	b := &bundle{logs: &syncBuffer{}}
	logger := slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b.logger = logger
	b.sf = sfemu.New(sfemu.Options{AutoApprove: true})
	sfSrv := httptest.NewServer(b.sf)
	t.Cleanup(sfSrv.Close)
	b.sfURL = sfSrv.URL

	b.ic = icemu.New(icemu.Options{ClientID: icClientID, ClientSecret: icClientSecret, AutoApprove: true,
		Tokens: []string{icStaticToken}})
	icSrv := httptest.NewServer(b.ic)
	t.Cleanup(func() { icSrv.Close(); b.ic.Close() })
	b.icURL = icSrv.URL

	b.box, b.dbURL = storetest.NewBox(t), databaseURL
	b.store = storetest.Open(t, databaseURL, store.Options{Secret: b.box})
	err := b.store.InTx(ctx, func(tx store.Tx) error {
		c, err := tx.CreateConnection(ctx, store.Connection{Name: "default"})
		b.connID = c.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// ferry's URL must be known before its config is built (callbacks),
	// so the listener starts first and the handler is set right after.
	var handler http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	b.url = ts.URL

	b.cfg = config.Config{
		PublicURL:  ts.URL,
		AdminToken: adminToken,
		SecretKey:  "test-secret-key",
		LogLevel:   "info",
		Salesforce: config.SalesforceConfig{LoginURL: b.sfURL, ClientID: sfemu.DefaultClientID,
			ClientSecret: sfemu.DefaultClientSecret, APIVersion: "62.0"},
		Intercom: config.IntercomConfig{URL: b.icURL, OAuthURL: b.icURL + "/oauth", ClientID: icClientID,
			ClientSecret: icClientSecret},
	}
	b.manager = connection.NewManager(connection.Options{
		Store: b.store,
		Salesforce: salesforce.Config{LoginURL: b.sfURL, ClientID: sfemu.DefaultClientID,
			ClientSecret: sfemu.DefaultClientSecret, RedirectURL: b.cfg.SalesforceCallbackURL()},
		SalesforceAPIVersion: "62.0",
		IntercomURL:          b.icURL,
		Logger:               logger,
	})
	b.reg = prometheus.NewRegistry()
	opts := web.Options{Store: b.store, Manager: b.manager, Registry: b.reg, Logger: logger, DefaultConnectionID: b.connID}
	if adjust != nil {
		adjust(&b.cfg, &opts)
	}
	opts.Config = b.cfg
	b.srv = web.New(opts)
	handler = b.srv.Handler()

	// Redirects are followed by hand, so every hop can be checked. The
	// client keeps the OAuth flows' browser-binding cookies, as the
	// admin's browser does; session cookies are sent by hand.
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b.client = &http.Client{Jar: flowJar{jar},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

// flowJar keeps only the OAuth browser-binding cookies (ferry_oauth_…).
type flowJar struct{ http.CookieJar }

func (j flowJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	var keep []*http.Cookie
	for _, c := range cookies {
		if strings.HasPrefix(c.Name, "ferry_oauth_") {
			keep = append(keep, c)
		}
	}
	j.CookieJar.SetCookies(u, keep)
}

// response is a finished request.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not JSON: %v: %s", r.status, err, r.body)
	}
	return m
}

// errorCode returns error.code of an API error body.
func (r response) errorCode(t testing.TB) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// do sends a request; token "" sends no Authorization header.
func (b *bundle) do(t testing.TB, method, target, token string, body string, header ...string) response {
	t.Helper()
	if strings.HasPrefix(target, "/") {
		target = b.url + target
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// admin sends a request as the admin.
func (b *bundle) admin(t testing.TB, method, target, body string, header ...string) response {
	t.Helper()
	return b.do(t, method, target, adminToken, body, header...)
}

// authorize starts a connect flow and follows it through the provider's
// auto-approving authorize page; it returns the callback URL the provider
// sent the browser to (not yet visited).
func (b *bundle) authorize(t testing.TB, connectPath string) *url.URL {
	t.Helper()
	res := b.admin(t, http.MethodGet, connectPath, "")
	if res.status != http.StatusFound {
		t.Fatalf("GET %s: status %d, want 302: %s", connectPath, res.status, res.body)
	}
	res = b.do(t, http.MethodGet, res.header.Get("Location"), "", "")
	if res.status != http.StatusFound {
		t.Fatalf("provider authorize: status %d, want 302: %s", res.status, res.body)
	}
	cb, err := url.Parse(res.header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cb.String(), b.url+"/oauth/") {
		t.Fatalf("provider redirected to %s, not to ferry's callback", cb)
	}
	return cb
}

// connectSalesforce runs the whole Salesforce flow for the connection.
func (b *bundle) connectSalesforce(t testing.TB, connID int64) {
	t.Helper()
	cb := b.authorize(t, "/connect/salesforce?connection="+itoa(connID))
	res := b.do(t, http.MethodGet, cb.String(), "", "")
	if res.status != http.StatusSeeOther {
		t.Fatalf("callback: status %d, want 303: %s", res.status, res.body)
	}
}

// connectIntercomToken gives the connection an Intercom access token, as
// FERRY_INTERCOM_TOKEN does.
func (b *bundle) connectIntercomToken(t testing.TB, connID int64) {
	t.Helper()
	if err := b.manager.StoreIntercomToken(t.Context(), connID, icStaticToken, b.ic.AppID()); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) connection(t testing.TB, id int64) store.Connection {
	t.Helper()
	c, err := b.store.GetConnection(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
