package intercom_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/emulator/intercom"
)

var envelopeKeys = []string{"app_id", "created_at", "data", "delivered_at", "delivery_attempts", "delivery_status",
	"first_sent_at", "id", "links", "self", "topic", "type"}

func item(h hook) map[string]any {
	return h.Envelope["data"].(map[string]any)["item"].(map[string]any)
}

func TestWebhookEnvelope(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.must(200, "POST", "/contacts", map[string]any{"email": "new@x.example"})
	h := f.waitTopic("contact.user.created")
	var keys []string
	for k := range h.Envelope {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, envelopeKeys) {
		t.Errorf("envelope keys %v, want %v", keys, envelopeKeys)
	}
	e := h.Envelope
	if e["type"] != "notification_event" || e["app_id"] != f.srv.AppID() || !strings.HasPrefix(str(e["id"]), "notif_") ||
		e["delivery_status"] != "pending" || e["delivery_attempts"] != float64(1) || e["delivered_at"] != float64(0) ||
		e["self"] != nil || e["data"].(map[string]any)["type"] != "notification_event_data" {
		t.Errorf("envelope: %v", e)
	}
	if !h.Signature {
		t.Error("X-Hub-Signature does not verify with the client secret")
	}
	if ua := h.Header.Get("User-Agent"); ua != "intercom-parrot-service-client/1.0" {
		t.Errorf("User-Agent %q", ua)
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-07:00", str(item(h)["created_at"])); err != nil {
		t.Errorf("contact.user.created created_at should be ISO-8601 as real Intercom sends: %v", item(h)["created_at"])
	}

	f.must(200, "POST", "/contacts", map[string]any{"role": "lead", "name": "Visitor"})
	if _, isNum := item(f.waitTopic("contact.lead.created"))["created_at"].(float64); !isNum {
		t.Error("contact.lead.created created_at should be a Unix integer")
	}
	f.must(200, "POST", "/companies", map[string]any{"company_id": "c1", "name": "C1"})
	co := item(f.waitTopic("company.created"))
	if _, isStr := co["created_at"].(string); !isStr || co["tag_ids"] == nil {
		t.Errorf("company.created item: %v", co)
	}
}

func TestContactTopics(t *testing.T) {
	t.Parallel()
	f := setup(t)
	lead := f.must(200, "POST", "/contacts", map[string]any{"role": "lead", "name": "Lea"})
	id := str(lead["id"])
	f.waitTopic("contact.lead.created")

	// The visitor gives an email in the Messenger, then signs up.
	if err := f.srv.MessengerUpdateContact(id, map[string]any{"email": "lea@x.example", "utm_source": "google",
		"location": map[string]any{"country": "Spain", "country_code": "ES"}}); err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{"contact.lead.updated", "contact.email.updated", "contact.lead.added_email"} {
		if it := item(f.waitTopic(topic)); it["email"] != "lea@x.example" {
			t.Errorf("%s item: %v", topic, it)
		}
	}
	code, m, _ := f.callWith("POST", "/__emulator/contacts/"+id+"/attributes", map[string]any{"role": "user"}, nil)
	if code != 200 || m["role"] != "user" || m["utm_source"] != "google" || m["location"].(map[string]any)["country"] != "Spain" {
		t.Fatalf("control attributes: %d %v", code, m)
	}
	if it := item(f.waitTopic("contact.lead.signed_up")); it["role"] != "user" {
		t.Errorf("signed_up item: %v", it)
	}

	f.must(200, "PUT", "/contacts/"+id, map[string]any{"name": "Lea M"})
	f.waitItem("contact.user.updated", "name", "Lea M")
	code, m, _ = f.callWith("POST", "/__emulator/contacts/"+id+"/owner", map[string]any{"owner_id": 991267500}, nil)
	if code != 200 || m["owner_id"] != float64(991267500) {
		t.Fatalf("control owner: %d %v", code, m)
	}
	f.waitItem("contact.user.updated", "owner_id", float64(991267500))
	if code, m, _ = f.callWith("POST", "/__emulator/contacts/"+id+"/owner", map[string]any{"owner_id": 12}, nil); code != 400 {
		t.Errorf("unknown owner: %d %v", code, m)
	}

	f.must(200, "POST", "/contacts/"+id+"/archive", nil)
	f.waitTopic("contact.archived")
	f.must(200, "DELETE", "/contacts/"+id, nil)
	del := item(f.waitTopic("contact.deleted"))
	if del["id"] != id || del["deleted"] != true || len(del) != 4 {
		t.Errorf("contact.deleted should be minimal: %v", del)
	}
}

