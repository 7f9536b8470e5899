package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// Environment of the child ferry process.
const (
	envChild    = "FERRY_BENCH_CHILD"
	envDB       = "FERRY_BENCH_DATABASE_URL"
	envKey      = "FERRY_BENCH_KEY"
	envSF       = "FERRY_BENCH_SALESFORCE_URL"
	envIC       = "FERRY_BENCH_INTERCOM_URL"
	envICSecret = "FERRY_BENCH_INTERCOM_SECRET"
	envAdmin    = "FERRY_BENCH_ADMIN_TOKEN"
	envPublic   = "FERRY_BENCH_PUBLIC_URL"
	// envPubSub, if set, is the Salesforce emulator's Pub/Sub API and
	// envPoll the poll interval (default 1 s).
	envPubSub = "FERRY_BENCH_PUBSUB_URL"
	envPoll   = "FERRY_BENCH_POLL_INTERVAL"
)

// TestHelperFerryProcess is not a test: it is the ferry process the SIGKILL
// test starts (re-executing the test binary), serving until it is killed or
// its stdin closes. It prints its URL on stdout.
func TestHelperFerryProcess(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("helper process for TestKilledMidBurst")
	}
	key, err := hex.DecodeString(os.Getenv(envKey))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad key:", err)
		os.Exit(2)
	}
	poll := time.Second
	if v := os.Getenv(envPoll); v != "" {
		if poll, err = time.ParseDuration(v); err != nil {
			fmt.Fprintln(os.Stderr, "bad poll interval:", err)
			os.Exit(2)
		}
	}
	// As serve does: SIGTERM ends ctx, then the daemon shuts down.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	f, err := StartFerry(ctx, FerryOptions{
		DatabaseURL: os.Getenv(envDB), Key: key, PublicURL: os.Getenv(envPublic),
		AdminToken: os.Getenv(envAdmin), SalesforceURL: os.Getenv(envSF), IntercomURL: os.Getenv(envIC),
		PubSubURL:        os.Getenv(envPubSub),
		IntercomClientID: intercomClientID, IntercomClientSecret: os.Getenv(envICSecret),
		// The engine's lease and the queue's job timeout and rescue are
		// the deployed defaults: how soon a restart continues is what the
		// tests measure.
		PollInterval: poll,
		Logger:       testLogger(),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start ferry:", err)
		os.Exit(2)
	}
	fmt.Printf("FERRY_URL=%s\n", f.Addr)
	stdinClosed := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stdinClosed) }()
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close ferry:", err)
	}
	os.Exit(0)
}

// handover is a load balancer in front of one ferry process at a time: a
// request waits (bounded) while no process is up and is retried when the
// process dies under it, as a load balancer in front of a restarting
// service would. Webhook deliveries are safe to repeat: ferry deduplicates
// them by notification id.
type handover struct {
	target atomic.Pointer[string]
	client *http.Client
}

func (p *handover) set(url string) { p.target.Store(&url) }

func (p *handover) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if t := p.target.Load(); t != nil && *t != "" {
			req, _ := http.NewRequestWithContext(r.Context(), r.Method, *t+r.URL.RequestURI(), bytes.NewReader(body))
			req.Header = r.Header.Clone()
			resp, err := p.client.Do(req)
			if err == nil {
				defer resp.Body.Close()
				for k, v := range resp.Header {
					w.Header()[k] = v
				}
				w.WriteHeader(resp.StatusCode)
				_, _ = io.Copy(w, resp.Body)
				return
			}
		}
		if time.Now().After(deadline) || r.Context().Err() != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// child is one ferry process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string
}

func startChild(t *testing.T, env []string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFerryProcess$", "-test.v=false")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start child ferry: %v", err)
	}
	c := &child{cmd: cmd, stdin: stdin}
	t.Cleanup(func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	lines := bufio.NewScanner(stdout)
	urlc := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if u, ok := strings.CutPrefix(lines.Text(), "FERRY_URL="); ok {
				urlc <- "http://" + u
			}
		}
		close(urlc)
	}()
	select {
	case u, ok := <-urlc:
		if !ok {
			t.Fatal("child ferry exited before serving")
		}
		c.url = u
	case <-time.After(20 * time.Second):
		t.Fatal("child ferry did not start in 20s")
	}
	return c
}

// signal sends sig (SIGKILL, SIGTERM) and waits for the process to be
// gone. It may be called from any goroutine.
func (c *child) signal(t *testing.T, sig os.Signal) {
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Errorf("signal child: %v", err)
	}
	_ = c.cmd.Wait()
}

// TestKilledMidBurst kills a ferry process with SIGKILL in the middle of a
// burst of Intercom changes and starts a new one on the same store: every
// change lands in Salesforce exactly once (no value written twice, the
// final values right), with the engine's default lease — the dead
// process's claims hold the connection for one short lease, not minutes.
// The log reports how long after the restart the last change landed.
func TestKilledMidBurst(t *testing.T) { stoppedMidBurst(t, syscall.SIGKILL) }

