package web_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// notification builds an Intercom contact.user.created notification.
func notification(appID, notifID string, attempt int) []byte {
	return fmt.Appendf(nil, `{"type":"notification_event","app_id":%q,"data":{"type":"notification_event_data",`+
		`"item":{"type":"contact","id":"6961c0ffee","workspace_id":%q,"role":"user","email":"ann@example.com","name":"Ann",`+
		`"created_at":1768018948,"updated_at":1768018948}},"links":{},"id":%q,"topic":"contact.user.created",`+
		`"delivery_status":"pending","delivery_attempts":%d,"delivered_at":0,"first_sent_at":1768019000,"created_at":1768018948,"self":null}`,
		appID, appID, notifID, attempt)
}

// deliver posts a webhook body signed with secret ("" sends no signature).
func (b *bundle) deliver(t testing.TB, body []byte, secret string) response {
	t.Helper()
	var hdr []string
	if secret != "" {
		hdr = []string{"X-Hub-Signature", intercom.Sign(secret, body)}
	}
	return b.do(t, http.MethodPost, "/webhooks/intercom", "", string(body), hdr...)
}

// jobCount counts the drain jobs, in any state.
func (b *bundle) jobCount(t testing.TB) int {
	t.Helper()
	return b.jobsOfKind(t, jobs.IntercomDrainArgs{}.Kind())
}

