package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// setup starts a harness with n people loaded, connected and mapped, and
// ferry quiet. It is closed when the test ends.
func setup(t *testing.T, ctx context.Context, opts Options, n int) (*Harness, []Person) {
	t.Helper()
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Second
	}
	opts.Logger = testLogger()
	h, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(h.Close)
	people, err := h.LoadPeople(n, "r", "t0")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Connect(ctx); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if err := h.MapPeople(ctx, people, 30*time.Second); err != nil {
		t.Fatalf("MapPeople: %v", err)
	}
	if err := h.Settle(ctx, opts.PollInterval+500*time.Millisecond, 30*time.Second); err != nil {
		t.Fatalf("Settle: %v", err)
	}
	return h, people
}

// burstOnce changes every person once on one side, waits for the changes
// to land on the other and checks that each landed exactly once with the
// right final value.
func burstOnce(t *testing.T, ctx context.Context, h *Harness, people []Person, fromIntercom bool, tag string, wait time.Duration) {
	t.Helper()
	m := begin(h, fromIntercom)
	final := make(map[Person]string, len(people))
	for i, p := range people {
		v := fmt.Sprintf("%s-%d", tag, i)
		if err := m.change(p, v); err != nil {
			t.Fatalf("change %d: %v", i, err)
		}
		final[p] = v
	}
	var res Result
	m.finish(ctx, Config{PollInterval: h.opts.PollInterval, Timeout: wait}, &res, len(people), final)
	if res.Landed != len(people) {
		t.Errorf("%s: %d of %d changes landed", tag, res.Landed, len(people))
	}
	if res.Mismatches != 0 {
		t.Errorf("%s: %d records hold a wrong final value", tag, res.Mismatches)
	}
	if res.Duplicates != 0 {
		t.Errorf("%s: %d values were written twice", tag, res.Duplicates)
	}
	if res.EchoWrites != 0 {
		t.Errorf("%s: %d echo writes; %v", tag, res.EchoWrites, res.Notes)
	}
}

// TestFaults injects 5%% 503s and added latency into both emulators during
// bursts each way: ferry retries and nothing is lost or written twice.
func TestFaults(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	h, people := setup(t, ctx, Options{}, 200)
	h.SF.SetFaults(sfemu.Faults{ErrorRate: 0.05, ErrorStatus: 503, LatencyMs: 20})
	h.IC.SetFaults(icemu.Faults{ErrorRate: 0.05, ErrorStatus: 503, LatencyMS: 20})
	sf0 := h.SFRec.Stats()
	ic0 := h.ICRec.Stats()
	t.Run("intercom to salesforce", func(t *testing.T) {
		burstOnce(t, ctx, h, people, true, "faulty-ic", 25*time.Second)
	})
	t.Run("salesforce to intercom", func(t *testing.T) {
		burstOnce(t, ctx, h, people, false, "faulty-sf", 25*time.Second)
	})
	// The faults must actually have hit ferry, or the test proved nothing.
	if got := h.SFRec.Stats().Sub(sf0).ServerErrors + h.ICRec.Stats().Sub(ic0).ServerErrors; got == 0 {
		t.Errorf("no injected 503 reached ferry; raise the burst size")
	}
}

// TestTwoInstancesPostgres runs two ferry instances on one PostgreSQL
// database, Intercom's deliveries split between them: one burst lands
// completely with no write made twice.
func TestTwoInstancesPostgres(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	h, people := setup(t, ctx, Options{DatabaseURL: url, Instances: 2}, 400)
	if len(h.Ferries) != 2 {
		t.Fatalf("got %d instances, want 2", len(h.Ferries))
	}
	burstOnce(t, ctx, h, people, true, "two", 30*time.Second)
}

// envServeChild makes the test binary a harness's ferry process.
const envServeChild = "FERRY_BENCH_SERVE_CHILD"

// TestHelperServeChild is not a test: it is the ferry process of
// TestFerryProcess (the test binary re-executed).
func TestHelperServeChild(t *testing.T) {
	if os.Getenv(envServeChild) != "1" {
		t.Skip("helper process for TestFerryProcess")
	}
	if err := ServeChild(context.Background(), os.Getenv, os.Stdout, os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestFerryProcess runs ferry as a process of its own (the --ferry-process
// mode): a burst lands and the process's peak RSS is measured.
func TestFerryProcess(t *testing.T) {
	if os.Getenv(envServeChild) == "1" {
		t.Skip("inside the helper process")
	}
	t.Parallel()
	envCmd, err := exec.LookPath("env")
	if err != nil {
		t.Skip("no env command to set the child's environment")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	cmd := []string{envCmd, envServeChild + "=1", os.Args[0], "-test.run=^TestHelperServeChild$"}
	h, people := setup(t, ctx, Options{Command: cmd}, 100)
	burstOnce(t, ctx, h, people, true, "apart", 20*time.Second)
	if rss := h.ferryRSS(); rss == 0 {
		t.Errorf("no peak RSS read for the ferry process")
	}
}
