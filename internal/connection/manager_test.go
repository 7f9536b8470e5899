package connection_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// clock is a settable time source shared by the emulator and the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type bundle struct {
	emu         *sfemu.Server
	srv         *httptest.Server
	clock       *clock
	tokenCalls  *atomic.Int64 // requests to /services/oauth2/token
	tokenDone   *atomic.Int64 // of those, answered
	bearers     *bearerLog    // access tokens REST calls carried
	store       store.Store
	connID      int64
	newManager  func() *connection.Manager
	oauthConfig salesforce.Config
}

// setup starts a Salesforce emulator, opens a store on each engine in turn and
// connects one connection with a real password-grant token.
func setup(t *testing.T, engine storetest.Engine) *bundle {
	t.Helper()
	ctx := context.Background()
	clk := &clock{now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	emu := sfemu.New(sfemu.Options{Seed: "empty", Now: clk.Now, AutoApprove: true})
	var tokenCalls, tokenDone atomic.Int64
	bearers := &bearerLog{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/services/oauth2/token" {
			tokenCalls.Add(1)
			defer tokenDone.Add(1)
		}
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			bearers.add(tok)
		}
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	st := storetest.Open(t, engine.URL(t), store.Options{})
	var conn store.Connection
	if err := st.InTx(ctx, func(tx store.Tx) error {
		var err error
		conn, err = tx.CreateConnection(ctx, store.Connection{Name: "default"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	oauth := salesforce.Config{
		LoginURL:     srv.URL,
		ClientID:     sfemu.DefaultClientID,
		ClientSecret: sfemu.DefaultClientSecret,
		RedirectURL:  "http://127.0.0.1:1/oauth/salesforce/callback",
		HTTPClient:   srv.Client(),
	}
	b := &bundle{emu: emu, srv: srv, clock: clk, tokenCalls: &tokenCalls, tokenDone: &tokenDone, bearers: bearers, store: st, connID: conn.ID, oauthConfig: oauth}
	b.newManager = func() *connection.Manager {
		return connection.NewManager(connection.Options{Store: st, Salesforce: oauth, IntercomURL: srv.URL, Now: clk.Now})
	}
	tok := webServerLogin(t, &oauth)
	if err := b.newManager().StoreSalesforceToken(ctx, conn.ID, tok); err != nil {
		t.Fatal(err)
	}
	b.tokenCalls.Store(0)
	b.tokenDone.Store(0)
	return b
}

// webServerLogin runs the OAuth web-server flow with PKCE against the
// auto-approving emulator, as a browser would, and exchanges the code.
func webServerLogin(t *testing.T, oauth *salesforce.Config) *salesforce.Token {
	t.Helper()
	verifier := salesforce.GenerateVerifier()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(oauth.AuthCodeURL("state-0123456789abcdef", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize: status %d, no redirect: %v", resp.StatusCode, err)
	}
	tok, err := oauth.Exchange(context.Background(), loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("web-server flow returned no refresh token")
	}
	return tok
}

// instance returns the Salesforce client of a new manager (a ferry
// instance on the shared store) once it has made a call.
func (b *bundle) instance(t *testing.T) *salesforce.Client {
	t.Helper()
	sf, err := b.newManager().Salesforce(context.Background(), b.connID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sf.Limits(context.Background()); err != nil {
		t.Fatal(err)
	}
	return sf
}

// bearerLog keeps the access tokens REST calls carried, in order.
type bearerLog struct {
	mu   sync.Mutex
	toks []string
}

func (l *bearerLog) add(tok string) { l.mu.Lock(); l.toks = append(l.toks, tok); l.mu.Unlock() }

func (l *bearerLog) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.toks) == 0 {
		return ""
	}
	return l.toks[len(l.toks)-1]
}

func storedAccessToken(t *testing.T, b *bundle) string {
	t.Helper()
	cred, err := b.store.GetCredential(context.Background(), b.connID, store.CredentialSalesforce)
	if err != nil {
		t.Fatal(err)
	}
	// The credential's plaintext is JSON; only the access token matters here.
	s := string(cred.Data)
	i := strings.Index(s, `"access_token":"`)
	if i < 0 {
		t.Fatalf("no access token stored")
	}
	s = s[i+len(`"access_token":"`):]
	return s[:strings.IndexByte(s, '"')]
}

func TestManager(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(string(engine.Engine), func(t *testing.T) {
			t.Parallel()

			t.Run("RefreshOnExpiredSessionIsStored", func(t *testing.T) {
				t.Parallel()
				b := setup(t, engine)
				ctx := context.Background()
				m := b.newManager()
				sf, err := m.Salesforce(ctx, b.connID)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := sf.Limits(ctx); err != nil {
					t.Fatal(err)
				}
				before := storedAccessToken(t, b)
				b.clock.Advance(3 * time.Hour) // past the 2 h session timeout
				if _, err := sf.Limits(ctx); err != nil {
					t.Fatalf("call after session expiry: %v", err)
				}
				if got := b.tokenCalls.Load(); got != 1 {
					t.Errorf("token endpoint calls = %d, want 1 refresh", got)
				}
				if after := storedAccessToken(t, b); after == before {
					t.Error("refreshed access token was not persisted")
				}
			})

			t.Run("TwoInstancesRefreshingAtOnceEndOnTheWinnersToken", func(t *testing.T) {
				t.Parallel()
				b := setup(t, engine)
				ctx := context.Background()
				// Two managers stand for two ferry instances sharing one store.
				sfA, sfB := b.instance(t), b.instance(t)
				// A slow token endpoint keeps both refreshes in flight at once:
				// both spend the refresh token, one swap wins.
				b.emu.SetFaults(sfemu.Faults{TokenLatencyMs: 300})
				b.clock.Advance(3 * time.Hour)
				var wg sync.WaitGroup
				errs := make(chan error, 2)
				for _, sf := range []*salesforce.Client{sfA, sfB} {
					wg.Go(func() {
						_, err := sf.Limits(ctx)
						errs <- err
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
				if got := b.tokenCalls.Load(); got < 1 || got > 2 {
					t.Errorf("token endpoint calls = %d, want 1 or 2 (one per instance at most)", got)
				}
				// From now on both instances call with the stored token: the
				// loser took the winner's.
				stored := storedAccessToken(t, b)
				for name, sf := range map[string]*salesforce.Client{"A": sfA, "B": sfB} {
					if _, err := sf.Limits(ctx); err != nil {
						t.Fatal(err)
					}
					if got := b.bearers.last(); got != stored {
						t.Errorf("instance %s calls with a token that is not the stored one", name)
					}
				}
			})

			t.Run("SlowTokenRefreshDoesNotHoldTheStoreWriter", func(t *testing.T) {
				t.Parallel()
				b := setup(t, engine)
				ctx := context.Background()
				sf := b.instance(t)
				b.emu.SetFaults(sfemu.Faults{TokenLatencyMs: 2000})
				b.clock.Advance(3 * time.Hour)
				refreshed := make(chan error, 1)
				go func() { _, err := sf.Limits(ctx); refreshed <- err }()
				for b.tokenCalls.Load() == 0 {
					time.Sleep(5 * time.Millisecond)
				}
				// While the token endpoint is still answering, webhook intake
				// stores an event, as the webhook handler does.
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				err := b.store.InTx(wctx, func(tx store.Tx) error {
					_, _, err := tx.InsertWebhookEvent(wctx, store.WebhookEvent{ConnectionID: b.connID,
						NotificationID: "notif-during-refresh", Topic: "contact.user.updated", Payload: "{}"})
					return err
				})
				if err != nil {
					t.Fatalf("storing a webhook during a token refresh: %v", err)
				}
				if b.tokenDone.Load() != 0 {
					t.Error("the webhook was stored only after the token endpoint answered: the refresh held the store's writer")
				}
				if err := <-refreshed; err != nil {
					t.Fatalf("call after the slow refresh: %v", err)
				}
			})

			t.Run("RevokedTokenDisconnectsWithCause", func(t *testing.T) {
				t.Parallel()
				b := setup(t, engine)
				ctx := context.Background()
				m := b.newManager()
				sf, err := m.Salesforce(ctx, b.connID)
				if err != nil {
					t.Fatal(err)
				}
				b.emu.RevokeAllTokens()
				_, err = sf.Limits(ctx)
				if !errors.Is(err, salesforce.ErrTokenRevoked) {
					t.Fatalf("err = %v, want ErrTokenRevoked", err)
				}
				c, err := b.store.GetConnection(ctx, b.connID)
				if err != nil {
					t.Fatal(err)
				}
				if c.State != store.StateDisconnected || c.Cause != store.CauseTokenRevoked {
					t.Errorf("connection = %s/%q, want disconnected/%q", c.State, c.Cause, store.CauseTokenRevoked)
				}
				// Reconnecting stores a new token and the same client works again.
				tok := webServerLogin(t, &b.oauthConfig)
				if err := m.StoreSalesforceToken(ctx, b.connID, tok); err != nil {
					t.Fatal(err)
				}
				if _, err := sf.Limits(ctx); err != nil {
					t.Fatalf("after reconnect: %v", err)
				}
			})

			t.Run("CallsCountedByPurpose", func(t *testing.T) {
				t.Parallel()
				b := setup(t, engine)
				ctx := context.Background()
				sf, err := b.newManager().Salesforce(ctx, b.connID)
				if err != nil {
					t.Fatal(err)
				}
				for range 3 {
					if _, err := sf.Limits(connection.WithPurpose(ctx, connection.PurposeInbox)); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := sf.Limits(ctx); err != nil {
					t.Fatal(err)
				}
				day := b.clock.Now()
				rows, err := b.store.ListUsage(ctx, b.connID, day.Add(-24*time.Hour), day.Add(24*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]int64{}
				for _, r := range rows {
					got[r.Purpose] += r.Count
				}
				if got["inbox"] != 3 || got["background"] != 1 {
					t.Errorf("usage = %v, want inbox 3, background 1", got)
				}
			})

			t.Run("ClassifiesAPIDisabledAndLimit", func(t *testing.T) {
				t.Parallel()
				b := setup(t, engine)
				ctx := context.Background()
				sf, err := b.newManager().Salesforce(ctx, b.connID)
				if err != nil {
					t.Fatal(err)
				}
				b.emu.SetAPIRemaining(0)
				_, err = sf.Limits(ctx)
				if got := connection.SalesforceCause(err); got != store.CauseAPILimitReached {
					t.Errorf("cause of %v = %q, want %q", err, got, store.CauseAPILimitReached)
				}
				b.emu.SetAPIRemaining(100)
				b.emu.SetAPIEnabled(false)
				_, err = sf.Limits(ctx)
				if got := connection.SalesforceCause(err); got != store.CauseAPIDisabled {
					t.Errorf("cause of %v = %q, want %q", err, got, store.CauseAPIDisabled)
				}
				if got := connection.SalesforceCause(errors.New("timeout")); got != "" {
					t.Errorf("a timeout must not break the connection, got cause %q", got)
				}
			})
		})
	}
}

func TestRefreshGoesToTheIssuingLoginHost(t *testing.T) {
	t.Parallel()
	engine := storetest.Engines()[0]
	b := setup(t, engine)
	ctx := context.Background()
	// The daemon's default login URL points nowhere; the token was issued by
	// the emulator (as a sandbox or My Domain would issue it), whose host its
	// identity URL names. The refresh must go there.
	opts := connection.Options{Store: b.store, Salesforce: b.oauthConfig, Now: b.clock.Now}
	opts.Salesforce.LoginURL = "http://127.0.0.1:1"
	m := connection.NewManager(opts)
	sf, err := m.Salesforce(ctx, b.connID)
	if err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(3 * time.Hour)
	if _, err := sf.Limits(ctx); err != nil {
		t.Fatalf("refresh through the issuing host: %v", err)
	}
	if got := b.tokenCalls.Load(); got != 1 {
		t.Errorf("token endpoint calls at the emulator = %d, want 1", got)
	}
}
