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
		{ScenarioBurst, Config{Changes: 300}},
		{ScenarioSFBurst, Config{Changes: 300}},
		{ScenarioSteady, Config{Rate: 100, Duration: 2 * time.Second}},
		{ScenarioConversations, Config{Changes: 100, Duration: 2 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
			defer cancel()
			cfg := tt.cfg
			cfg.PollInterval = time.Second
			cfg.Timeout = 30 * time.Second
			cfg.Logger = testLogger()
			res, err := Run(ctx, tt.name, cfg)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if len(res) != 1 {
				t.Fatalf("got %d results, want 1", len(res))
			}
			r := res[0]
			if r.Error != "" {
				t.Errorf("scenario error: %s", r.Error)
			}
			if r.Landed != r.Changes || r.Changes == 0 {
				t.Errorf("landed %d of %d changes", r.Landed, r.Changes)
			}
			if r.EchoWrites != 0 {
				t.Errorf("echo writes = %d, want 0", r.EchoWrites)
			}
			if r.Duplicates != 0 {
				t.Errorf("duplicate writes = %d, want 0", r.Duplicates)
			}
			if r.Mismatches != 0 {
				t.Errorf("wrong final values = %d, want 0", r.Mismatches)
			}
		})
	}
}
