package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/bench"
)

func TestBenchUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"Help", []string{"bench", "--help"}, 0, "Scenarios and their defaults"},
		{"UnknownScenario", []string{"bench", "--scenario", "chaos"}, 2, `unknown scenario "chaos"`},
		{"NegativeChanges", []string{"bench", "--changes", "-5"}, 2, "--changes must not be negative"},
		{"PollTooShort", []string{"bench", "--poll-interval", "10ms"}, 2, "--poll-interval must be at least 1s"},
		{"UnknownBaseline", []string{"bench", "--baseline", "zapier"}, 2, `unknown baseline "zapier"`},
		{"StrayArgument", []string{"bench", "burst"}, 2, `unexpected argument "burst"`},
		{"BadFlag", []string{"bench", "--rate", "fast"}, 2, "invalid value"},
		{"SQLiteURL", []string{"bench", "--database-url", "sqlite:///tmp/x.db"}, 2, "takes a postgres:// URL"},
		{"BadURL", []string{"bench", "--database-url", "mysql://db"}, 2, "unsupported database URL scheme"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, _, errOut := testEnv(nil)
			if code := run(context.Background(), tt.args, env); code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut.String(), tt.wantErr)
			}
		})
	}
}

// TestBenchJSON runs a tiny burst through the command and reads its JSON.
func TestBenchJSON(t *testing.T) {
	t.Parallel()
	env, out, errOut := testEnv(nil)
	args := []string{"bench", "--scenario", "burst", "--changes", "50", "--poll-interval", "1s", "--timeout", "30s", "--json"}
	if code := run(context.Background(), args, env); code != 0 {
		t.Fatalf("exit code = %d (stderr %q)", code, errOut.String())
	}
	var results []bench.Result
	if err := json.Unmarshal([]byte(out.String()), &results); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if len(results) != 1 {
		t.Fatalf("got %d results, want 1", len(results))
	}
	r := results[0]
	if r.Scenario != "burst" || r.Store != "sqlite" {
		t.Errorf("scenario %q on %q, want burst on sqlite", r.Scenario, r.Store)
	}
	if r.Changes != 50 || r.Landed != 50 {
		t.Errorf("landed %d of %d, want 50 of 50", r.Landed, r.Changes)
	}
	if len(r.Targets) == 0 {
		t.Error("no targets reported")
	}
}
