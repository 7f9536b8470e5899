package intercom_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ferrysync/ferry/emulator/intercom"
)

const (
	testToken  = "test-token-1"
	testSecret = "shh-client-secret"
	testClient = "client-123"
)

// hook is one webhook as the receiver saw it.
type hook struct {
	Envelope  map[string]any
	Header    http.Header
	Signature bool // X-Hub-Signature matched the body
}

// fixture is an emulator behind a real loopback server, plus a webhook
// receiver subscribed to all topics.
type fixture struct {
	t     *testing.T
	srv   *intercom.Server
	url   string
	hooks chan hook

	mu       sync.Mutex
	failNext int    // receiver answers 500 to this many deliveries first
	pending  []hook // received but not yet waited for
}

func setup(t *testing.T, tweak ...func(*intercom.Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, hooks: make(chan hook, 1000)}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha1.New, []byte(testSecret))
		mac.Write(body)
		want := "sha1=" + hex.EncodeToString(mac.Sum(nil))
		f.mu.Lock()
		fail := f.failNext > 0
		if fail {
			f.failNext--
		}
		f.mu.Unlock()
		var env map[string]any
		json.Unmarshal(body, &env)
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		f.hooks <- hook{Envelope: env, Header: r.Header.Clone(), Signature: hmac.Equal([]byte(want), []byte(r.Header.Get("X-Hub-Signature")))}
	}))
	t.Cleanup(recv.Close)
	opts := intercom.Options{Tokens: []string{testToken}, ClientID: testClient, ClientSecret: testSecret,
		Webhooks: []string{recv.URL}, WebhookRetryDelay: 10 * time.Millisecond}
	for _, tw := range tweak {
		tw(&opts)
	}
	f.srv = intercom.New(opts)
	t.Cleanup(f.srv.Close)
	ts := httptest.NewServer(f.srv)
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

// call makes an authorized API call and decodes the JSON answer.
func (f *fixture) call(method, path string, body any) (int, map[string]any) {
	f.t.Helper()
	code, m, _ := f.callWith(method, path, body, map[string]string{"Authorization": "Bearer " + testToken})
	return code, m
}

func (f *fixture) callWith(method, path string, body any, hdr map[string]string) (int, map[string]any, http.Header) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, f.url+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			f.t.Fatalf("%s %s: body is not a JSON object: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode, m, resp.Header
}

// must calls and fails the test unless the status is want.
func (f *fixture) must(want int, method, path string, body any) map[string]any {
	f.t.Helper()
	code, m := f.call(method, path, body)
	if code != want {
		f.t.Fatalf("%s %s: status %d, want %d: %v", method, path, code, want, m)
	}
	return m
}

// waitTopic returns the next webhook with the topic. Deliveries run
// concurrently, so others seen meanwhile are kept for later waits.
func (f *fixture) waitTopic(topic string) hook {
	f.t.Helper()
	f.mu.Lock()
	for i, h := range f.pending {
		if h.Envelope["topic"] == topic {
			f.pending = append(f.pending[:i:i], f.pending[i+1:]...)
			f.mu.Unlock()
			return h
		}
	}
	f.mu.Unlock()
	deadline := time.After(10 * time.Second) // a hang guard, not a timing assertion
	for {
		select {
		case h := <-f.hooks:
			if h.Envelope["topic"] == topic {
				return h
			}
			f.mu.Lock()
			f.pending = append(f.pending, h)
			f.mu.Unlock()
		case <-deadline:
			f.t.Fatalf("no %s webhook arrived", topic)
		}
	}
}

// errorCode asserts an Intercom error.list body and returns its first code.
func errorCode(t *testing.T, m map[string]any) string {
	t.Helper()
	if m["type"] != "error.list" {
		t.Fatalf("not an error.list: %v", m)
	}
	if id, _ := m["request_id"].(string); len(id) != 36 {
		t.Errorf("request_id %v is not a UUID", m["request_id"])
	}
	errs, _ := m["errors"].([]any)
	if len(errs) == 0 {
		t.Fatalf("error.list without errors: %v", m)
	}
	e := errs[0].(map[string]any)
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("error without message: %v", e)
	}
	return e["code"].(string)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// waitItem waits for a webhook of topic whose item has key == value,
// skipping earlier ones of the same topic.
func (f *fixture) waitItem(topic, key string, value any) hook {
	f.t.Helper()
	for range 50 {
		h := f.waitTopic(topic)
		if h.Envelope["data"].(map[string]any)["item"].(map[string]any)[key] == value {
			return h
		}
	}
	f.t.Fatalf("no %s webhook with %s=%v", topic, key, value)
	return hook{}
}
