package store_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ferrysync/ferry/internal/secret"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// effectDay is where test workers count their effects, through the store's
// own atomic usage counter.
var effectDay = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// effectCount reads how many times workers recorded an effect.
func effectCount(t testing.TB, s store.Store, connID int64, purpose string) int64 {
	t.Helper()
	rows, err := s.ListUsage(context.Background(), connID, effectDay, effectDay)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Purpose == purpose {
			return r.Count
		}
	}
	return 0
}

// immediateRetry retries failed jobs at once, so tests do not wait for
// River's attempt^4 backoff.
type immediateRetry struct{}

func (immediateRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type flakyArgs struct {
	ConnectionID int64 `json:"connection_id"`
}

func (flakyArgs) Kind() string { return "test_flaky" }

// flakyWorker fails its first attempt, then records its effect with its
// completion.
type flakyWorker struct {
	river.WorkerDefaults[flakyArgs]
	s store.Store
}

func (w *flakyWorker) Work(ctx context.Context, job *river.Job[flakyArgs]) error {
	if job.Attempt == 1 {
		return errors.New("transient failure")
	}
	return store.CompleteInTx(ctx, w.s, job, func(tx store.Tx) error {
		_, err := tx.IncrementUsage(ctx, job.Args.ConnectionID, effectDay, "flaky", 1)
		return err
	})
}

type periodicArgs struct{}

func (periodicArgs) Kind() string { return "test_periodic" }

type periodicWorker struct {
	river.WorkerDefaults[periodicArgs]
	ran chan struct{}
}

func (w *periodicWorker) Work(context.Context, *river.Job[periodicArgs]) error {
	select {
	case w.ran <- struct{}{}:
	default:
	}
	return nil
}

// TestWorkers: jobs enqueued with data run after commit, retry with backoff,
// complete with their effects, and periodic jobs run.
func TestWorkers(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			flaky := &flakyWorker{}
			periodic := &periodicWorker{ran: make(chan struct{}, 1)}
			workers := river.NewWorkers()
			river.AddWorker(workers, flaky)
			river.AddWorker(workers, periodic)
			url := e.URL(t)
			s, err := store.Open(ctx, url, store.Options{
				Secret:            storetest.NewBox(t),
				Workers:           workers,
				RetryPolicy:       immediateRetry{},
				FetchPollInterval: 100 * time.Millisecond,
				PeriodicJobs: []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
					func() (river.JobArgs, *river.InsertOpts) { return periodicArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})},
			})
			if err != nil {
				t.Fatal(err)
			}
			flaky.s = s
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			c := newConnection(t, s)
			var ids []int64
			err = s.InTx(ctx, func(tx store.Tx) error {
				res, err := tx.EnqueueMany(ctx, []river.InsertManyParams{{Args: flakyArgs{c.ID}}, {Args: flakyArgs{c.ID}}, {Args: flakyArgs{c.ID}}})
				for _, r := range res {
					ids = append(ids, r.Job.ID)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = s.Stop(ctx)
			})
			waitFor(t, "3 flaky jobs", func() bool {
				n, _ := s.CountJobs(ctx, flakyArgs{}.Kind())
				return n[rivertype.JobStateCompleted] == 3
			})
			if n := effectCount(t, s, c.ID, "flaky"); n != 3 {
				t.Fatalf("effects = %d, want 3", n)
			}
			for _, id := range ids {
				job, err := s.GetJob(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if job.Attempt != 2 || len(job.Errors) != 1 || job.Errors[0].Error != "transient failure" {
					t.Fatalf("job %d: attempt %d, errors %+v", id, job.Attempt, job.Errors)
				}
			}
			select {
			case <-periodic.ran:
			case <-time.After(60 * time.Second):
				t.Fatal("periodic job did not run on start")
			}
		})
	}
}

// The crash test: a child process (this test binary again) enqueues a job
// and works it; the worker writes its effect in the completion transaction
// and hangs before commit. The parent kills the child with SIGKILL, starts a
// store again and checks that the rescued job ran again and its effect
// landed exactly once.

const (
	envCrashHelper = "FERRY_STORE_CRASH_HELPER"
	envCrashURL    = "FERRY_STORE_CRASH_URL"
	envCrashKey    = "FERRY_STORE_CRASH_KEY"
	envCrashConn   = "FERRY_STORE_CRASH_CONN"
)

