package salesforce_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce"
)

const (
	testClientID     = "ferry-test-client"
	testClientSecret = "ferry-test-secret"
	testUsername     = "admin@ferry.test"
	testPassword     = "correct horse"
	testRedirectURL  = "https://ferry.test/oauth/salesforce/callback"
)

// callLog records what the client's OnCall hook saw.
type callLog struct {
	mu    sync.Mutex
	calls []salesforce.Call
}

func (l *callLog) add(_ context.Context, c salesforce.Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

func (l *callLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

func (l *callLog) snapshot() []salesforce.Call {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]salesforce.Call(nil), l.calls...)
}

// testBundle is one emulated org with an authorized client.
type testBundle struct {
	emu       *sfemu.Server
	srv       *httptest.Server
	cfg       *salesforce.Config
	tok       *salesforce.Token // from the web-server flow
	client    *salesforce.Client
	calls     *callLog
	refreshMu sync.Mutex
	refreshed []*salesforce.Token // tokens passed to OnRefresh
}

func setup(t testing.TB) *testBundle {
	t.Helper()
	return setupWith(t, sfemu.Options{})
}

// setupWith starts an emulator (filling in credentials) and connects a
// client through the web-server flow.
func setupWith(t testing.TB, opts sfemu.Options) *testBundle {
	t.Helper()
	opts.ClientID, opts.ClientSecret = testClientID, testClientSecret
	opts.Username, opts.Password = testUsername, testPassword
	opts.AutoApprove = true
	if opts.Seed == "" {
		opts.Seed = "empty"
	}
	emu := sfemu.New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)

	b := &testBundle{
		emu: emu,
		srv: srv,
		cfg: &salesforce.Config{
			LoginURL:     srv.URL,
			ClientID:     testClientID,
			ClientSecret: testClientSecret,
			RedirectURL:  testRedirectURL,
			HTTPClient:   srv.Client(),
		},
		calls: &callLog{},
	}
	b.tok = b.authorize(t)
	b.client = b.newClient(b.tok)
	return b
}

// newClient returns a client on a RefreshingSource starting at tok.
func (b *testBundle) newClient(tok *salesforce.Token) *salesforce.Client {
	src := salesforce.NewRefreshingSource(b.cfg, tok, func(_ context.Context, fresh *salesforce.Token) error {
		b.refreshMu.Lock()
		defer b.refreshMu.Unlock()
		b.refreshed = append(b.refreshed, fresh)
		return nil
	})
	return salesforce.NewClient(src, salesforce.ClientOptions{HTTPClient: b.srv.Client(), OnCall: b.calls.add})
}

// authorize runs the web-server flow without a browser: the emulator
// auto-approves, and the redirect's Location carries code and state.
func (b *testBundle) authorize(t testing.TB) *salesforce.Token {
	t.Helper()
	code, _ := b.authorizeCode(t, "state-"+t.Name(), salesforce.GenerateVerifier())
	return code
}

func (b *testBundle) authorizeCode(t testing.TB, state, verifier string) (*salesforce.Token, url.Values) {
	t.Helper()
	q := b.redirect(t, b.cfg.AuthCodeURL(state, verifier, salesforce.WithScope("api refresh_token")))
	if got := q.Get("state"); got != state {
		t.Fatalf("state = %q, want %q", got, state)
	}
	tok, err := b.cfg.Exchange(context.Background(), q.Get("code"), verifier)
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	return tok, q
}

// redirect GETs an authorize URL and returns the query of the redirect.
func (b *testBundle) redirect(t testing.TB, authURL string) url.Values {
	t.Helper()
	hc := *b.srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatalf("GET authorize: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize status = %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatalf("Location: %v", err)
	}
	return loc.Query()
}

// newLead returns valid Lead fields.
func newLead(last string) map[string]any {
	return map[string]any{"LastName": last, "Company": "Acme", "Email": last + "@example.com"}
}

func mustCreate(t *testing.T, c *salesforce.Client, object string, fields map[string]any) string {
	t.Helper()
	id, err := c.Create(context.Background(), object, fields)
	if err != nil {
		t.Fatalf("Create %s: %v", object, err)
	}
	return id
}
