package intercom_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ferrysync/ferry/emulator/intercom"
)

// canvasApp is an inbox app on loopback: it records each request (checking
// its signature) and answers with the next canned body.
type canvasApp struct {
	url string

	mu       sync.Mutex
	requests []map[string]any
	paths    []string
	signedOK []bool
	answer   func(path string, req map[string]any) (int, string)
}

func newCanvasApp(t *testing.T, secret string) *canvasApp {
	t.Helper()
	a := &canvasApp{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req map[string]any
		json.Unmarshal(body, &req)
		a.mu.Lock()
		a.requests = append(a.requests, req)
		a.paths = append(a.paths, r.URL.Path)
		a.signedOK = append(a.signedOK, r.Header.Get("X-Body-Signature") == intercom.SignCanvas(secret, body) &&
			len(r.Header.Get("X-Body-Signature")) == 64)
		answer := a.answer
		a.mu.Unlock()
		status, out := answer(r.URL.Path, req)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, out)
	}))
	t.Cleanup(srv.Close)
	a.url = srv.URL
	return a
}

func (a *canvasApp) last(t *testing.T) (string, map[string]any, bool) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.requests) == 0 {
		t.Fatal("the app received no request")
	}
	n := len(a.requests) - 1
	return a.paths[n], a.requests[n], a.signedOK[n]
}

const formCanvas = `{"canvas":{"content":{"components":[
 {"type":"text","text":"Create Lead","style":"header"},
 {"type":"input","id":"name","label":"Name","value":"Ann"},
 {"type":"textarea","id":"notes"},
 {"type":"dropdown","id":"size","value":"s","options":[{"type":"option","id":"s","text":"Small"},{"type":"option","id":"l","text":"Large"}]},
 {"type":"checkbox","id":"teams","label":"Teams","options":[{"type":"option","id":"x","text":"X"},{"type":"option","id":"y","text":"Y"}],"value":["x"]},
 {"type":"button","id":"go","label":"Create","action":{"type":"submit"}},
 {"type":"button","id":"open","label":"Open","action":{"type":"url","url":"https://example.com"}}]},
 "stored_data":{"contact":"c1"}}}`

