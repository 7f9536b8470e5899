package store_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// TestCleanup: history past its retention and webhook events processed
// before the redelivery window are deleted; newer history, recent and
// pending events stay (issue 8 item 11).
func TestCleanup(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, ctx context.Context, s store.Store, conn store.Connection) {
		now := time.Now().UTC()
		var processed []int64
		err := s.InTx(ctx, func(tx store.Tx) (err error) {
			var entries []store.HistoryEntry
			for i, age := range []time.Duration{100 * 24 * time.Hour, 91 * 24 * time.Hour, 88 * 24 * time.Hour, 0} {
				entries = append(entries, store.HistoryEntry{ConnectionID: conn.ID, Object: "lead", IntercomID: fmt.Sprint("ic", i),
					Origin: store.OriginIntercom, Outcome: "ok", CreatedAt: now.Add(-age)})
			}
			if err := tx.AppendHistoryBatch(ctx, entries); err != nil {
				return err
			}
			for i := range 3 {
				ev, _, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: conn.ID, NotificationID: fmt.Sprint("n", i),
					Topic: "contact.lead.updated", Payload: `{"big": "payload"}`})
				if err != nil {
					return err
				}
				if i < 2 {
					processed = append(processed, ev.ID)
				}
			}
			return tx.MarkWebhookEventsProcessed(ctx, processed)
		})
		if err != nil {
			t.Fatal(err)
		}
		// A day and a bit later: both processed events are past the
		// window; the pending one stays however old.
		later := now.Add(25 * time.Hour)
		done, err := store.Cleanup(ctx, s, store.Retention{}, later)
		if err != nil {
			t.Fatal(err)
		}
		if done.History != 2 || done.WebhookEvents != 2 {
			t.Errorf("cleaned %+v, want 2 history entries (older than 90 days) and 2 processed events", done)
		}
		for i, want := range []int{0, 0, 1, 1} {
			h, err := s.ListHistory(ctx, conn.ID, fmt.Sprint("ic", i), store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(h) != want {
				t.Errorf("history of ic%d: %d entries, want %d", i, len(h), want)
			}
		}
		if _, err := s.GetWebhookEvent(ctx, processed[0]); err == nil {
			t.Error("a processed event past the window is still stored")
		}
		pending, err := s.ListPendingWebhookEvents(ctx, conn.ID, 10)
		if err != nil || len(pending) != 1 {
			t.Errorf("pending events = %d (%v), want 1 kept", len(pending), err)
		}
		// A shorter retention, as FERRY_HISTORY_RETENTION sets it.
		if done, err := store.Cleanup(ctx, s, store.Retention{History: time.Hour}, later); err != nil || done.History != 2 {
			t.Errorf("with 1h retention cleaned %+v (%v), want the 2 remaining entries", done, err)
		}
	})
}

// BenchmarkStorageSteadyLoad writes 1,000,000 changes to a SQLite store as a
// steady load would — per change a stored webhook (1.5 KB payload, as
// Intercom's contact notifications are), marked processed, a history entry
// and a field state of one of 10,000 records — with the hourly cleanup. Time
// is scaled: the redelivery window is 1 s and history is kept 10 s of the
// run instead of 24 h and 90 days, so a run of about a minute covers many
// retention periods. It reports the database file's size (with its WAL)
// after each quarter; flat means the last quarters' sizes match. The
// no_cleanup case is the same load without the cleanup, for comparison.
func BenchmarkStorageSteadyLoad(b *testing.B) {
	for _, clean := range []bool{true, false} {
		name := "cleanup"
		if !clean {
			name = "no_cleanup"
		}
		b.Run(name, func(b *testing.B) { steadyLoad(b, clean) })
	}
}

