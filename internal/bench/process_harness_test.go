package bench

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// processHarness is a harness whose ferry runs as a process of its own
// (the test binary re-executed) behind a load balancer, so a test can kill
// it and start another on the same store.
type processHarness struct {
	h      *Harness
	people []Person
	// first is the running ferry process; env starts another.
	first *child
	env   []string
	lb    *handover
	// st is the shared store, read by the test itself; f talks to ferry
	// through the balancer.
	st store.Store
	f  *Ferry
}

// startProcessHarness starts both emulators (Salesforce's handler wrapped
// by wrapSF when set), n people loaded on both sides, and one ferry
// process on dbURL, connected with BenchSettings and quiet with everyone
// mapped.
func startProcessHarness(t *testing.T, ctx context.Context, dbURL string, n int, tag string, wrapSF func(http.Handler) http.Handler) *processHarness {
	t.Helper()
	return startProcessHarnessWith(t, ctx, dbURL, n, tag, wrapSF, nil)
}

// startProcessHarnessWith is startProcessHarness whose ferry processes
// also get extra environment (pubsub: the Salesforce emulator serves its
// Pub/Sub API and ferry streams from it).
func startProcessHarnessWith(t *testing.T, ctx context.Context, dbURL string, n int, tag string, wrapSF func(http.Handler) http.Handler,
	extra func(h *Harness) []string) *processHarness {
	t.Helper()
	h := &Harness{opts: Options{PollInterval: time.Second}}
	h.SF = sfemu.New(sfemu.Options{AutoApprove: true, APIDailyLimit: 1_000_000})
	h.SFRec = NewRecorder(SideSalesforce, h.SF)
	var sfHandler http.Handler = h.SFRec
	if wrapSF != nil {
		sfHandler = wrapSF(h.SFRec)
	}
	sfSrv := httptest.NewServer(sfHandler)
	t.Cleanup(sfSrv.Close)
	h.SFURL = sfSrv.URL

	// A load balancer hands redirects to the browser, which keeps the
	// cookies ferry binds an OAuth flow to.
	lb := &handover{client: &http.Client{Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	lbSrv := httptest.NewServer(lb)
	t.Cleanup(lbSrv.Close)

	icSecret := randomHex(16)
	h.IC = icemu.New(icemu.Options{ClientID: intercomClientID, ClientSecret: icSecret, AutoApprove: true,
		Webhooks: []string{lbSrv.URL + "/webhooks/intercom"}, RateLimit: unlimited, WebhookRetryDelay: time.Second})
	t.Cleanup(h.IC.Close)
	h.ICRec = NewRecorder(SideIntercom, h.IC)
	icSrv := httptest.NewServer(h.ICRec)
	t.Cleanup(icSrv.Close)
	h.ICURL = icSrv.URL
	if err := h.IC.CustomAttribute("contact", "job_title", "string"); err != nil {
		t.Fatal(err)
	}

	key, err := secret.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	admin := randomHex(16)
	env := []string{envChild + "=1", envDB + "=" + dbURL, envKey + "=" + hex.EncodeToString(key),
		envSF + "=" + h.SFURL, envIC + "=" + h.ICURL, envICSecret + "=" + icSecret,
		envAdmin + "=" + admin, envPublic + "=" + lbSrv.URL}
	if extra != nil {
		env = append(env, extra(h)...)
	}

	people, err := h.LoadPeople(n, tag, "t0")
	if err != nil {
		t.Fatal(err)
	}
	first := startChild(t, env)
	lb.set(first.url)

	// The test reads the shared store itself (mappings, pending events)
	// and connects through the child's admin API, as an admin would.
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dbURL, store.Options{Secret: box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	conns, err := st.ListConnections(ctx)
	if err != nil || len(conns) == 0 {
		t.Fatalf("connections: %v %v", conns, err)
	}
	f := &Ferry{URL: lbSrv.URL, Store: st, ConnID: conns[0].ID, adminToken: admin}
	h.Ferries = []*Ferry{f}
	if err := f.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.PutSettings(ctx, BenchSettings()); err != nil {
		t.Fatal(err)
	}
	if err := h.MapPeople(ctx, people, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := h.Settle(ctx, 1500*time.Millisecond, 20*time.Second); err != nil {
		t.Fatal(err)
	}

	return &processHarness{h: h, people: people, first: first, env: env, lb: lb, st: st, f: f}
}

// eachEngine runs fn on each store engine in parallel subtests; in the
// helper ferry process (the test binary re-executed) it skips.
func eachEngine(t *testing.T, fn func(t *testing.T, dbURL string)) {
	if os.Getenv(envChild) == "1" {
		t.Skip("inside the helper process")
	}
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			fn(t, e.URL(t))
		})
	}
}