func TestWebhookRetryAndFailure(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.mu.Lock()
	f.failNext = 1
	f.mu.Unlock()
	f.must(200, "POST", "/contacts", map[string]any{"email": "retry@x.example"})
	h := f.waitTopic("contact.user.created")
	if h.Envelope["delivery_attempts"] != float64(2) || !h.Signature {
		t.Errorf("retried delivery: attempts %v, signature ok %v", h.Envelope["delivery_attempts"], h.Signature)
	}

	f.mu.Lock()
	f.failNext = 2
	f.mu.Unlock()
	f.srv.Ping()
	deadline := time.Now().Add(10 * time.Second) // a hang guard
	for f.srv.Usage().WebhooksFailed != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("usage %+v: want one failed delivery", f.srv.Usage())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if u := f.srv.Usage(); u.WebhooksSent != 1 {
		t.Errorf("usage %+v: want one sent", u)
	}
}

func TestWebhookSubscribeAtRuntime(t *testing.T) {
	t.Parallel()
	f := setup(t, func(o *intercom.Options) { o.Webhooks = nil })
	f.must(200, "POST", "/contacts", map[string]any{"email": "before@x.example"})
	code, _, _ := f.callWith("POST", "/__emulator/webhooks", map[string]string{"url": f.url + "/nowhere"}, nil)
	if code != 200 {
		t.Fatalf("subscribe: %d", code)
	}
	f.srv.Ping()
	deadline := time.Now().Add(10 * time.Second)
	for f.srv.Usage().WebhooksFailed == 0 { // /nowhere answers 404 twice
		if time.Now().After(deadline) {
			t.Fatalf("usage %+v", f.srv.Usage())
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, u, _ := f.callWith("GET", "/__emulator/usage", nil, nil)
	if code != 200 || u["webhooks_failed"] != float64(1) || u["api_calls"] != float64(1) {
		t.Errorf("usage: %v", u)
	}
}

func TestWebhooksForOneObjectArriveInOrder(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.must(200, "POST", "/contacts", map[string]any{"email": "order@x.example"})
	for i := range 8 {
		f.must(200, "PUT", "/contacts/"+str(c["id"]), map[string]any{"name": "n" + string(rune('0'+i))})
	}
	for i := range 8 {
		if it := item(f.waitTopic("contact.user.updated")); it["name"] != "n"+string(rune('0'+i)) {
			t.Fatalf("update %d arrived as %v", i, it["name"])
		}
	}
}

func TestPingAndAdminMessage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	code, _, _ := f.callWith("POST", "/__emulator/webhooks/ping", nil, nil)
	if code != 200 {
		t.Fatalf("ping: %d", code)
	}
	p := f.waitTopic("ping")
	if p.Envelope["id"] != nil || p.Envelope["delivery_status"] != nil || item(p)["type"] != "ping" || !p.Signature {
		t.Errorf("ping envelope: %v", p.Envelope)
	}

	c := f.must(200, "POST", "/contacts", map[string]any{"email": "msg@x.example"})
	msg := f.must(200, "POST", "/messages", map[string]any{"message_type": "inapp", "body": "<p>Welcome!</p>",
		"from": map[string]any{"type": "admin", "id": f.srv.OwnAdminID()}, "to": map[string]any{"type": "user", "id": c["id"]}})
	if msg["type"] != "admin_message" || str(msg["conversation_id"]) == "" {
		t.Fatalf("message: %v", msg)
	}
	conv := item(f.waitTopic("conversation.admin.single.created"))
	if conv["id"] != msg["conversation_id"] || conv["source"].(map[string]any)["delivered_as"] != "admin_initiated" {
		t.Errorf("conversation.admin.single.created item: %v", conv)
	}
}