func steadyLoad(b *testing.B, clean bool) {
	const changes, perTx, records = 1_000_000, 1000, 10_000
	retention := store.Retention{History: 10 * time.Second, WebhookEvents: time.Second}
	payload := `{"type":"notification_event","topic":"contact.user.updated","data":{"item":` +
		`{"type":"contact","role":"user","email":"someone@example.com","custom_attributes":{"note":"` + strings.Repeat("x", 1300) + `"}}}}`
	for range b.N {
		b.StopTimer()
		ctx := context.Background()
		url := storetest.SQLiteURL(b)
		path := strings.TrimPrefix(url, "sqlite://")
		s := storetest.Open(b, url, store.Options{})
		var conn store.Connection
		if err := s.InTx(ctx, func(tx store.Tx) (err error) {
			conn, err = tx.CreateConnection(ctx, store.Connection{Name: "bench"})
			return err
		}); err != nil {
			b.Fatal(err)
		}
		size := func() int64 {
			var n int64
			for _, p := range []string{path, path + "-wal"} {
				if fi, err := os.Stat(p); err == nil {
					n += fi.Size()
				}
			}
			return n
		}
		b.StartTimer()
		var quarters []int64
		lastClean := time.Now()
		for start := 0; start < changes; start += perTx {
			err := s.InTx(ctx, func(tx store.Tx) error {
				now := time.Now()
				ids := make([]int64, 0, perTx)
				hist := make([]store.HistoryEntry, 0, perTx)
				states := make([]store.FieldState, 0, perTx)
				for i := start; i < start+perTx; i++ {
					ev, _, err := tx.InsertWebhookEvent(ctx, store.WebhookEvent{ConnectionID: conn.ID,
						NotificationID: fmt.Sprintf("notif_%09d", i), Topic: "contact.user.updated", Payload: payload})
					if err != nil {
						return err
					}
					ids = append(ids, ev.ID)
					rec := fmt.Sprintf("ic%06d", i%records)
					hist = append(hist, store.HistoryEntry{ConnectionID: conn.ID, Object: "user", IntercomID: rec, SalesforceID: "003" + rec,
						Origin: store.OriginIntercom, Rule: "person updated in Intercom: sync the updated attributes to Salesforce",
						Changes: fmt.Sprintf(`{"salesforce":{"Phone":"+1 555 %04d"}}`, i%10000), Outcome: "ok", CreatedAt: now})
					states = append(states, store.FieldState{ConnectionID: conn.ID, Side: store.SideIntercom, RecordID: rec,
						Field: "phone", Value: fmt.Sprintf(`"+1 555 %04d"`, i%10000), Origin: store.OriginIntercom, ChangedAt: now})
				}
				if err := tx.MarkWebhookEventsProcessed(ctx, ids); err != nil {
					return err
				}
				if err := tx.AppendHistoryBatch(ctx, hist); err != nil {
					return err
				}
				return tx.PutFieldStates(ctx, dedupe(states))
			})
			if err != nil {
				b.Fatal(err)
			}
			if clean && time.Since(lastClean) >= time.Second {
				if _, err := store.Cleanup(ctx, s, retention, time.Now()); err != nil {
					b.Fatal(err)
				}
				lastClean = time.Now()
			}
			if n := start + perTx; n%(changes/4) == 0 {
				quarters = append(quarters, size())
			}
		}
		b.StopTimer()
		for i, q := range quarters {
			b.ReportMetric(float64(q)/1e6, fmt.Sprintf("MB@%dk", (i+1)*changes/4/1000))
		}
		b.ReportMetric(float64(quarters[3])/float64(quarters[1]), "size_1M/size_500k")
		b.StartTimer()
	}
}

// dedupe keeps the last state per record and field: one upsert statement
// must not name a key twice.
func dedupe(rows []store.FieldState) []store.FieldState {
	idx := map[string]int{}
	var out []store.FieldState
	for _, r := range rows {
		k := r.RecordID + "\x00" + r.Field
		if i, ok := idx[k]; ok {
			out[i] = r
			continue
		}
		idx[k] = len(out)
		out = append(out, r)
	}
	return out
}

// TestFinishedJobsAreCleaned: with CompletedJobRetention set, River's cleaner
// deletes a completed job once it is that old (issue 8 item 11: every
// webhook is a job).
func TestFinishedJobsAreCleaned(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	workers := river.NewWorkers()
	river.AddWorker(workers, &periodicWorker{ran: make(chan struct{}, 1)})
	s, err := store.Open(ctx, storetest.SQLiteURL(t), store.Options{Workers: workers, FetchPollInterval: 100 * time.Millisecond,
		CompletedJobRetention: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := s.InTx(ctx, func(tx store.Tx) error {
		res, err := tx.Enqueue(ctx, periodicArgs{}, nil)
		if err == nil {
			id = res.Job.ID
		}
		return err
	}); err != nil {
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
	// River's cleaner runs every 30 seconds.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		j, err := s.GetJob(ctx, id)
		if err != nil {
			break // deleted
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d still stored (%s) two minutes after it was enqueued", id, j.State)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