// jobsOfKind counts the queued jobs of a kind, in any state.
func (b *bundle) jobsOfKind(t testing.TB, kind string) int {
	t.Helper()
	counts, err := b.store.CountJobs(t.Context(), kind)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// eachEngineWithWorkspace runs f on each store engine with the default
// connection's Intercom workspace connected, by its app id.
func eachEngineWithWorkspace(t *testing.T, f func(t *testing.T, b *bundle, app string)) {
	t.Helper()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			b := setupOn(t, e.URL(t))
			b.connectIntercomToken(t, b.connID)
			f(t, b, b.ic.AppID())
		})
	}
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	eachEngineWithWorkspace(t, func(t *testing.T, b *bundle, app string) {

		body := notification(app, "notif_1", 1)
		if res := b.deliver(t, body, icClientSecret); res.status != http.StatusOK {
			t.Fatalf("signed delivery: %d %s", res.status, res.body)
		}
		if n := b.jobCount(t); n != 1 {
			t.Fatalf("%d jobs after one event, want 1", n)
		}
		// The job names the connection and the kind of events it
		// drains; the stored event holds the raw body.
		job, err := b.store.GetJob(t.Context(), 1)
		if err != nil {
			t.Fatal(err)
		}
		var args jobs.IntercomDrainArgs
		if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
			t.Fatal(err)
		}
		pending := b.pending(t)
		if len(pending) != 1 {
			t.Fatalf("%d pending events after one, want 1", len(pending))
		}
		ev := pending[0]
		if args.ConnectionID != b.connID || args.Drain != jobs.DrainContacts || ev.ConnectionID != b.connID ||
			ev.NotificationID != "notif_1" || ev.Topic != "contact.user.created" || ev.Payload != string(body) {
			t.Fatalf("stored event %+v for job %+v", ev, args)
		}

		// A redelivery (same notification id) is acknowledged once more
		// but makes no second job.
		if res := b.deliver(t, notification(app, "notif_1", 2), icClientSecret); res.status != http.StatusOK {
			t.Fatalf("redelivery: %d %s", res.status, res.body)
		}
		if n := b.jobCount(t); n != 1 {
			t.Fatalf("%d jobs after a redelivery, want 1", n)
		}

		for _, tc := range []struct {
			name   string
			body   []byte
			secret string
			status int
		}{
			{"wrong secret", notification(app, "notif_2", 1), "not-the-secret", http.StatusUnauthorized},
			{"unsigned", notification(app, "notif_3", 1), "", http.StatusUnauthorized},
			{"malformed", []byte(`{"topic":`), icClientSecret, http.StatusBadRequest},
			{"ping", []byte(`{"type":"notification_event","app_id":"` + app + `","data":{"type":"notification_event_data","item":{"type":"ping","message":"hi"}},"id":null,"topic":"ping","delivery_attempts":1}`), icClientSecret, http.StatusOK},
			{"too large", bytes.Repeat([]byte("x"), 1<<20+1), icClientSecret, http.StatusRequestEntityTooLarge},
		} {
			if res := b.deliver(t, tc.body, tc.secret); res.status != tc.status {
				t.Errorf("%s: status %d, want %d", tc.name, res.status, tc.status)
			}
		}
		if n := b.jobCount(t); n != 1 {
			t.Fatalf("%d jobs after rejected deliveries and a ping, want 1", n)
		}
		if n := len(b.pending(t)); n != 1 {
			t.Fatalf("%d events pending after rejected deliveries and a ping, want 1: one was stored", n)
		}

		if res := b.do(t, http.MethodHead, "/webhooks/intercom", "", ""); res.status != http.StatusOK {
			t.Fatalf("HEAD: %d", res.status)
		}
		metrics := string(b.do(t, http.MethodGet, "/metrics", "", "").body)
		for _, want := range []string{
			`ferry_webhook_events_total{reason="stored",result="accepted"} 1`,
			`ferry_webhook_events_total{reason="duplicate",result="accepted"} 1`,
			`ferry_webhook_events_total{reason="bad_signature",result="rejected"} 2`,
			`ferry_webhook_events_total{reason="ping",result="accepted"} 1`,
			`ferry_webhook_events_total{reason="too_large",result="rejected"} 1`,
			`ferry_webhook_events_total{reason="malformed",result="rejected"} 1`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

// pending returns the default connection's unprocessed events.
func (b *bundle) pending(t testing.TB) []store.WebhookEvent {
	t.Helper()
	evs, err := b.store.ListPendingWebhookEvents(t.Context(), b.connID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// topicNotification builds a notification of any topic about a contact.
func topicNotification(appID, notifID, topic string) []byte {
	return []byte(strings.Replace(string(notification(appID, notifID, 1)), `"topic":"contact.user.created"`, `"topic":"`+topic+`"`, 1))
}

// TestWebhookDrainJobs: webhooks arriving while a drain job of their kind
// has not started draining make no job of their own; contacts and
// conversations each have their drain; topics nothing drains are stored
// processed, with no job. Once a drain job clears the request (it starts
// draining), the next webhook makes a new job.
func TestWebhookDrainJobs(t *testing.T) {
	t.Parallel()
	eachEngineWithWorkspace(t, func(t *testing.T, b *bundle, app string) {
		send := func(notif, topic string) {
			t.Helper()
			if res := b.deliver(t, topicNotification(app, notif, topic), icClientSecret); res.status != http.StatusOK {
				t.Fatalf("%s: %d %s", topic, res.status, res.body)
			}
		}
		// drainJobs counts the drain jobs by kind (job ids start at 1).
		drainJobs := func() map[jobs.DrainKind]int {
			t.Helper()
			out := map[jobs.DrainKind]int{}
			for id, found, n := int64(1), 0, b.jobCount(t); found < n; id++ {
				job, err := b.store.GetJob(t.Context(), id)
				if errors.Is(err, store.ErrNotFound) || err == nil && job.Kind != (jobs.IntercomDrainArgs{}).Kind() {
					continue
				} else if err != nil {
					t.Fatal(err)
				}
				var args jobs.IntercomDrainArgs
				if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
					t.Fatal(err)
				}
				out[args.Drain]++
				found++
			}
			return out
		}
		for i := range 40 {
			send(fmt.Sprintf("c%d", i), []string{"contact.user.updated", "company.updated", "contact.lead.created"}[i%3])
			send(fmt.Sprintf("v%d", i), "conversation.admin.closed")
			send(fmt.Sprintf("t%d", i), "visitor.signed_up")
		}
		if got := drainJobs(); len(got) != 2 || got[jobs.DrainContacts] != 1 || got[jobs.DrainConversations] != 1 {
			t.Fatalf("drain jobs after 120 webhooks = %v, want one of each kind", got)
		}
		if n := len(b.pending(t)); n != 80 {
			t.Fatalf("%d pending events, want the 80 contact and conversation events (the others stored processed)", n)
		}
		// A drain job of contacts starts: it clears the request.
		if err := b.store.InTx(t.Context(), func(tx store.Tx) error {
			return tx.ClearDrainRequest(t.Context(), b.connID, string(jobs.DrainContacts))
		}); err != nil {
			t.Fatal(err)
		}
		send("c-after", "contact.user.updated")
		send("v-after", "conversation.admin.closed")
		if got := drainJobs(); got[jobs.DrainContacts] != 2 || got[jobs.DrainConversations] != 1 {
			t.Fatalf("drain jobs after a drain started = %v, want a second of contacts", got)
		}
	})
}

func TestWebhookRouting(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// A second connection for another workspace.
	var other store.Connection
	err := b.store.InTx(t.Context(), func(tx store.Tx) error {
		var err error
		if other, err = tx.CreateConnection(t.Context(), store.Connection{Name: "other"}); err != nil {
			return err
		}
		return tx.UpdateConnectionIdentity(t.Context(), other.ID, "otherapp", "", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	b.connectIntercomToken(t, b.connID)

	if res := b.deliver(t, notification("otherapp", "notif_o", 1), icClientSecret); res.status != http.StatusOK {
		t.Fatalf("other workspace: %d %s", res.status, res.body)
	}
	if res := b.deliver(t, notification(b.ic.AppID(), "notif_d", 1), icClientSecret); res.status != http.StatusOK {
		t.Fatalf("default workspace: %d %s", res.status, res.body)
	}
	// An event for a workspace nobody connected is refused (Intercom retries)
	// and not stored.
	if res := b.deliver(t, notification("unknownapp", "notif_u", 1), icClientSecret); res.status != http.StatusServiceUnavailable {
		t.Fatalf("unknown workspace: %d %s", res.status, res.body)
	}
	got := map[int64]string{}
	for id := int64(1); id <= 3; id++ {
		ev, err := b.store.GetWebhookEvent(t.Context(), id)
		if err != nil {
			continue
		}
		got[ev.ConnectionID] = ev.NotificationID
	}
	if len(got) != 2 || got[other.ID] != "notif_o" || got[b.connID] != "notif_d" {
		t.Fatalf("events by connection = %v", got)
	}
}

// TestWebhookFromEmulator has the Intercom emulator deliver a real, signed
// notification to ferry's endpoint.
func TestWebhookFromEmulator(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.connectIntercomToken(t, b.connID)
	b.ic.AddWebhook(b.url + "/webhooks/intercom")
	if _, err := b.ic.MessengerCreateContact(map[string]any{"email": "visitor@example.com"}); err != nil {
		t.Fatal(err)
	}
	// Delivery is asynchronous; wait for it (this bounds the wait, it does
	// not measure anything).
	deadline := time.Now().Add(10 * time.Second)
	for b.jobCount(t) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no job after the emulator's webhook")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ev, err := b.store.GetWebhookEvent(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Topic != "contact.lead.created" || ev.ConnectionID != b.connID {
		t.Fatalf("stored event %s for connection %d", ev.Topic, ev.ConnectionID)
	}
}

// TestWebhookConcurrentDeliveries: webhooks delivered at once are stored
// together (one transaction for those arriving while another is stored),
// each exactly once, redeliveries among them included, with one drain job
// for all; each sender gets its own answer (issue 15).
func TestWebhookConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	eachEngineWithWorkspace(t, func(t *testing.T, b *bundle, app string) {
		const n = 60
		statuses := make(chan int, 2*n)
		var wg sync.WaitGroup
		for i := range 2 * n {
			wg.Go(func() {
				// Every notification is delivered twice.
				statuses <- b.deliver(t, notification(app, fmt.Sprintf("notif_%d", i%n), 1+i/n), icClientSecret).status
			})
		}
		wg.Wait()
		close(statuses)
		for s := range statuses {
			if s != http.StatusOK {
				t.Errorf("a delivery was answered %d", s)
			}
		}
		if got := b.jobCount(t); got != 1 {
			t.Errorf("%d drain jobs for %d notifications delivered twice, want 1", got, n)
		}
		seen := map[string]bool{}
		for _, ev := range b.pending(t) {
			if seen[ev.NotificationID] {
				t.Errorf("notification %s stored twice", ev.NotificationID)
			}
			seen[ev.NotificationID] = true
		}
		if len(seen) != n {
			t.Errorf("%d notifications stored, want %d", len(seen), n)
		}
	})
}
