package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/bench"
	"github.com/ferrysync/ferry/internal/store"
)

func cmdBench(ctx context.Context, args []string, env *cliEnv) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	scenario := fs.String("scenario", "all", strings.Join(bench.ScenarioNames(), ", ")+" or all")
	baseline := fs.String("baseline", "", "also run each scenario that has one with a baseline integration in ferry's place and compare: per-event")
	polls := fs.Int("polls", 0, fmt.Sprintf("idle: how many polls to measure (default %d)", bench.DefaultIdlePolls))
	dbURL := fs.String("database-url", "", "ferry's store: postgres://… for PostgreSQL (default a temporary SQLite file)")
	people := fs.Int("people", 0, fmt.Sprintf("initial and backfill: people on each side (default %d)", bench.DefaultInitialPeople))
	limited := fs.Int("limited-people", 0, fmt.Sprintf("initial: people in the run at Intercom's default rate limit, -1 to skip (default %d)", bench.DefaultLimitedPeople))
	changes := fs.Int("changes", 0, fmt.Sprintf("burst, burst-both and sf-burst: changes made at once (default %d each); conversations: how many (default %d)", bench.DefaultBurstChanges, bench.DefaultConversations))
	rate := fs.Int("rate", 0, fmt.Sprintf("steady and sparse: changes per second (default %d and %d)", bench.DefaultSteadyRate, bench.DefaultSparseRate))
	duration := fs.Duration("duration", 0, fmt.Sprintf("steady and sparse: how long changes are made (default %s and %s); conversations: over how long they close (default %s)", bench.DefaultSteadyDuration, bench.DefaultSparseDuration, bench.DefaultCloseSpan))
	poll := fs.Duration("poll-interval", 0, fmt.Sprintf("how often ferry polls Salesforce (default %s for sparse and sparse-both, %s for the others)", bench.DefaultSparsePoll, bench.DefaultPollInterval))
	timeout := fs.Duration("timeout", 10*time.Minute, "how long a scenario waits for its changes to land")
	workers := fs.Int("workers", 10, "ferry's queue workers")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	verbose := fs.Bool("verbose", false, "log ferry's and the emulators' warnings to stderr")
	apart := fs.Bool("ferry-process", false, "run ferry as a process of its own, so its memory (peak RSS) is measured without the emulators'")
	serveFerry := fs.Bool("serve-ferry", false, "internal: be the ferry process of a --ferry-process run")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) to this file: of the ferry process with --ferry-process (the last scenario's), else of the whole run")
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, `Usage: ferry bench [flags]

Runs both emulators and ferry in this process (SQLite by default), drives
changes on both sides and prints, per scenario: Salesforce and Intercom API
calls per synced change, echo writes, end-to-end latency p50/p99, throughput
and peak memory, against the targets below.

Scenarios and their defaults:
  sparse    %d Intercom change/s for %s to mapped people, mapped to
            Salesforce only, %s polls (target: <= 1.05 Salesforce calls
            per change, polls included; p99 to Salesforce < 1s)
  sparse-both
            the same with the mapping both ways (target: <= 1.1 calls
            per change, p99 < 1s)
  steady    %d Intercom changes/s for %s, mapped to Salesforce only
            (target: <= 0.02 calls per change, p99 to Salesforce < 1s)
  burst     %d Intercom changes at once to mapped people, mapped to
            Salesforce only (target: <= 0.0075 Salesforce calls per
            change, no echo writes)
  burst-both
            the same with the mapping both ways: every write is made on
            condition that Salesforce has not changed the record since
            (same targets)
  idle      %d polls that find nothing, and what else ferry calls
            meanwhile (target: <= 1 Salesforce call per poll, <= 300 calls
            in an idle day at 5-minute polls)
  sf-burst  %d Salesforce changes between two polls, Intercom's rate
            limit raised (target: in Intercom within 6s after the poll
            that found them)
  initial   %d people on each side matched at connect, Intercom rate limit
            raised (target: <= 2 minutes, <= 300 MB), then %d people at
            Intercom's default limit of 10,000 calls/min (target: enrichment
            at the limit, no 429)
  conversations
            %d people write in (one Salesforce Task each), then their
            conversations close over %s (target: <= 0.05 Salesforce calls
            per closed conversation, no duplicate Task)
  backfill  %d matched people whose Leads hold values of 4 fields mapped
            after matching; a dry run, then a backfill of 5 mapped fields
            (target: <= 1,100 Salesforce calls for the run, the run's calls
            and changes as the dry run planned, <= 300 MB)
  all       each of the above in turn

With --baseline per-event, each of sparse, sparse-both, steady, burst,
burst-both, idle and sf-burst runs a second time with a per-event integration in ferry's
place (one lookup and one write per change, as Zapier- or n8n-style flows
do) against the same emulators and the same changes, and a table compares
the two.

Memory is the Go heap and stacks of this process, emulators included, and
the process's peak RSS so far; with --ferry-process ferry runs apart and its
own peak RSS is reported too.

Flags:
`, bench.DefaultSparseRate, bench.DefaultSparseDuration, bench.DefaultSparsePoll,
			bench.DefaultSteadyRate, bench.DefaultSteadyDuration, bench.DefaultBurstChanges, bench.DefaultIdlePolls,
			bench.DefaultSFBurstChanges, bench.DefaultInitialPeople, bench.DefaultLimitedPeople,
			bench.DefaultConversations, bench.DefaultCloseSpan, bench.DefaultBackfillPeople)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if *serveFerry {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
		return bench.ServeChild(ctx, env.Getenv, env.Stdout, os.Stdin)
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *scenario != "all" && !slices.Contains(bench.ScenarioNames(), *scenario) {
		return usageError{fmt.Sprintf("unknown scenario %q: want %s or all", *scenario, strings.Join(bench.ScenarioNames(), ", "))}
	}
	if *baseline != "" && *baseline != bench.BaselinePerEvent {
		return usageError{fmt.Sprintf("unknown baseline %q: want %s", *baseline, bench.BaselinePerEvent)}
	}
	for name, v := range map[string]int{"people": *people, "changes": *changes, "rate": *rate, "polls": *polls} {
		if v < 0 {
			return usageError{fmt.Sprintf("--%s must not be negative", name)}
		}
	}
	if *duration < 0 || *timeout <= 0 || *workers <= 0 {
		return usageError{"--duration must not be negative; --timeout and --workers must be positive"}
	}
	if *dbURL != "" {
		engine, _, err := store.ParseDatabaseURL(*dbURL)
		if err != nil {
			return usageError{err.Error()}
		}
		if engine != store.EnginePostgres {
			return usageError{"--database-url takes a postgres:// URL; SQLite always runs on a fresh temporary file"}
		}
	}
	if *poll != 0 && *poll < time.Second {
		return usageError{"--poll-interval must be at least 1s"}
	}
	var logger *slog.Logger
	if *verbose {
		logger = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	var command []string
	if *apart {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("bench: find ferry's executable: %w", err)
		}
		command = []string{exe, "bench", "--serve-ferry"}
		if *cpuProfile != "" {
			command = append(command, "--cpuprofile", *cpuProfile)
		}
	} else {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	cfg := bench.Config{
		Command:     command,
		DatabaseURL: *dbURL, People: *people, LimitedPeople: *limited, Changes: *changes,
		Rate: *rate, Duration: *duration, PollInterval: *poll, Timeout: *timeout,
		Workers: *workers, Logger: logger, Baseline: *baseline, Polls: *polls,
	}
	names := []string{*scenario}
	if *scenario == "all" {
		names = bench.ScenarioNames()
	}
	// Scenarios run one at a time and each table is printed as soon as it
	// is known: a full run takes minutes.
	var all []bench.Result
	var runErr error
	for _, name := range names {
		fmt.Fprintf(env.Stderr, "ferry bench: running %s…\n", name)
		results, err := bench.Run(ctx, name, cfg)
		all = append(all, results...)
		if !*asJSON {
			if werr := bench.WriteTable(env.Stdout, results); werr != nil {
				return werr
			}
			fmt.Fprintln(env.Stdout)
		}
		if err != nil {
			runErr = err
			break
		}
	}
	if *asJSON {
		if werr := bench.WriteJSON(env.Stdout, all); werr != nil {
			return werr
		}
	} else if *baseline != "" {
		if werr := bench.WriteComparison(env.Stdout, all); werr != nil {
			return werr
		}
	}
	return runErr
}

// startCPUProfile profiles this process into path until the returned
// function is called; an empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
