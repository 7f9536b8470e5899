package bench

import (
	"context"
	"testing"
	"time"
)

// The Benchmark… functions run small versions of the scenarios and report
// their ratios, so `go test -run '^$' -bench . ./internal/bench` gives
// numbers; `ferry bench` runs the full sizes. Each iteration is a whole
// scenario (seconds), so the framework runs one.

func BenchmarkBurst(b *testing.B) {
	benchScenario(b, ScenarioBurst, Config{Changes: 2000})
}

func BenchmarkSteady(b *testing.B) {
	benchScenario(b, ScenarioSteady, Config{Rate: 200, Duration: 5 * time.Second})
}

func BenchmarkSFBurst(b *testing.B) {
	benchScenario(b, ScenarioSFBurst, Config{Changes: 2000})
}

func BenchmarkInitial(b *testing.B) {
	benchScenario(b, ScenarioInitial, Config{People: 10_000, LimitedPeople: -1})
}

func BenchmarkConversations(b *testing.B) {
	benchScenario(b, ScenarioConversations, Config{Changes: 300, Duration: 5 * time.Second})
}

func benchScenario(b *testing.B, scenario string, cfg Config) {
	cfg.PollInterval = 2 * time.Second
	cfg.Timeout = 2 * time.Minute
	cfg.Logger = testLogger()
	var sum Result
	for i := 0; i < b.N; i++ {
		res, err := Run(context.Background(), scenario, cfg)
		if err != nil {
			b.Fatalf("%s: %v", scenario, err)
		}
		r := res[0]
		if r.Error != "" {
			b.Fatalf("%s: %s", scenario, r.Error)
		}
		sum.SFCallsPerChg += r.SFCallsPerChg
		sum.ICCallsPerChg += r.ICCallsPerChg
		sum.EchoWrites += r.EchoWrites
		sum.P50 += r.P50
		sum.P99 += r.P99
		sum.Wall += r.Wall
		sum.Throughput += r.Throughput
		sum.PeakHeap = max(sum.PeakHeap, r.PeakHeap)
	}
	n := float64(b.N)
	b.ReportMetric(sum.SFCallsPerChg/n, "sf_calls/change")
	b.ReportMetric(sum.ICCallsPerChg/n, "ic_calls/change")
	b.ReportMetric(float64(sum.EchoWrites)/n, "echo_writes")
	b.ReportMetric(float64(sum.Throughput)/n, "changes/s")
	if scenario != ScenarioInitial {
		b.ReportMetric(float64(sum.P50.Milliseconds())/n, "p50_ms")
		b.ReportMetric(float64(sum.P99.Milliseconds())/n, "p99_ms")
	} else {
		b.ReportMetric(sum.Wall.Seconds()/n, "wall_s")
	}
	b.ReportMetric(float64(sum.PeakHeap)/(1<<20), "peak_heap_MB")
}
