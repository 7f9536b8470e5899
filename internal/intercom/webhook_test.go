package intercom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/intercom"
)

const testSecret = "s3cr3t-client-secret"

type webhookBundle struct {
	srv  *httptest.Server
	sink *intercom.ChannelSink
}

func setupWebhook(t *testing.T, cfg intercom.WebhookConfig) *webhookBundle {
	t.Helper()
	b := &webhookBundle{sink: intercom.NewChannelSink(16)}
	if cfg.Sink == nil {
		cfg.Sink = b.sink
	}
	if cfg.Secret == "" && cfg.Secrets == nil {
		cfg.Secret = testSecret
	}
	b.srv = httptest.NewServer(intercom.NewWebhookHandler(cfg))
	t.Cleanup(b.srv.Close)
	return b
}

// post sends body with the given signature header ("" for none).
func (b *webhookBundle) post(t *testing.T, body []byte, sig string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "intercom-parrot-service-client/1.0")
	if sig != "" {
		req.Header.Set("X-Hub-Signature", sig)
	}
	resp, err := b.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (b *webhookBundle) next(t *testing.T) *intercom.Event {
	t.Helper()
	select {
	case ev := <-b.sink.C:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event reached the sink")
		return nil
	}
}

func (b *webhookBundle) none(t *testing.T) {
	t.Helper()
	select {
	case ev := <-b.sink.C:
		t.Fatalf("unexpected event %s reached the sink", ev.Topic)
	default:
	}
}

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