type crashArgs struct {
	ConnectionID int64 `json:"connection_id"`
}

func (crashArgs) Kind() string { return "test_crash" }

type crashWorker struct {
	river.WorkerDefaults[crashArgs]
	s store.Store
	// hang makes the worker announce itself and hang inside the
	// transaction, to be killed there.
	hang bool
	done chan int64
}

func (w *crashWorker) Work(ctx context.Context, job *river.Job[crashArgs]) error {
	err := store.CompleteInTx(ctx, w.s, job, func(tx store.Tx) error {
		if _, err := tx.IncrementUsage(ctx, job.Args.ConnectionID, effectDay, "crash", 1); err != nil {
			return err
		}
		if w.hang {
			fmt.Printf("working %d\n", job.ID)
			time.Sleep(time.Hour)
		}
		return nil
	})
	if err == nil && w.done != nil {
		w.done <- job.ID
	}
	return err
}

// TestHelperProcess is the child of TestCrashRecovery; it does nothing in a
// normal run.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(envCrashHelper) != "1" {
		return
	}
	ctx := context.Background()
	key, err := hex.DecodeString(os.Getenv(envCrashKey))
	if err != nil {
		t.Fatal(err)
	}
	box, err := secret.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	connID, _ := strconv.ParseInt(os.Getenv(envCrashConn), 10, 64)
	w := &crashWorker{hang: true}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	s, err := store.Open(ctx, os.Getenv(envCrashURL), store.Options{Secret: box, Workers: workers, JobTimeout: -1,
		FetchPollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	w.s = s
	err = s.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.Enqueue(ctx, crashArgs{ConnectionID: connID}, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Hour) // until killed
}

func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := e.URL(t)
			key, err := secret.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			box, _ := secret.NewBox(key)
			setup := storetest.Open(t, url, store.Options{Secret: box})
			c := newConnection(t, setup)

			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), envCrashHelper+"=1", envCrashURL+"="+url,
				envCrashKey+"="+hex.EncodeToString(key), envCrashConn+"="+strconv.FormatInt(c.ID, 10))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(stdout)
			var jobID int64
			for lines.Scan() {
				if _, err := fmt.Sscanf(lines.Text(), "working %d", &jobID); err == nil {
					break
				}
			}
			if jobID == 0 {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("child never started the job; stderr:\n%s", stderr.String())
			}
			working := time.Now()
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup, no resignation
				t.Fatal(err)
			}
			_ = cmd.Wait()

			// The effect was in the uncommitted transaction: gone.
			if n := effectCount(t, setup, c.ID, "crash"); n != 0 {
				t.Fatalf("effect of the killed attempt is visible: %d", n)
			}
			job, err := setup.GetJob(ctx, jobID)
			if err != nil {
				t.Fatal(err)
			}
			if job.State != rivertype.JobStateRunning {
				t.Fatalf("job state after kill = %s, want running", job.State)
			}

			// The dead child was River's leader and cannot resign; its lease
			// would lapse after about 15 s. Remove it, as lapsing would, so
			// the restarted instance leads (and rescues) at once.
			rawDB{t, e.Engine, url}.exec(`DELETE FROM river_leader`)

			const rescueAfter = 400 * time.Millisecond
			// The job was attempted before "working" was printed: after this
			// it is certainly older than rescueAfter when the rescuer looks.
			time.Sleep(time.Until(working.Add(rescueAfter)))
			w := &crashWorker{done: make(chan int64, 1)}
			workers := river.NewWorkers()
			river.AddWorker(workers, w)
			// JobTimeout must be positive: River never rescues jobs without one.
			restarted, err := store.Open(ctx, url, store.Options{Secret: box, Workers: workers, JobTimeout: rescueAfter / 2,
				RescueStuckJobsAfter: rescueAfter, RetryPolicy: immediateRetry{}, FetchPollInterval: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			w.s = restarted
			t.Cleanup(func() { restarted.Close() })
			if err := restarted.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := restarted.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer func() {
				ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				_ = restarted.Stop(ctx)
			}()
			select {
			case id := <-w.done:
				if id != jobID {
					t.Fatalf("restarted worker ran job %d, want %d", id, jobID)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("rescued job did not run")
			}
			waitFor(t, "job completed", func() bool {
				job, err := restarted.GetJob(ctx, jobID)
				return err == nil && job.State == rivertype.JobStateCompleted
			})
			if n := effectCount(t, restarted, c.ID, "crash"); n != 1 {
				t.Fatalf("effect landed %d times, want exactly 1", n)
			}
			counts, _ := restarted.CountJobs(ctx, crashArgs{}.Kind())
			if counts[rivertype.JobStateCompleted] != 1 || len(counts) != 1 {
				t.Fatalf("jobs = %v, want one completed", counts)
			}
		})
	}
}

