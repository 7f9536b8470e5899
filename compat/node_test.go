// Package compat proves that ferry's emulators work with other people's client
// libraries, unchanged: jsforce and Intercom's Node SDK (driven by the .mjs
// scripts in this directory) and go-salesforce. Each test starts an emulator in
// process behind httptest.NewServer and talks to it only over HTTP.
package compat

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scriptTimeout bounds one node run; the scripts take a few seconds, so
// hitting it means something hangs (a request the emulator never answers).
const scriptTimeout = 60 * time.Second

// stepLine is one line a script prints per step (see steps.mjs). Fields other
// than step, ok and error are step-specific results such as created ids.
type stepLine struct {
	Step  string
	OK    bool
	Error string
	Extra map[string]any
}

// requireNode returns the node binary, or skips when the Node side cannot
// run here: no node on PATH or `npm ci` not run in compat/. Anything else is
// a failure, not a skip.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH; install Node.js >= 20 to run the client-library compatibility tests")
	}
	for _, pkg := range []string{"jsforce", "intercom-client"} {
		if _, err := os.Stat(filepath.Join("node_modules", pkg, "package.json")); err != nil {
			t.Skipf("compat/node_modules/%s is missing; run `npm ci` in compat/ to run the client-library compatibility tests", pkg)
		}
	}
	return node
}

// runScript runs `node script args…` with extra environment, streams every
// output line into the test log as it arrives, and returns the parsed steps.
// A script that exits non-zero without reporting a failed step (a crash, a
// syntax error, the timeout) fails the test here.
func runScript(t *testing.T, node, script string, args []string, env map[string]string) []stepLine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("%s: stdout pipe: %v", script, err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: start node: %v", script, err)
	}
	var steps []stepLine
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		t.Logf("%s: %s", script, line)
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			continue // not a step line (a library's own console output)
		}
		name, _ := raw["step"].(string)
		if name == "" {
			continue
		}
		ok, _ := raw["ok"].(bool)
		msg, _ := raw["error"].(string)
		delete(raw, "step")
		delete(raw, "ok")
		delete(raw, "error")
		steps = append(steps, stepLine{Step: name, OK: ok, Error: msg, Extra: raw})
	}
	waitErr := cmd.Wait()
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("%s stderr:\n%s", script, s)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s: timed out after %s (last step: %s)", script, scriptTimeout, lastStep(steps))
	}
	failed := 0
	for _, s := range steps {
		if !s.OK {
			failed++
		}
	}
	if waitErr != nil && failed == 0 {
		t.Fatalf("%s: node exited with %v after step %s without reporting a failed step", script, waitErr, lastStep(steps))
	}
	if waitErr == nil && failed > 0 {
		t.Fatalf("%s: exit status 0 but %d steps failed", script, failed)
	}
	return steps
}

func lastStep(steps []stepLine) string {
	if len(steps) == 0 {
		return "(none)"
	}
	return steps[len(steps)-1].Step
}

// incompat is a known emulator incompatibility, reported to the emulator's
// owner: while the step fails with an error containing match, it skips with
// the reason; if it fails any other way it fails; once it passes it passes
// (and says so in the log, so the entry can be deleted).
type incompat struct {
	reason string
	match  string
}

// judge reports one step's outcome on t, honouring a known incompatibility.
func judge(t *testing.T, key string, err string, known map[string]incompat) {
	t.Helper()
	k, isKnown := known[key]
	switch {
	case err == "" && isKnown:
		t.Logf("known emulator incompatibility is fixed; delete %q from the list (%s)", key, k.reason)
	case err == "":
	case isKnown && strings.Contains(err, k.match):
		t.Skipf("emulator incompatibility: %s (got: %s)", k.reason, err)
	default:
		t.Error(err)
	}
}

// checkSteps turns each step into a subtest, so `go test -v` lists exactly
// which library call passes. want is the full list of steps the script must
// report, in order: a step that silently disappeared is a failure too.
// Steps that only failed because an earlier step has a known
// incompatibility ("not run: needs …") skip as well.
func checkSteps(t *testing.T, steps []stepLine, want []string, known map[string]incompat) {
	t.Helper()
	got := make([]string, len(steps))
	for i, s := range steps {
		got[i] = s.Step
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("steps reported:\n  %v\nwant:\n  %v", got, want)
	}
	knownFailed := false
	for _, s := range steps {
		if _, ok := known[s.Step]; ok && !s.OK {
			knownFailed = true
		}
	}
	for _, s := range steps {
		t.Run(s.Step, func(t *testing.T) {
			if !s.OK && knownFailed && strings.Contains(s.Error, "not run: needs") {
				t.Skipf("depends on a step with a known emulator incompatibility: %s", s.Error)
			}
			judge(t, s.Step, s.Error, known)
		})
	}
}

// stepExtra returns a string result a step reported, e.g. a created id.
func stepExtra(steps []stepLine, step, key string) string {
	for _, s := range steps {
		if s.Step == step && s.OK {
			v, _ := s.Extra[key].(string)
			return v
		}
	}
	return ""
}

// runID returns a short random letters-and-digits id that keeps names from
// one run apart from any seeded data.
func runID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("run id: %v", err)
	}
	return hex.EncodeToString(b)
}