func TestWebhookHandler_Protocol(t *testing.T) {
	t.Parallel()
	ping := readSample(t, "ping.json")

	t.Run("HeadAnswers200", func(t *testing.T) {
		t.Parallel()
		b := setupWebhook(t, intercom.WebhookConfig{})
		resp, err := b.srv.Client().Head(b.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HEAD: got %d, want 200", resp.StatusCode)
		}
	})

	tests := []struct {
		name string
		body []byte
		sig  func(body []byte) string
		want int
	}{
		{"ValidSignature", ping, func(b []byte) string { return intercom.Sign(testSecret, b) }, http.StatusOK},
		{"MissingSignature", ping, func([]byte) string { return "" }, http.StatusUnauthorized},
		{"WrongSecret", ping, func(b []byte) string { return intercom.Sign("other", b) }, http.StatusUnauthorized},
		{"NoPrefix", ping, func(b []byte) string { return strings.TrimPrefix(intercom.Sign(testSecret, b), "sha1=") }, http.StatusUnauthorized},
		{"Sha256Prefix", ping, func(b []byte) string { return "sha256=" + strings.TrimPrefix(intercom.Sign(testSecret, b), "sha1=") }, http.StatusUnauthorized},
		{"TruncatedHex", ping, func(b []byte) string { return intercom.Sign(testSecret, b)[:30] }, http.StatusUnauthorized},
		{"SignatureOfOtherBody", ping, func(b []byte) string { return intercom.Sign(testSecret, append(b, ' ')) }, http.StatusUnauthorized},
		{"MalformedJSON", []byte(`{"type":"notification_event","topic":`), func(b []byte) string { return intercom.Sign(testSecret, b) }, http.StatusBadRequest},
		{"MissingTopic", []byte(`{"type":"notification_event","data":{"item":{}}}`), func(b []byte) string { return intercom.Sign(testSecret, b) }, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupWebhook(t, intercom.WebhookConfig{})
			if got := b.post(t, tt.body, tt.sig(tt.body)); got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
			if tt.want != http.StatusOK {
				b.none(t)
			} else {
				b.next(t)
			}
		})
	}

	// Signed, well-formed notifications whose item does not fit reach the
	// sink raw with ItemErr, rather than being refused and lost.
	for name, body := range map[string]string{
		"ContactWithoutItem":   `{"topic":"contact.user.created","data":{}}`,
		"ContactWithoutID":     `{"topic":"contact.user.created","data":{"item":{"type":"contact"}}}`,
		"BadTimestamp":         `{"topic":"contact.user.created","data":{"item":{"id":"1","created_at":"yesterday"}}}`,
		"AttachWithoutCompany": `{"topic":"company.contact.attached","data":{"item":{"type":"contact_company","contact":{"id":"1"}}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setupWebhook(t, intercom.WebhookConfig{})
			if got := b.post(t, []byte(body), intercom.Sign(testSecret, []byte(body))); got != http.StatusOK {
				t.Fatalf("status %d, want 200", got)
			}
			ev := b.next(t)
			if ev.ItemErr == nil || ev.Contact != nil || ev.Company != nil || string(ev.Raw) != body {
				t.Fatalf("event = %+v, want ItemErr, no typed objects, raw body", ev)
			}
		})
	}

	t.Run("BodyTooLarge", func(t *testing.T) {
		t.Parallel()
		b := setupWebhook(t, intercom.WebhookConfig{MaxBody: 256})
		body := []byte(`{"topic":"ping","data":{"item":{"type":"ping","message":"` + strings.Repeat("x", 300) + `"}}}`)
		if got := b.post(t, body, intercom.Sign(testSecret, body)); got != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", got)
		}
		b.none(t)
	})

	t.Run("UnknownTopicIgnored", func(t *testing.T) {
		t.Parallel()
		b := setupWebhook(t, intercom.WebhookConfig{})
		body := readSample(t, "unknown_topic.json")
		if got := b.post(t, body, intercom.Sign(testSecret, body)); got != http.StatusOK {
			t.Fatalf("status %d, want 200", got)
		}
		b.none(t)
	})

	t.Run("SinkErrorGives503", func(t *testing.T) {
		t.Parallel()
		b := setupWebhook(t, intercom.WebhookConfig{Sink: intercom.SinkFunc(func(context.Context, *intercom.Event) error {
			return errors.New("database is locked")
		})})
		if got := b.post(t, ping, intercom.Sign(testSecret, ping)); got != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503", got)
		}
	})

	t.Run("FullChannelSinkGives503", func(t *testing.T) {
		t.Parallel()
		sink := intercom.NewChannelSink(1)
		b := setupWebhook(t, intercom.WebhookConfig{Sink: sink})
		sig := intercom.Sign(testSecret, ping)
		if got := b.post(t, ping, sig); got != http.StatusOK {
			t.Fatalf("first: status %d, want 200", got)
		}
		if got := b.post(t, ping, sig); got != http.StatusServiceUnavailable {
			t.Fatalf("second (full): status %d, want 503", got)
		}
		<-sink.C
		if got := b.post(t, ping, sig); got != http.StatusOK {
			t.Fatalf("after drain: status %d, want 200", got)
		}
	})

	t.Run("SecretRotationAndPerApp", func(t *testing.T) {
		t.Parallel()
		b := setupWebhook(t, intercom.WebhookConfig{Secrets: func(_ context.Context, appID string) ([]string, error) {
			if appID != "i6wc9ipe" {
				return nil, nil
			}
			return []string{"old-secret", "new-secret"}, nil
		}})
		for _, s := range []string{"old-secret", "new-secret"} {
			if got := b.post(t, ping, intercom.Sign(s, ping)); got != http.StatusOK {
				t.Fatalf("signed with %s: status %d, want 200", s, got)
			}
			b.next(t)
		}
		if got := b.post(t, ping, intercom.Sign(testSecret, ping)); got != http.StatusUnauthorized {
			t.Fatalf("signed with unknown secret: status %d, want 401", got)
		}
		other := bytes.Replace(ping, []byte("i6wc9ipe"), []byte("zzzzzzzz"), 1)
		if got := b.post(t, other, intercom.Sign("new-secret", other)); got != http.StatusUnauthorized {
			t.Fatalf("other app: status %d, want 401", got)
		}
	})

	t.Run("MethodNotAllowed", func(t *testing.T) {
		t.Parallel()
		b := setupWebhook(t, intercom.WebhookConfig{})
		req, _ := http.NewRequest(http.MethodPut, b.srv.URL, nil)
		resp, err := b.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("PUT: got %d, want 405", resp.StatusCode)
		}
	})
}

func TestWebhookHandler_Samples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file  string
		check func(t *testing.T, ev *intercom.Event)
	}{
		{"ping.json", func(t *testing.T, ev *intercom.Event) {
			if ev.Kind != intercom.KindPing || ev.PingMessage != "something something interzen" || ev.ID != "" || ev.AppID != "i6wc9ipe" {
				t.Errorf("ping parsed as %+v", ev)
			}
			if ev.CreatedAt.Unix() != 1553288147 {
				t.Errorf("created_at %v", ev.CreatedAt)
			}
		}},
		{"company_created_iso.json", func(t *testing.T, ev *intercom.Event) {
			co := ev.Company
			if ev.Kind != intercom.KindCompany || co == nil || co.ID != "531ee472cce572a6ec000006" || co.CompanyID != "acme-1" {
				t.Fatalf("company parsed as %+v", co)
			}
			want := time.Date(2026, 1, 10, 4, 22, 28, 0, time.UTC)
			if !co.CreatedAt.Time().Equal(want) {
				t.Errorf("created_at %v, want %v", co.CreatedAt.Time(), want)
			}
			n, ok := co.CustomAttributes["employees"].(json.Number)
			if !ok || n.String() != "12345678901234567" {
				t.Errorf("integer custom attribute lost precision: %#v", co.CustomAttributes["employees"])
			}
			if ev.ID != "notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3" || ev.DeliveryAttempts != 1 || ev.FirstSentAt.Unix() != 1392731392 {
				t.Errorf("envelope parsed as %+v", ev)
			}
		}},
		{"contact_user_created_iso.json", func(t *testing.T, ev *intercom.Event) {
			c := ev.Contact
			if ev.Kind != intercom.KindContact || c == nil {
				t.Fatalf("kind %s", ev.Kind)
			}
			if c.Email != "joe@bloggs.com" || c.Role != intercom.RoleUser || c.ExternalID != "1" || c.OwnerID != "991267397" {
				t.Errorf("contact parsed as %+v", c)
			}
			if c.Location.CountryCode != "IRL" || c.Location.ContinentCode != "EU" || c.UTMSource != "newsletter" || c.Referrer != "https://example.com/pricing" {
				t.Errorf("location/utm parsed as %+v", c)
			}
			if c.UpdatedAt.Time() != time.Date(2026, 1, 10, 4, 22, 29, 0, time.UTC) {
				t.Errorf("updated_at %v", c.UpdatedAt.Time())
			}
			if c.Companies == nil || len(c.Companies.Data) != 1 || c.Companies.Data[0].ID != "531ee472cce572a6ec000006" {
				t.Errorf("companies %+v", c.Companies)
			}
			if c.CustomAttributes["sf_id"] != "003xx000004TmiQAAS" || c.CustomAttributes["seats"] != json.Number("42") {
				t.Errorf("custom attributes %#v", c.CustomAttributes)
			}
		}},
		{"contact_deleted.json", func(t *testing.T, ev *intercom.Event) {
			if !ev.Deleted || ev.Contact.ID != "696122fb5d2ec4b1c9a2f5a0" || ev.Contact.ExternalID != "1" || ev.DeliveryAttempts != 2 {
				t.Errorf("deleted parsed as %+v / %+v", ev, ev.Contact)
			}
		}},
		{"contact_merged.json", func(t *testing.T, ev *intercom.Event) {
			if ev.MergedFrom != "667d60a98a68186f43bafd00" || ev.Contact.ID != "667d60a98a68186f43bafdb9" {
				t.Errorf("merged parsed as %+v", ev)
			}
		}},
		{"conversation_admin_noted.json", func(t *testing.T, ev *intercom.Event) {
			cv := ev.Conversation
			if ev.Kind != intercom.KindConversation || cv.ID != "387" || cv.AdminAssigneeID != "991267715" || cv.TeamAssigneeID != "5017691" {
				t.Fatalf("conversation parsed as %+v", cv)
			}
			if cv.ConversationParts == nil || len(cv.ConversationParts.Parts) != 1 {
				t.Fatalf("parts %+v", cv.ConversationParts)
			}
			p := cv.ConversationParts.Parts[0]
			if p.PartType != "note" || p.Author.Type != "admin" || p.Author.ID != "991267715" {
				t.Errorf("part %+v", p)
			}
			if cv.Contacts == nil || cv.Contacts.Contacts[0].ExternalID != "70" {
				t.Errorf("contacts %+v", cv.Contacts)
			}
		}},
		{"company_contact_attached.json", func(t *testing.T, ev *intercom.Event) {
			if ev.Kind != intercom.KindContactCompany || ev.Company.CompanyID != "acme-1" || ev.Contact.ID != "667d60a98a68186f43bafdb9" {
				t.Errorf("attached parsed as %+v", ev)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".json"), func(t *testing.T) {
			t.Parallel()
			b := setupWebhook(t, intercom.WebhookConfig{})
			body := readSample(t, tt.file)
			if got := b.post(t, body, intercom.Sign(testSecret, body)); got != http.StatusOK {
				t.Fatalf("status %d, want 200", got)
			}
			ev := b.next(t)
			if !bytes.Equal(ev.Raw, body) {
				t.Errorf("Raw is not the body as received")
			}
			tt.check(t, ev)
		})
	}
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	body := []byte(`{"a":1}`)
	good := intercom.Sign("k", body)
	tests := []struct {
		name    string
		secrets []string
		header  string
		want    bool
	}{
		{"Valid", []string{"k"}, good, true},
		{"ValidUppercaseHex", []string{"k"}, "sha1=" + strings.ToUpper(strings.TrimPrefix(good, "sha1=")), true},
		{"EmptySecretNeverVerifies", []string{""}, intercom.Sign("", body), false},
		{"NoSecrets", nil, good, false},
		{"Garbage", []string{"k"}, "sha1=zz", false},
		{"SecondSecret", []string{"x", "k"}, good, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := intercom.VerifySignature(tt.secrets, body, tt.header); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
