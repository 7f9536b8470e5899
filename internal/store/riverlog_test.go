package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

type doomedArgs struct{}

func (doomedArgs) Kind() string { return "test_doomed" }

func (doomedArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

type doomedWorker struct {
	river.WorkerDefaults[doomedArgs]
}

func (doomedWorker) Work(context.Context, *river.Job[doomedArgs]) error {
	return errors.New("salesforce said no")
}

// TestJobLogs: River's routine chatter is DEBUG; a failed attempt that will
// be retried is one WARN line and a job's last failed attempt one ERROR
// line, each with its cause.
func TestJobLogs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	buf := &lockedBuffer{}
	logger := slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	flaky := &flakyWorker{}
	workers := river.NewWorkers()
	river.AddWorker(workers, flaky)
	river.AddWorker(workers, doomedWorker{})
	s, err := store.Open(ctx, storetest.SQLiteURL(t), store.Options{Secret: storetest.NewBox(t), Workers: workers, Logger: logger,
		RetryPolicy: immediateRetry{}, FetchPollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	flaky.s = s
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := newConnection(t, s)
	if _, err := s.Enqueue(ctx, flakyArgs{c.ID}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enqueue(ctx, doomedArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both jobs finished", func() bool {
		a, _ := s.CountJobs(ctx, flakyArgs{}.Kind())
		b, _ := s.CountJobs(ctx, doomedArgs{}.Kind())
		return a[rivertype.JobStateCompleted] == 1 && b[rivertype.JobStateDiscarded] == 1
	})
	stop, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = s.Stop(stop)

	var warns, errs int
	for _, l := range buf.lines(t) {
		msg, _ := l["msg"].(string)
		switch l["level"] {
		case "INFO":
			if !strings.HasPrefix(msg, "store:") {
				t.Errorf("INFO line from the queue: %v", l)
			}
		case "WARN":
			if l["kind"] == (flakyArgs{}).Kind() && l["error"] == "transient failure" {
				warns++
			}
		case "ERROR":
			if l["kind"] == (doomedArgs{}).Kind() && l["error"] == "salesforce said no" {
				errs++
			}
		}
	}
	if warns != 1 || errs != 1 {
		t.Fatalf("%d WARN retry lines and %d ERROR last-attempt lines, want 1 each:\n%v", warns, errs, buf.lines(t))
	}
}
