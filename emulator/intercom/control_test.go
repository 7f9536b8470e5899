package intercom_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ferrysync/ferry/emulator/intercom"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	f := setup(t)
	code, _, _ := f.callWith("POST", "/__emulator/faults", map[string]any{"error_rate": 1, "error_status": 502, "latency_ms": 1}, nil)
	if code != 200 {
		t.Fatalf("set faults: %d", code)
	}
	code, m := f.call("GET", "/admins", nil)
	if code != 502 || errorCode(t, m) != "server_error" {
		t.Errorf("injected fault: %d %v", code, m)
	}
	for _, bad := range []map[string]any{{"error_rate": 2}, {"latency_ms": -1}, {"error_status": 200}} {
		if code, _, _ := f.callWith("POST", "/__emulator/faults", bad, nil); code != 400 {
			t.Errorf("%v accepted: %d", bad, code)
		}
	}
	f.callWith("POST", "/__emulator/faults", map[string]any{}, nil)
	f.must(200, "GET", "/admins", nil)
}

func TestControlConversations(t *testing.T) {
	t.Parallel()
	f := setup(t)
	code, c, _ := f.callWith("POST", "/__emulator/contacts", map[string]any{"email": "visitor@x.example", "utm_campaign": "spring"}, nil)
	if code != 200 || c["role"] != "lead" || c["utm_campaign"] != "spring" {
		t.Fatalf("control create: %d %v", code, c)
	}
	f.waitTopic("contact.lead.created")
	cid := str(c["id"])

	code, conv, _ := f.callWith("POST", "/__emulator/conversations", map[string]any{"contact_id": cid, "body": "<p>Hi 👋</p>"}, nil)
	if code != 200 || conv["state"] != "open" {
		t.Fatalf("control conversation: %d %v", code, conv)
	}
	convID := str(conv["id"])
	f.waitTopic("conversation.user.created")

	code, conv, _ = f.callWith("POST", "/__emulator/conversations/"+convID+"/reply", map[string]any{"body": "<p>Anyone?</p>"}, nil)
	if code != 200 {
		t.Fatalf("control reply: %d %v", code, conv)
	}
	if it := item(f.waitTopic("conversation.user.replied")); it["id"] != convID {
		t.Errorf("replied item: %v", it)
	}

	code, conv, _ = f.callWith("POST", "/__emulator/conversations/"+convID+"/assign", map[string]any{"assignee_id": 991267500}, nil)
	if code != 200 || conv["admin_assignee_id"] != float64(991267500) {
		t.Fatalf("control assign: %d %v", code, conv)
	}
	f.waitTopic("conversation.admin.assigned")

	for path, body := range map[string]any{
		"/__emulator/conversations":                       map[string]any{"contact_id": "nope", "body": "x"},
		"/__emulator/conversations/" + convID + "/assign": map[string]any{"assignee_id": 5},
		"/__emulator/contacts/nope/attributes":            map[string]any{"name": "x"},
		"/__emulator/contacts":                            map[string]any{"custom_attributes": map[string]any{"undefined": 1}},
	} {
		if code, m, _ := f.callWith("POST", path, body, nil); code < 400 || errorCode(t, m) == "" {
			t.Errorf("%s: %d %v", path, code, m)
		}
	}
}

// TestUninstallAndCompaniesSwitch: POST /auth/uninstall revokes the token it
// is called with, and with companies switched off the company endpoints
// answer 403 until they are on again.
func TestUninstallAndCompaniesSwitch(t *testing.T) {
	t.Parallel()
	s := intercom.New(intercom.Options{Tokens: []string{"tok-a", "tok-b"}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	call := func(method, path, tok string) int {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := call("POST", "/auth/uninstall", "tok-a"); got != http.StatusOK {
		t.Fatalf("uninstall: %d", got)
	}
	if got := call("GET", "/me", "tok-a"); got != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d, want 401", got)
	}
	if got := call("GET", "/companies", "tok-b"); got != http.StatusOK {
		t.Fatalf("companies on: %d", got)
	}
	s.SetCompaniesEnabled(false)
	if got := call("GET", "/companies", "tok-b"); got != http.StatusForbidden {
		t.Fatalf("companies off: %d, want 403", got)
	}
	if got := call("GET", "/me", "tok-b"); got != http.StatusOK {
		t.Fatalf("other endpoints with companies off: %d", got)
	}
	s.SetCompaniesEnabled(true)
	if got := call("GET", "/companies", "tok-b"); got != http.StatusOK {
		t.Fatalf("companies on again: %d", got)
	}
}