// TestTerminatedMidBurst stops a ferry process with SIGTERM in the middle
// of a burst, as an orchestrator would, and starts a new one: the
// shutdown finishes or hands back its work (no pending event is left under
// a live lease once the process is gone) and every change lands exactly
// once.
func TestTerminatedMidBurst(t *testing.T) { stoppedMidBurst(t, syscall.SIGTERM) }

// stoppedMidBurst runs testStoppedMidBurst on each store engine.
func stoppedMidBurst(t *testing.T, sig syscall.Signal) {
	eachEngine(t, func(t *testing.T, dbURL string) { testStoppedMidBurst(t, dbURL, sig) })
}

// leasedAway reports how many of the connection's pending contact and
// company events another owner holds under a live lease: a probe claims
// them with a lease that has already run out, which the claim rule refuses
// while any other owner's lease is live.
func leasedAway(ctx context.Context, st store.Store, connID int64) (pending, held int, err error) {
	evs, err := st.ListPendingWebhookEvents(ctx, connID, 100_000)
	if err != nil {
		return 0, 0, err
	}
	for _, ev := range evs {
		if strings.HasPrefix(ev.Topic, "contact.") || strings.HasPrefix(ev.Topic, "company.") {
			pending++
		}
	}
	var claimed []store.WebhookEvent
	err = st.InTx(ctx, func(tx store.Tx) error {
		claimed, err = tx.ClaimPendingWebhookEvents(ctx, connID, 100_000, "test-probe", time.Now().Add(-time.Second), "contact.", "company.")
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	return pending, pending - len(claimed), nil
}

func testStoppedMidBurst(t *testing.T, dbURL string, sig syscall.Signal) {
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	const n = 400

	ph := startProcessHarness(t, ctx, dbURL, n, "k", nil)
	h, people, first, st, f, lb, env := ph.h, ph.people, ph.first, ph.st, ph.f, ph.lb, ph.env

	m := begin(h, true)
	// Stop the first process as soon as its first Salesforce write is
	// answered, while changes are still being made: it may be between a
	// write and its commit, with more events stored than handled.
	killed := make(chan int64, 1)
	var once sync.Once
	h.SFRec.Observe(func(Write) {
		once.Do(func() {
			go func() {
				first.signal(t, sig)
				killed <- h.SFRec.Stats().Writes - m.sfRec0.Writes
			}()
		})
	})
	final := make(map[Person]string, n)
	for i, p := range people {
		v := fmt.Sprintf("killed-%d", i)
		if err := m.change(p, v); err != nil {
			t.Fatal(err)
		}
		final[p] = v
		time.Sleep(2 * time.Millisecond) // a burst over about a second
	}
	var landedAtKill int64
	select {
	case landedAtKill = <-killed:
	case <-ctx.Done():
		t.Fatal("no write reached Salesforce before the deadline")
	}
	if landedAtKill >= n {
		t.Fatalf("the burst had landed before the kill; nothing was tested")
	}
	t.Logf("stopped the first ferry (%s) after %d of %d writes", sig, landedAtKill, n)
	if sig == syscall.SIGTERM {
		// The process is gone: what it did not finish it handed back.
		pending, held, err := leasedAway(ctx, st, f.ConnID)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("after the graceful stop: %d events pending, %d of them still leased to the stopped process", pending, held)
		if held > 0 {
			t.Errorf("the stopped process left %d of %d pending events under its lease", held, pending)
		}
	}

	restart := time.Now()
	second := startChild(t, env)
	lb.set(second.url)

	var res Result
	m.finish(ctx, Config{PollInterval: time.Second, Timeout: 35 * time.Second}, &res, n, final)
	if res.Landed != n {
		t.Errorf("%d of %d changes landed", res.Landed, n)
	} else {
		t.Logf("all %d changes landed %.1f s after the restart (the burst took %.1f s from its first change)",
			n, m.start.Add(res.Wall).Sub(restart).Seconds(), res.Wall.Seconds())
	}
	if res.Mismatches != 0 {
		t.Errorf("%d records hold a wrong final value", res.Mismatches)
	}
	if res.Duplicates != 0 {
		t.Errorf("%d values were written twice", res.Duplicates)
	}
	for _, p := range people {
		var vals []string
		for _, w := range h.SFRec.Writes(p.SalesforceID) {
			if w.Field == sfField && !w.At.Before(m.start) {
				vals = append(vals, w.Value)
			}
		}
		if len(vals) != 1 {
			t.Errorf("Lead %s: Title written %d times during the burst (%v), want once", p.SalesforceID, len(vals), vals)
		}
	}
}
