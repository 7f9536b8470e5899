package bench

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"
)

// testLogger logs ferry's and the emulators' logs to stderr when
// FERRY_BENCH_LOG names a level (debug, info, warn, error).
func testLogger() *slog.Logger {
	v := os.Getenv("FERRY_BENCH_LOG")
	if v == "" {
		return nil
	}
	var level slog.Level
	if level.UnmarshalText([]byte(v)) != nil {
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// TestScenarios runs small versions of the scenarios and checks what they
// must get right whatever the machine's speed: every change lands once,
// with the right final value, and nothing echoes back.
func TestScenarios(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
	}{
		{ScenarioBurst, Config{Changes: 300, Baseline: BaselinePerEvent}},
		{ScenarioBurstBoth, Config{Changes: 300}},
		{ScenarioSFBurst, Config{Changes: 300, Baseline: BaselinePerEvent}},
		{ScenarioSteady, Config{Rate: 100, Duration: 2 * time.Second}},
		{ScenarioSparse, Config{Rate: 10, Duration: 2 * time.Second, Baseline: BaselinePerEvent}},
		{ScenarioSparseBoth, Config{Rate: 10, Duration: 2 * time.Second}},
		{ScenarioConversations, Config{Changes: 100, Duration: 2 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			cfg := tt.cfg
			cfg.PollInterval = time.Second
			cfg.Timeout = 30 * time.Second
			cfg.Logger = testLogger()
			res, err := Run(ctx, tt.name, cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			want := 1
			if cfg.Baseline != "" {
				want = 2
			}
			if len(res) != want {
				t.Fatalf("got %d results, want %d", len(res), want)
			}
			for _, r := range res {
				t.Run(r.Mode, func(t *testing.T) { checkChanges(t, r) })
			}
			if cfg.Baseline == "" {
				return
			}
			// The per-event integration makes one lookup and one write
			// per change on the changes' target side, and nothing else
			// when the changes come from Intercom.
			base := res[1]
			if base.Mode != BaselinePerEvent {
				t.Fatalf("second result's mode = %q, want %q", base.Mode, BaselinePerEvent)
			}
			if tt.name != ScenarioSFBurst && base.SalesforceCalls != 2*int64(base.Changes) {
				t.Errorf("per-event Salesforce calls = %d, want %d (2 per change)", base.SalesforceCalls, 2*base.Changes)
			}
			if tt.name == ScenarioSFBurst && base.IntercomCalls < 2*int64(base.Changes) {
				t.Errorf("per-event Intercom calls = %d, want at least %d (2 per change)", base.IntercomCalls, 2*base.Changes)
			}
		})
	}
}

// TestIdle measures a few idle polls: each is seen and costs calls, and
// nothing is written.
func TestIdle(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := Run(ctx, ScenarioIdle, Config{Polls: 3, PollInterval: time.Second, Timeout: 30 * time.Second,
		Logger: testLogger(), Baseline: BaselinePerEvent})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(res) != 2 {
		t.Fatalf("got %d results, want 2", len(res))
	}
	for _, r := range res {
		if r.Error != "" {
			t.Errorf("%s: scenario error: %s", r.Mode, r.Error)
		}
		if r.Polls != 3 {
			t.Errorf("%s: polls = %d, want 3", r.Mode, r.Polls)
		}
		if r.PollCalls <= 0 {
			t.Errorf("%s: calls per poll = %v, want some", r.Mode, r.PollCalls)
		}
	}
	// ferry reads every object's changes and deletes in one Composite call.
	if r := res[0]; r.PollCalls != 1 {
		t.Errorf("ferry: %v Salesforce calls per idle poll, want 1 (routes %v)", r.PollCalls, r.SFRoutes)
	}
	// The per-event integration's poll is one query.
	if base := res[1]; base.PollCalls != 1 || base.BackgroundPerMin != 0 {
		t.Errorf("per-event: %v calls per poll and %v other calls a minute, want 1 and 0", base.PollCalls, base.BackgroundPerMin)
	}
}

// checkChanges checks what a scenario of changes must get right.
func checkChanges(t *testing.T, r Result) {
	t.Helper()
	if r.Error != "" {
		t.Errorf("scenario error: %s", r.Error)
	}
	if r.Landed != r.Changes || r.Changes == 0 {
		t.Errorf("landed %d of %d changes", r.Landed, r.Changes)
	}
	// A per-event integration mapping both ways writes each change found
	// in Salesforce back to it through its Intercom flow; ferry never does.
	if r.EchoWrites != 0 && r.Mode == "ferry" {
		t.Errorf("echo writes = %d, want 0", r.EchoWrites)
	}
	if r.Duplicates != 0 {
		t.Errorf("duplicate writes = %d, want 0", r.Duplicates)
	}
	if r.Mismatches != 0 {
		t.Errorf("wrong final values = %d, want 0", r.Mismatches)
	}
}