type shareArgs struct {
	ConnectionID int64 `json:"connection_id"`
}

func (shareArgs) Kind() string { return "test_share" }

// shareWorker records each job once, keyed by job id under a unique
// constraint, in its completion transaction.
type shareWorker struct {
	river.WorkerDefaults[shareArgs]
	s          store.Store
	instance   string
	duplicates *atomic.Int64
}

func (w *shareWorker) Work(ctx context.Context, job *river.Job[shareArgs]) error {
	return store.CompleteInTx(ctx, w.s, job, func(tx store.Tx) error {
		_, isNew, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: job.Args.ConnectionID,
			NotificationID: strconv.FormatInt(job.ID, 10), Topic: w.instance})
		if err == nil && !isNew {
			w.duplicates.Add(1)
			return fmt.Errorf("job %d ran twice", job.ID)
		}
		return err
	})
}

// TestInstancesShareJobs runs two instances on one PostgreSQL database
// against 10,000 jobs: all run, none twice, both instances work.
func TestInstancesShareJobs(t *testing.T) {
	t.Parallel()
	const jobs = 10_000
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	began := time.Now()
	var duplicates atomic.Int64
	var instances []store.Store
	for _, name := range []string{"a", "b"} {
		w := &shareWorker{instance: name, duplicates: &duplicates}
		workers := river.NewWorkers()
		river.AddWorker(workers, w)
		s, err := store.Open(ctx, url+"&pool_max_conns=12", store.Options{Secret: storetest.NewBox(t), Workers: workers,
			ID: "instance-" + name, FetchCooldown: 5 * time.Millisecond,
			Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 50}}})
		if err != nil {
			t.Fatal(err)
		}
		w.s = s
		t.Cleanup(func() { s.Close() })
		instances = append(instances, s)
	}
	var wg sync.WaitGroup
	for _, s := range instances {
		wg.Go(func() {
			if err := s.Migrate(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	t.Logf("migrated %v", time.Since(began))
	c := newConnection(t, instances[0])
	params := make([]river.InsertManyParams, jobs)
	for i := range params {
		params[i] = river.InsertManyParams{Args: shareArgs{ConnectionID: c.ID}}
	}
	err := instances[0].InTx(ctx, func(tx store.Tx) error {
		_, err := tx.EnqueueMany(ctx, params)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("inserted %v", time.Since(began))
	for _, s := range instances {
		wg.Go(func() {
			if err := s.Start(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, s := range instances {
			_ = s.Stop(ctx)
		}
	})
	waitFor(t, "all jobs completed", func() bool {
		n, _ := instances[1].CountJobs(ctx, shareArgs{}.Kind())
		return n[rivertype.JobStateCompleted] == jobs
	})

	t.Logf("worked %v", time.Since(began))
	raw := rawDB{t, store.EnginePostgres, url}
	var rows, distinct, byA, byB int
	raw.queryRow(`SELECT count(*), count(DISTINCT notification_id), count(*) FILTER (WHERE topic = 'a'), count(*) FILTER (WHERE topic = 'b')
		FROM webhook_events WHERE connection_id = $1`, []any{c.ID}, &rows, &distinct, &byA, &byB)
	if rows != jobs || distinct != jobs {
		t.Fatalf("recorded %d rows, %d distinct jobs; want %d", rows, distinct, jobs)
	}
	if d := duplicates.Load(); d != 0 {
		t.Fatalf("%d jobs ran twice", d)
	}
	if byA == 0 || byB == 0 {
		t.Fatalf("work split a=%d b=%d: one instance did nothing", byA, byB)
	}
	t.Logf("instance a ran %d jobs, b ran %d", byA, byB)
}
