package engine_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// instance is one ferry on the bundle's database: its inbox actions (the
// app layer) and its engine.
type instance struct {
	app *app.App
	eng *engine.Engine
}

// instances returns the bundle's own ferry and, with second, another one
// on the same database with its own store, manager and engine (as a
// second process would have).
func (b *bundle) instances(second bool) []instance {
	b.t.Helper()
	out := []instance{{app: app.New(app.Options{Store: b.store, Manager: b.mgr, Now: b.clock.Now}), eng: b.eng}}
	if !second {
		return out
	}
	st := storetest.Open(b.t, b.dbURL, store.Options{Secret: b.box})
	mgr := connection.NewManager(connection.Options{Store: st, Salesforce: b.oauth, IntercomURL: b.icURL, Now: b.clock.Now})
	eng := engine.New(engine.Options{Store: st, Manager: mgr, Now: b.clock.Now, PollOverlap: 5 * time.Second,
		DisconnectedRetry: 100 * time.Millisecond, RetryAfter: 24 * time.Hour, SettingsPollInterval: true})
	return append(out, instance{app: app.New(app.Options{Store: st, Manager: mgr, Now: b.clock.Now}), eng: eng})
}

// logWhole logs a whole conversation from the inbox (F6.2) as the
// conversation's contact.
func logWhole(t *testing.T, a *app.App, connID int64, conv, icID string) app.TaskResult {
	t.Helper()
	r, err := a.LogToSalesforce(t.Context(), connID, app.TaskRequest{ConversationID: conv, IntercomID: icID})
	if err != nil {
		t.Fatalf("log conversation %s: %v", conv, err)
	}
	return r
}

// A teammate logging the whole conversation from the inbox (F6.2) and the
// conversation's own Task (F6.1) are one Task, whichever comes first and
// however they interleave: both claim the conversation's Task row in the
// store before creating anything.
func TestConversationLoggedFromInboxAndItsTaskAreOneTask(t *testing.T) {
	t.Parallel()

	// The teammate logs the conversation within seconds of its start,
	// before ferry drained its webhook: ferry keeps that Task as the
	// conversation's and updates it when the conversation closes.
	t.Run("InboxFirst", func(t *testing.T) {
		t.Parallel()
		b := setup(t, setupOpts{settings: taskSettings})
		in := b.instances(false)[0]
		icID, contactID := b.mappedPerson("Contact", "early@example.com")
		conv := b.startConversation(icID, "<p>My order is late</p>")
		logged := logWhole(t, in.app, b.connID, conv, icID)
		if logged.TaskID == "" || logged.Existed {
			t.Fatalf("the first log answered %+v, want a new Task", logged)
		}
		b.drain()
		if got := b.oneTask(contactID).String("Id"); got != logged.TaskID {
			t.Fatalf("the Contact's Task is %s, want the one logged from the inbox %s", got, logged.TaskID)
		}
		b.reply(conv, intercom.ReplyInput{MessageType: intercom.MessageComment, Type: "admin", Body: "<p>It ships today</p>"}, "conversation.admin.replied")
		b.manage(conv, intercom.ManageInput{MessageType: intercom.ManageClose}, "conversation.admin.closed")
		b.drain()
		task := b.oneTask(contactID)
		if task.String("Id") != logged.TaskID || !strings.Contains(task.String("Description"), "It ships today") ||
			task.String("Status") != "Completed" {
			t.Fatalf("after the close: %v, want the logged Task with the whole transcript, completed", task)
		}
		again := logWhole(t, in.app, b.connID, conv, icID)
		if again.TaskID != logged.TaskID || !again.Kept {
			t.Fatalf("logging it again answered %+v, want the kept Task %s", again, logged.TaskID)
		}
	})

	// ferry's create is on its way when the teammate logs: the teammate
	// waits for it and gets it, nothing new is created.
	t.Run("TaskBeingCreated", func(t *testing.T) {
		t.Parallel()
		reached, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		b := setup(t, setupOpts{settings: taskSettings, sfFront: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Holds the engine's Task creates (sObject Collections);
				// the inbox creates one record at a time.
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/composite/sobjects") {
					once.Do(func() { close(reached) })
					<-release
				}
				next.ServeHTTP(w, r)
			})
		}})
		in := b.instances(false)[0]
		icID, contactID := b.mappedPerson("Contact", "inflight@example.com")
		conv := b.startConversation(icID, "<p>Where is my parcel?</p>")
		drained := make(chan struct{})
		go func() { defer close(drained); b.drain() }()
		<-reached
		logged := make(chan app.TaskResult)
		go func() { logged <- logWhole(t, in.app, b.connID, conv, icID) }()
		// Let the log reach its check while the create is held: the
		// answer must not depend on which finishes first.
		time.Sleep(200 * time.Millisecond)
		close(release)
		got := <-logged
		<-drained
		task := b.oneTask(contactID)
		if got.TaskID != task.String("Id") || !got.Kept {
			t.Fatalf("the log answered %+v, want the conversation's Task %s, kept", got, task.String("Id"))
		}
	})

	// Many conversations, each logged several times from the inbox while
	// the engine drains their starts, on one store and on two instances
	// sharing PostgreSQL: one Task each.
	for _, db := range storetest.Engines() {
		for _, two := range []bool{false, true} {
			if two && db.Engine != store.EnginePostgres {
				continue
			}
			name := "Race/" + string(db.Engine)
			if two {
				name += "/TwoInstances"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, setupOpts{settings: taskSettings, db: &db})
				ins := b.instances(two)
				var people, convs []string
				for i := range 4 {
					icID, contactID := b.mappedPerson("Contact", fmt.Sprintf("race%d@example.com", i))
					people = append(people, contactID)
					convs = append(convs, b.startConversation(icID, fmt.Sprintf("<p>Question %d</p>", i)))
				}
				ctx := context.WithoutCancel(t.Context())
				var wg sync.WaitGroup
				for _, in := range ins {
					wg.Go(func() {
						if err := in.eng.Drain(ctx, b.connID); err != nil {
							t.Errorf("drain: %v", err)
						}
					})
				}
				for i, conv := range convs {
					for k := range 3 {
						in := ins[k%len(ins)]
						wg.Go(func() {
							if _, err := in.app.LogToSalesforce(ctx, b.connID, app.TaskRequest{ConversationID: conv}); err != nil {
								t.Errorf("log conversation %d: %v", i, err)
							}
						})
					}
				}
				wg.Wait()
				b.drain()
				for i, who := range people {
					if n := len(b.tasksOf(who)); n != 1 {
						t.Errorf("conversation %d has %d Tasks, want 1", i, n)
					}
				}
			})
		}
	}
}
