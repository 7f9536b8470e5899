package bench

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/store"
)

// Environment of a ferry process started by the harness (Options.Command).
const (
	childDB       = "FERRY_BENCH_CHILD_DATABASE_URL"
	childKey      = "FERRY_BENCH_CHILD_KEY"
	childSF       = "FERRY_BENCH_CHILD_SALESFORCE_URL"
	childIC       = "FERRY_BENCH_CHILD_INTERCOM_URL"
	childICSecret = "FERRY_BENCH_CHILD_INTERCOM_SECRET"
	childAdmin    = "FERRY_BENCH_CHILD_ADMIN_TOKEN"
	childPublic   = "FERRY_BENCH_CHILD_PUBLIC_URL"
	childPoll     = "FERRY_BENCH_CHILD_POLL_INTERVAL"
	childWorkers  = "FERRY_BENCH_CHILD_WORKERS"
	childPubSub   = "FERRY_BENCH_CHILD_PUBSUB_URL"
)

// childReady is the line a ferry process prints once it serves.
const childReady = "FERRY_BENCH_READY"

// ServeChild runs one ferry instance for a harness in another process (the
// `ferry bench --serve-ferry` side of Options.Command): configured by the
// environment the harness sets, serving on the listener it passes as file
// descriptor 3, until stdin closes. Running ferry apart lets its memory be
// measured without the emulators'.
func ServeChild(ctx context.Context, getenv func(string) string, stdout io.Writer, stdin io.Reader) error {
	key, err := hex.DecodeString(getenv(childKey))
	if err != nil {
		return fmt.Errorf("bench: child key: %w", err)
	}
	poll, err := time.ParseDuration(getenv(childPoll))
	if err != nil {
		return fmt.Errorf("bench: child poll interval: %w", err)
	}
	workers, err := strconv.Atoi(getenv(childWorkers))
	if err != nil {
		return fmt.Errorf("bench: child workers: %w", err)
	}
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		return fmt.Errorf("bench: child listener (run by ferry bench only): %w", err)
	}
	f, err := StartFerry(ctx, FerryOptions{
		DatabaseURL: getenv(childDB), Key: key, Listener: ln, PublicURL: getenv(childPublic),
		AdminToken: getenv(childAdmin), SalesforceURL: getenv(childSF), IntercomURL: getenv(childIC), PubSubURL: getenv(childPubSub),
		IntercomClientID: intercomClientID, IntercomClientSecret: getenv(childICSecret),
		PollInterval: poll, Workers: workers,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, childReady)
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return f.Close()
}

// childProcess is a ferry instance running in another process.
type childProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan struct{}
}

// startChildProcess starts command as a ferry instance serving on ln and
// waits until it serves.
func startChildProcess(command []string, ln net.Listener, env []string) (*childProcess, error) {
	tcp, ok := ln.(*net.TCPListener)
	if !ok {
		return nil, errors.New("bench: child listener is not TCP")
	}
	lf, err := tcp.File()
	if err != nil {
		return nil, fmt.Errorf("bench: child listener: %w", err)
	}
	defer lf.Close()
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.ExtraFiles = []*os.File{lf}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: start ferry process: %w", err)
	}
	c := &childProcess{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			if !sent && strings.TrimSpace(sc.Text()) == childReady {
				ready <- true
				sent = true
			}
		}
		if !sent {
			ready <- false
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(c.exited)
	}()
	select {
	case ok := <-ready:
		if ok {
			return c, nil
		}
	case <-time.After(60 * time.Second):
	}
	c.stop()
	return nil, errors.New("bench: the ferry process did not start (see its log above)")
}

// stop asks the process to finish (stdin closes) and kills it if it has not
// within 20 seconds.
func (c *childProcess) stop() {
	_ = c.stdin.Close()
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// maxRSS is the process's peak resident set size so far (VmHWM), in bytes.
func (c *childProcess) maxRSS() uint64 {
	return vmHWM(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
}

// cpuTime is the CPU time (user and system) the process has used so far,
// from /proc/PID/stat; 0 if unreadable.
func (c *childProcess) cpuTime() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count from after it.
	rest := string(b)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	// utime and stime are fields 14 and 15, in clock ticks (100 a second
	// on Linux).
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// ferryCPU is the CPU time the ferry processes have used so far.
func (h *Harness) ferryCPU() time.Duration {
	var d time.Duration
	for _, c := range h.children {
		d += c.cpuTime()
	}
	return d
}

// startChildren starts the harness's instances as processes and opens the
// store for the harness's own reads (mappings, pending events).
func (h *Harness) startChildren(ctx context.Context, lns []net.Listener, key []byte, admin, icSecret string) error {
	for i, ln := range lns {
		env := []string{
			childDB + "=" + h.opts.DatabaseURL, childKey + "=" + hex.EncodeToString(key),
			childSF + "=" + h.SFURL, childIC + "=" + h.ICURL, childICSecret + "=" + icSecret,
			childAdmin + "=" + admin, childPublic + "=http://" + ln.Addr().String(),
			childPoll + "=" + h.opts.PollInterval.String(), childWorkers + "=" + strconv.Itoa(h.opts.Workers),
			childPubSub + "=" + h.PubSubURL,
		}
		c, err := startChildProcess(h.opts.Command, ln, env)
		if err != nil {
			return fmt.Errorf("bench: ferry %d: %w", i, err)
		}
		h.children = append(h.children, c)
		h.closers = append(h.closers, c.stop)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, h.opts.DatabaseURL, store.Options{Secret: box})
	if err != nil {
		return fmt.Errorf("bench: open the store to watch it: %w", err)
	}
	h.closers = append(h.closers, func() { _ = st.Close() })
	connID, err := defaultConnection(ctx, st)
	if err != nil {
		return err
	}
	for _, ln := range lns {
		h.Ferries = append(h.Ferries, &Ferry{URL: "http://" + ln.Addr().String(), Addr: ln.Addr().String(),
			Store: st, ConnID: connID, adminToken: admin})
	}
	return nil
}

// ferryRSS is the largest peak RSS of the harness's ferry processes, 0 when
// ferry runs in this process.
func (h *Harness) ferryRSS() uint64 {
	var m uint64
	for _, c := range h.children {
		m = max(m, c.maxRSS())
	}
	return m
}
