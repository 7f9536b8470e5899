package compat

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
)

// intercomSteps is every step intercom.mjs reports, in order.
var intercomSteps = []string{
	"admins.list", "admins.find", "admins.identify", "errors.unauthorized",
	"data-attributes.create", "data-attributes.list", "data-attributes.update", "errors.duplicate-attribute",
	"contacts.create", "contacts.find", "contacts.update", "contacts.update-custom-attribute", "contacts.create-lead", "errors.not-found",
	"contacts.search-paged", "contacts.search-custom-attribute", "contacts.list", "contacts.merge",
	"companies.create", "companies.update-by-company-id", "companies.find", "companies.retrieve-by-company-id",
	"companies.attach-contact", "companies.list-attached", "companies.list-contacts", "companies.list",
	"contacts.archive",
	"conversations.create", "conversations.find", "conversations.note", "conversations.reply",
	"conversations.user-reply", "conversations.close", "conversations.search", "conversations.list",
	"events.create", "rate-limit.headers", "rate-limit.exceeded", "cleanup.delete",
}

// intercomKnown lists steps that fail because the emulator disagrees with
// Intercom, each reported to the emulator's owner (see checkSteps).
var intercomKnown = map[string]incompat{}

// webhookWait bounds how long the test waits for asynchronous webhook
// deliveries after the script has finished; it is a deadline, not a timing
// assertion.
const webhookWait = 15 * time.Second

// TestIntercomNode drives the Intercom emulator with intercom-client, the
// official Node SDK (intercom.mjs), then checks the webhooks those actions
// caused: every delivery signed with HMAC-SHA1 of the raw body under the
// app's client secret, verified here independently of ferry's code.
func TestIntercomNode(t *testing.T) {
	t.Parallel()
	node := requireNode(t)

	const (
		token  = "compat-token"
		secret = "compat-client-secret"
	)
	hooks := newHookReceiver(t, secret)
	emu := icemu.New(icemu.Options{
		Seed:         "empty",
		Tokens:       []string{token},
		ClientID:     "compat-client",
		ClientSecret: secret,
		Webhooks:     []string{hooks.url},
	})
	t.Cleanup(emu.Close)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)

	// A second workspace with a tiny limit (30/min is 5 per 10-second
	// window), so the script can run into 429 within a few calls.
	limited := icemu.New(icemu.Options{Tokens: []string{token}, RateLimit: 30})
	t.Cleanup(limited.Close)
	limitedSrv := httptest.NewServer(limited)
	t.Cleanup(limitedSrv.Close)

	steps := runScript(t, node, "intercom.mjs", []string{srv.URL}, map[string]string{
		"IC_TOKEN":    token,
		"IC_RUN":      runID(t),
		"IC_RATE_URL": limitedSrv.URL,
	})
	checkSteps(t, steps, intercomSteps, intercomKnown)

	t.Run("webhooks", func(t *testing.T) {
		contactID := stepExtra(steps, "contacts.create", "id")
		companyID := stepExtra(steps, "companies.create", "id")
		convID := stepExtra(steps, "conversations.note", "conversation_id")
		if contactID == "" || companyID == "" || convID == "" {
			t.Skip("the steps that cause the webhooks did not pass")
		}
		want := []struct{ topic, itemID string }{
			{"contact.user.created", contactID},
			{"contact.user.updated", contactID},
			{"company.created", companyID},
			{"conversation.user.created", convID},
			{"conversation.admin.noted", convID},
			{"conversation.user.replied", convID},
			{"conversation.admin.closed", convID},
			{"contact.deleted", contactID},
		}
		got := hooks.waitFor(t, func(ds []delivery) bool {
			for _, w := range want {
				if !hasDelivery(ds, w.topic, w.itemID) {
					return false
				}
			}
			return true
		})
		for _, w := range want {
			if !hasDelivery(got, w.topic, w.itemID) {
				t.Errorf("no %s webhook for %s", w.topic, w.itemID)
			}
		}
		topics := map[string]int{}
		for _, d := range got {
			topics[d.Topic]++
			if d.Err != "" {
				t.Errorf("delivery %s (%s): %s", d.ID, d.Topic, d.Err)
			}
			if d.AppID != emu.AppID() {
				t.Errorf("delivery %s: app_id %q, want %q", d.ID, d.AppID, emu.AppID())
			}
		}
		t.Logf("webhook topics received: %v", topics)
	})
}

// delivery is one webhook POST as the receiver saw it. Err says what was
// wrong with it (signature, headers, envelope); empty means valid.
type delivery struct {
	ID     string
	Topic  string
	AppID  string
	ItemID string
	Err    string
}

// hookReceiver is the subscriber endpoint: it answers Intercom's HEAD
// validation and records every POST after checking it.
type hookReceiver struct {
	url    string
	secret string

	mu   sync.Mutex
	got  []delivery
	more chan struct{} // signalled after each delivery
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	t.Helper()
	h := &hookReceiver{secret: secret, more: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/intercom/webhook"
	return h
}

func (h *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d := h.check(r, body)
	h.mu.Lock()
	h.got = append(h.got, d)
	h.mu.Unlock()
	select {
	case h.more <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusOK)
}

// check verifies one delivery the way Intercom documents it: X-Hub-Signature
// is "sha1=" and the hex HMAC-SHA1 of the raw body keyed with the client
// secret; the body is a notification_event envelope.
func (h *hookReceiver) check(r *http.Request, body []byte) delivery {
	var env struct {
		Type  string `json:"type"`
		ID    string `json:"id"`
		Topic string `json:"topic"`
		AppID string `json:"app_id"`
		Data  struct {
			Type string `json:"type"`
			Item struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"item"`
		} `json:"data"`
	}
	var problems []string
	if err := json.Unmarshal(body, &env); err != nil {
		problems = append(problems, "body is not JSON: "+err.Error())
	}
	d := delivery{ID: env.ID, Topic: env.Topic, AppID: env.AppID, ItemID: env.Data.Item.ID}
	mac := hmac.New(sha1.New, []byte(h.secret))
	mac.Write(body)
	want := "sha1=" + hex.EncodeToString(mac.Sum(nil))
	if got := r.Header.Get("X-Hub-Signature"); !hmac.Equal([]byte(got), []byte(want)) {
		problems = append(problems, "X-Hub-Signature "+got+" does not match the body")
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		problems = append(problems, "Content-Type "+ct)
	}
	if env.Type != "notification_event" {
		problems = append(problems, "type "+env.Type)
	}
	if env.Data.Type != "notification_event_data" {
		problems = append(problems, "data.type "+env.Data.Type)
	}
	if env.Topic == "" {
		problems = append(problems, "no topic")
	}
	d.Err = strings.Join(problems, "; ")
	return d
}

// waitFor returns the deliveries so far once done accepts them or the wait
// runs out, whichever comes first.
func (h *hookReceiver) waitFor(t *testing.T, done func([]delivery) bool) []delivery {
	t.Helper()
	deadline := time.NewTimer(webhookWait)
	defer deadline.Stop()
	for {
		h.mu.Lock()
		got := append([]delivery(nil), h.got...)
		h.mu.Unlock()
		if done(got) {
			return got
		}
		select {
		case <-h.more:
		case <-deadline.C:
			return got
		}
	}
}

func hasDelivery(ds []delivery, topic, itemID string) bool {
	for _, d := range ds {
		if d.Topic == topic && d.ItemID == itemID {
			return true
		}
	}
	return false
}