func TestInboxSendsSignedInitializeAndSubmit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	app := newCanvasApp(t, testSecret)
	app.answer = func(string, map[string]any) (int, string) { return 200, formCanvas }
	if err := f.srv.SetInboxApp(intercom.InboxApp{InitializeURL: app.url + "/initialize", SubmitURL: app.url + "/submit"}); err != nil {
		t.Fatal(err)
	}
	ct, err := f.srv.MessengerCreateContact(map[string]any{"email": "ann@example.com", "name": "Ann Lee"})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := f.srv.StartConversation(ct, "<p>Hello</p>")
	if err != nil {
		t.Fatal(err)
	}
	teammate, err := f.srv.AddTeammate("Tess Teammate", "tess@example.com")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	v, err := f.srv.OpenInboxApp(ctx, conv, teammate)
	if err != nil {
		t.Fatal(err)
	}
	if v.Error != "" || v.Status != 200 || len(v.Components()) != 7 || v.StoredData()["contact"] != "c1" {
		t.Fatalf("view %+v", v)
	}
	path, req, signed := app.last(t)
	if path != "/initialize" || !signed {
		t.Fatalf("initialize went to %s, signed %v", path, signed)
	}
	for _, k := range []string{"workspace_id", "workspace_region", "admin", "conversation", "contact", "context"} {
		if _, ok := req[k]; !ok {
			t.Errorf("initialize lacks %s: %v", k, req)
		}
	}
	for _, k := range []string{"component_id", "input_values", "current_canvas", "customer"} {
		if _, ok := req[k]; ok {
			t.Errorf("initialize has %s", k)
		}
	}
	if req["workspace_id"] != f.srv.AppID() || req["admin"].(map[string]any)["email"] != "tess@example.com" ||
		req["conversation"].(map[string]any)["id"] != conv || req["contact"].(map[string]any)["email"] != "ann@example.com" {
		t.Fatalf("initialize %v", req)
	}

	// Submit: the inputs as the teammate left them, the canvas as shown.
	v, err = f.srv.ClickComponent(ctx, conv, teammate, intercom.InboxClick{ComponentID: "go",
		InputValues: map[string]any{"notes": "VIP", "teams": []any{"x", "y"}}})
	if err != nil || v.Error != "" {
		t.Fatalf("submit: %v %+v", err, v)
	}
	path, req, signed = app.last(t)
	if path != "/submit" || !signed || req["component_id"] != "go" {
		t.Fatalf("submit to %s, signed %v: %v", path, signed, req)
	}
	inputs, _ := json.Marshal(req["input_values"])
	if string(inputs) != `{"name":"Ann","notes":"VIP","size":"s","teams":["x","y"]}` {
		t.Errorf("input_values %s", inputs)
	}
	cc, _ := req["current_canvas"].(map[string]any)
	if sd, _ := cc["stored_data"].(map[string]any); sd["contact"] != "c1" || cc["content"] == nil {
		t.Errorf("current_canvas %v", cc)
	}

	// What a teammate cannot do.
	for name, click := range map[string]intercom.InboxClick{
		"a component not on the canvas": {ComponentID: "nope"},
		"a url button":                  {ComponentID: "open"},
		"an input not on the canvas":    {ComponentID: "go", InputValues: map[string]any{"x": "1"}},
	} {
		if _, err := f.srv.ClickComponent(ctx, conv, teammate, click); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// A stale tab can still send it, and tampered stored_data goes as given.
	if _, err := f.srv.ClickComponent(ctx, conv, teammate, intercom.InboxClick{ComponentID: "nope", Stale: true, StoredData: json.RawMessage(`{"contact":"evil"}`)}); err != nil {
		t.Fatal(err)
	}
	_, req, _ = app.last(t)
	if req["component_id"] != "nope" || req["current_canvas"].(map[string]any)["stored_data"].(map[string]any)["contact"] != "evil" {
		t.Errorf("stale submit %v", req)
	}

	// The older "customer" key.
	if err := f.srv.SetInboxApp(intercom.InboxApp{InitializeURL: app.url + "/initialize", SubmitURL: app.url + "/submit", ContactKey: "customer"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.OpenInboxApp(ctx, conv, teammate); err != nil {
		t.Fatal(err)
	}
	if _, req, _ = app.last(t); req["customer"] == nil || req["contact"] != nil {
		t.Errorf("customer key: %v", req)
	}
}

func TestInboxRefusesInvalidCanvasesAndFailures(t *testing.T) {
	t.Parallel()
	f := setup(t)
	app := newCanvasApp(t, "other-secret")
	var status int
	var body string
	app.answer = func(string, map[string]any) (int, string) { return status, body }
	// The app's own secret, not the OAuth one, signs when given.
	if err := f.srv.SetInboxApp(intercom.InboxApp{InitializeURL: app.url + "/i", SubmitURL: app.url + "/s", ClientSecret: "other-secret"}); err != nil {
		t.Fatal(err)
	}
	ct, _ := f.srv.MessengerCreateContact(map[string]any{"email": "bo@example.com"})
	conv, _ := f.srv.StartConversation(ct, "hi")
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"unknown component", canvasOf(`{"type":"video","id":"v"}`), 200, "unknown component type"},
		{"error status", `{"error":"boom"}`, 500, "answered 500"},
		{"unauthorized", `{}`, 401, "answered 401"},
		{"not JSON", `<html>`, 200, "not a JSON object"},
	} {
		status, body = tc.status, tc.body
		before := f.srv.InboxStats()
		v, err := f.srv.OpenInboxApp(context.Background(), conv, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, signed := app.last(t); !signed {
			t.Fatalf("%s: not signed with the app's secret", tc.name)
		}
		if v.Canvas != nil || !strings.Contains(v.Error, tc.want) {
			t.Errorf("%s: view %+v, want refused with %q", tc.name, v, tc.want)
		}
		if after := f.srv.InboxStats(); after.Refused != before.Refused+1 || after.Shown != before.Shown {
			t.Errorf("%s: stats %+v after %+v", tc.name, after, before)
		}
		// Nothing to click on a refused canvas.
		if _, err := f.srv.ClickComponent(context.Background(), conv, "", intercom.InboxClick{ComponentID: "v"}); err == nil {
			t.Errorf("%s: a click on a refused canvas was sent", tc.name)
		}
	}
	// The control surface: configure, open, submit, read.
	res := f.post(t, "/__emulator/inbox/conversations/"+conv+"/open", `{}`)
	if !strings.Contains(string(res), `"error":"the response is not a JSON object`) || strings.Contains(string(res), `"canvas"`) {
		t.Errorf("open over the control surface: %s", res)
	}
	status, body = 200, formCanvas
	res = f.post(t, "/__emulator/inbox/conversations/"+conv+"/open", `{}`)
	if !strings.Contains(string(res), `"status":200`) || !strings.Contains(string(res), `"Create Lead"`) {
		t.Errorf("open: %s", res)
	}
	res = f.post(t, "/__emulator/inbox/conversations/"+conv+"/submit", `{"component_id":"go","input_values":{"name":"Bo"}}`)
	if _, req, _ := app.last(t); req["input_values"].(map[string]any)["name"] != "Bo" || !strings.Contains(string(res), `"status":200`) {
		t.Errorf("submit: %s %v", res, req)
	}
	if res := f.post(t, "/__emulator/inbox-app", `{"initialize_url":"`+app.url+`/i","submit_url":"`+app.url+`/s","client_secret":"x"}`); strings.Contains(string(res), `"x"`) {
		t.Errorf("the control surface echoes the secret: %s", res)
	}
}

func (f *fixture) post(t *testing.T, path, body string) []byte {
	t.Helper()
	resp, err := http.Post(f.url+path, "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return data
}
