package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store/storetest"
)

// converse starts one conversation per person, waits for one Task each,
// closes them all and waits for every Task to be completed; it fails on a
// duplicate Task.
func converse(t *testing.T, ctx context.Context, h *Harness, people []Person, wait time.Duration) {
	t.Helper()
	leads := map[string]bool{}
	var convs []string
	for i, p := range people {
		leads[p.SalesforceID] = true
		id, err := h.IC.StartConversation(p.IntercomID, fmt.Sprintf("Question %d", i))
		if err != nil {
			t.Fatal(err)
		}
		convs = append(convs, id)
	}
	if n, err := waitTasks(ctx, h, leads, wait, func(map[string]any) bool { return true }); err != nil {
		t.Fatalf("%d of %d Tasks: %v", n, len(people), err)
	}
	for _, id := range convs {
		if err := h.IC.CloseConversation(id, ""); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := waitTasks(ctx, h, leads, wait, func(t map[string]any) bool { return t["Status"] == "Completed" }); err != nil {
		t.Fatalf("%d of %d Tasks completed: %v", n, len(people), err)
	}
	if err := h.Settle(ctx, 2*time.Second, wait); err != nil {
		t.Fatal(err)
	}
	if d := duplicateTasks(h, leads); d != 0 {
		t.Fatalf("%d duplicate Tasks", d)
	}
}

// TestTwoInstancesPostgresOneTaskPerConversation runs two ferry instances
// on one PostgreSQL database with Intercom's deliveries split between
// them: each conversation becomes exactly one Task, completed on close.
func TestTwoInstancesPostgresOneTaskPerConversation(t *testing.T) {
	t.Parallel()
	url := storetest.PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	h, people := setup(t, ctx, Options{DatabaseURL: url, Instances: 2}, 200)
	converse(t, ctx, h, people, 30*time.Second)
}

// killOnTaskCreate passes requests to the Salesforce emulator and, at the
// first Task create, lets the emulator create the Tasks, then kills ferry
// before the answer reaches it: the Tasks exist, ferry never learned
// their ids, and its commit never happened.
type killOnTaskCreate struct {
	next http.Handler
	once sync.Once
	kill func()
	hit  chan struct{}
}

func (k *killOnTaskCreate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/composite/sobjects") {
		k.next.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !strings.Contains(string(body), `"Task"`) {
		k.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	k.next.ServeHTTP(rec, r)
	killed := false
	k.once.Do(func() { k.kill(); killed = true; close(k.hit) })
	if killed {
		return // the process is gone; nobody reads the answer
	}
	for key, v := range rec.Header() {
		w.Header()[key] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// TestKilledBetweenTaskCreateAndCommit kills a ferry process with SIGKILL
// after Salesforce created its Tasks and before it stored them, then
// starts a new one on the same store: every conversation still has
// exactly one Task (the new process finds the Tasks by the conversation
// their Description names instead of creating them again).
func TestKilledBetweenTaskCreateAndCommit(t *testing.T) {
	eachEngine(t, testKilledTaskCreate)
}

func testKilledTaskCreate(t *testing.T, dbURL string) {
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	const n = 60

	killer := &killOnTaskCreate{hit: make(chan struct{})}
	ph := startProcessHarness(t, ctx, dbURL, n, "tk", func(next http.Handler) http.Handler {
		killer.next = next
		return killer
	})
	h, people, first := ph.h, ph.people, ph.first
	killer.kill = func() { first.signal(t, syscall.SIGKILL) }

	leads := map[string]bool{}
	for i, p := range people {
		leads[p.SalesforceID] = true
		if _, err := h.IC.StartConversation(p.IntercomID, fmt.Sprintf("Question %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-killer.hit:
	case <-ctx.Done():
		t.Fatal("no Task create reached Salesforce before the deadline")
	}
	before := len(h.SF.Records("Task"))
	if before == 0 {
		t.Fatal("the kill came before any Task existed; nothing was tested")
	}
	t.Logf("killed the first ferry after Salesforce created %d Tasks it never stored", before)

	second := startChild(t, ph.env)
	ph.lb.set(second.url)
	if got, err := waitTasks(ctx, h, leads, 40*time.Second, func(map[string]any) bool { return true }); err != nil {
		t.Fatalf("%d of %d people have a Task after the restart: %v", got, n, err)
	}
	if err := h.Settle(ctx, 2*time.Second, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if d := duplicateTasks(h, leads); d != 0 {
		t.Fatalf("%d duplicate Tasks after the restart", d)
	}
}
