package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testEnv(vars map[string]string) (*cliEnv, *syncBuffer, *syncBuffer) {
	out, errOut := &syncBuffer{}, &syncBuffer{}
	return &cliEnv{Stdout: out, Stderr: errOut, Getenv: func(k string) string { return vars[k] }}, out, errOut
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"NoCommand", nil, 2, "Usage: ferry"},
		{"Help", []string{"--help"}, 0, "Commands:"},
		{"UnknownCommand", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"UnknownEmulator", []string{"emulate", "zendesk"}, 2, `unknown emulator "zendesk"`},
		{"SettingsWithoutToken", []string{"settings", "get"}, 2, "FERRY_ADMIN_TOKEN is not set"},
		{"SettingsUnknownAction", []string{"settings", "frob"}, 2, "want get or set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, _, errOut := testEnv(map[string]string{"FERRY_ADMIN_TOKEN": map[bool]string{true: "x"}[tt.name == "SettingsUnknownAction"]})
			if code := run(context.Background(), tt.args, env); code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, errOut.String())
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut.String(), tt.wantErr)
			}
		})
	}
}

func TestServeRefusesToStartWithoutSecrets(t *testing.T) {
	t.Parallel()
	env, _, errOut := testEnv(map[string]string{"FERRY_DATABASE_URL": filepath.Join(t.TempDir(), "ferry.db")})
	if code := run(context.Background(), []string{"serve", "--listen", "127.0.0.1:0"}, env); code != 1 {
		t.Fatalf("exit code = %d, want 1", code)
	}
	for _, want := range []string{"FERRY_SECRET_KEY is not set", "FERRY_ADMIN_TOKEN is not set"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr = %q, want %q", errOut.String(), want)
		}
	}
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "ferry.db")
	for range 2 { // idempotent
		env, out, errOut := testEnv(map[string]string{"FERRY_DATABASE_URL": db})
		if code := run(context.Background(), []string{"migrate"}, env); code != 0 {
			t.Fatalf("exit code = %d, stderr %s", code, errOut.String())
		}
		if !strings.Contains(out.String(), "up to date") {
			t.Errorf("stdout = %q", out.String())
		}
	}
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("no database file: %v", err)
	}
}

// TestDemo runs `ferry demo` as a newcomer would and checks that both sides
// end up connected through OAuth, the sample settings are saved, and the CLI
// reads them back through the admin API.
func TestDemo(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, out, errOut := testEnv(nil)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--listen", "127.0.0.1:0",
			"--salesforce-listen", "127.0.0.1:0", "--intercom-listen", "127.0.0.1:0", "--log-format", "json"}, env)
	}()

	var ferryURL, token string
	deadline := time.Now().Add(60 * time.Second)
	for ferryURL == "" {
		select {
		case code := <-done:
			t.Fatalf("demo exited with %d before it was ready: %s", code, errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo not ready; stdout %q stderr %q", out.String(), errOut.String())
		}
		s := out.String()
		if m := regexp.MustCompile(`ferry +(http://\S+)`).FindStringSubmatch(s); m != nil {
			if tm := regexp.MustCompile(`admin token +(\S+)`).FindStringSubmatch(s); tm != nil {
				ferryURL, token = m[1], tm[1]
			}
		}
	}

	req, _ := http.NewRequest("GET", ferryURL+"/api/v1/connections", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Connections []struct {
			State      string `json:"state"`
			Salesforce struct {
				HasCredentials bool   `json:"has_credentials"`
				OrgID          string `json:"org_id"`
			} `json:"salesforce"`
			Intercom struct {
				HasCredentials bool   `json:"has_credentials"`
				WorkspaceID    string `json:"workspace_id"`
			} `json:"intercom"`
		} `json:"connections"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Connections) != 1 {
		t.Fatalf("connections = %+v, want 1", list.Connections)
	}
	c := list.Connections[0]
	if c.State != "connected" || !c.Salesforce.HasCredentials || c.Salesforce.OrgID == "" ||
		!c.Intercom.HasCredentials || c.Intercom.WorkspaceID == "" {
		t.Errorf("connection = %+v, want connected on both sides", c)
	}

	// The initial sync matches the people and companies both demo systems
	// share, and lists the ambiguous one for review (F2.2, F3.8).
	var people, companies int
	for deadline := time.Now().Add(30 * time.Second); ; {
		req, _ := http.NewRequest("GET", ferryURL+"/api/v1/connections", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Connections []struct {
				Mappings    map[string]int `json:"mappings"`
				InitialSync []struct {
					State string `json:"state"`
				} `json:"initial_sync"`
			} `json:"connections"`
		}
		err = json.NewDecoder(resp.Body).Decode(&v)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		c := v.Connections[0]
		done := len(c.InitialSync) > 0
		for _, is := range c.InitialSync {
			done = done && is.State == "done"
		}
		people, companies = c.Mappings["person"], c.Mappings["company"]
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("initial sync not done: %+v", c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if people < 6 || companies != 3 {
		t.Errorf("after the initial sync: %d people and %d companies mapped, want at least 6 and 3", people, companies)
	}
	admin := func(method, path, body string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(method, ferryURL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	_, b := admin("GET", "/api/v1/reviews", "")
	var reviews struct {
		Reviews []struct {
			ID         int64  `json:"id"`
			Reason     string `json:"reason"`
			Candidates []struct {
				ID string `json:"id"`
			} `json:"candidates"`
		} `json:"reviews"`
	}
	if err := json.Unmarshal(b, &reviews); err != nil || len(reviews.Reviews) != 1 ||
		!strings.Contains(reviews.Reviews[0].Reason, "dana.scully@umbrella-health.example") || len(reviews.Reviews[0].Candidates) != 2 {
		t.Fatalf("reviews = %s, want the person with two Salesforce Leads", b)
	}
	// The admin picks one of the two Leads (F2.2): a record that is not a
	// candidate is refused, a candidate gets mapped.
	rv := reviews.Reviews[0]
	if status, b := admin("POST", fmt.Sprintf("/api/v1/reviews/%d/resolve", rv.ID), `{"salesforce_id":"00QFy00000000AAMAQ"}`); status != http.StatusBadRequest {
		t.Errorf("resolving with a non-candidate: %d %s, want 400", status, b)
	}
	if status, b := admin("POST", fmt.Sprintf("/api/v1/reviews/%d/resolve", rv.ID), fmt.Sprintf(`{"salesforce_id":%q}`, rv.Candidates[1].ID)); status != http.StatusOK {
		t.Fatalf("resolve: %d %s", status, b)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, b := admin("GET", "/api/v1/connections", "")
		if strings.Contains(string(b), fmt.Sprintf(`"person":%d`, people+1)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the picked Lead was not mapped: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}

	cliEnv, cliOut, cliErr := testEnv(map[string]string{"FERRY_PUBLIC_URL": ferryURL, "FERRY_ADMIN_TOKEN": token})
	if code := run(ctx, []string{"settings", "get"}, cliEnv); code != 0 {
		t.Fatalf("settings get: exit %d: %s", code, cliErr.String())
	}
	var doc struct {
		Mappings []json.RawMessage `json:"mappings"`
	}
	if err := json.Unmarshal([]byte(cliOut.String()), &doc); err != nil {
		t.Fatalf("settings get printed %q: %v", cliOut.String(), err)
	}
	if len(doc.Mappings) == 0 {
		t.Errorf("demo settings have no mappings: %s", cliOut.String())
	}
	// The setup check runs on demand and finds the demo org complete.
	checkEnv, checkOut, checkErr := testEnv(map[string]string{"FERRY_PUBLIC_URL": ferryURL, "FERRY_ADMIN_TOKEN": token})
	if code := run(ctx, []string{"check"}, checkEnv); code != 0 || !strings.Contains(checkOut.String(), "every Salesforce field ferry needs is there") {
		t.Errorf("check: exit %d, stdout %q, stderr %q", code, checkOut.String(), checkErr.String())
	}
	// Task.Type hidden in the org (as in Professional Edition): the check
	// names it with its fix, says tasks are off and exits 1.
	sfURL := regexp.MustCompile(`Salesforce org +(http://\S+)`).FindStringSubmatch(out.String())
	if sfURL == nil {
		t.Fatalf("the demo does not print the Salesforce org's URL: %s", out.String())
	}
	// The demo conversation ends as a completed Task on Grace Hopper's
	// Lead, owned by the Salesforce User of the teammate who took it.
	demoTask(t, ctx, sfURL[1])
	hide := func(hidden bool) {
		emulatorControl(t, sfURL[1], "/__emulator/field-security", map[string]any{"object": "Task", "field": "Type", "hidden": hidden}, true)
	}
	hide(true)
	checkEnv, checkOut, checkErr = testEnv(map[string]string{"FERRY_PUBLIC_URL": ferryURL, "FERRY_ADMIN_TOKEN": token})
	code := run(ctx, []string{"check"}, checkEnv)
	for _, want := range []string{"ferry requires these fields in the Salesforce Task object: Type",
		"fix: Object Manager > Task > Fields & Relationships > Type > Set Field-Level Security > Visible", "off until fixed: tasks"} {
		if !strings.Contains(checkOut.String(), want) {
			t.Errorf("check with Task.Type hidden does not print %q: %s", want, checkOut.String())
		}
	}
	if code != 1 {
		t.Errorf("check with a problem: exit %d, want 1 (stderr %q)", code, checkErr.String())
	}
	hide(false)
	// Sections that do nothing yet say so, beside the document.
	for _, in := range settings.InactiveSections() {
		if !strings.Contains(cliErr.String(), "note: "+in.Section+": "+in.Message) {
			t.Errorf("settings get does not say %s does nothing yet: %q", in.Section, cliErr.String())
		}
	}
	if strings.Contains(cliErr.String(), "note: cases:") {
		t.Errorf("settings get calls cases inactive: %q", cliErr.String())
	}

	// The document round-trips through set; a broken one is refused whole.
	file := filepath.Join(t.TempDir(), "settings.json")
	if err := os.WriteFile(file, []byte(cliOut.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	setEnv, setOut, setErr := testEnv(map[string]string{"FERRY_PUBLIC_URL": ferryURL, "FERRY_ADMIN_TOKEN": token})
	if code := run(ctx, []string{"settings", "set", file}, setEnv); code != 0 {
		t.Fatalf("settings set: exit %d: %s", code, setErr.String())
	}
	if !strings.Contains(setOut.String(), "settings saved (version 2)") {
		t.Errorf("settings set printed %q", setOut.String())
	}
	bad := strings.Replace(cliOut.String(), `"mappings": [`, `"mappings": [{"object":"lead","intercom":"phone","salesforce":"NoSuchField__c","direction":"both"},`, 1)
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	badEnv, _, badErr := testEnv(map[string]string{"FERRY_PUBLIC_URL": ferryURL, "FERRY_ADMIN_TOKEN": token})
	if code := run(ctx, []string{"settings", "set", file}, badEnv); code != 1 {
		t.Errorf("settings set with an unknown field: exit %d, want 1", code)
	}
	if !strings.Contains(badErr.String(), "NoSuchField__c") {
		t.Errorf("settings set error %q does not name the unknown field", badErr.String())
	}

	errEnv, errOut2, errErr := testEnv(map[string]string{"FERRY_PUBLIC_URL": ferryURL, "FERRY_ADMIN_TOKEN": token})
	if code := run(ctx, []string{"errors", "list"}, errEnv); code != 0 || !strings.Contains(errOut2.String(), "no sync errors") {
		t.Errorf("errors list: exit %d, stdout %q, stderr %q", code, errOut2.String(), errErr.String())
	}
	showEnv, _, showErr := testEnv(map[string]string{"FERRY_PUBLIC_URL": ferryURL, "FERRY_ADMIN_TOKEN": token})
	if code := run(ctx, []string{"errors", "show", "424242"}, showEnv); code != 1 || !strings.Contains(showErr.String(), "404") {
		t.Errorf("errors show of a missing error: exit %d, stderr %q", code, showErr.String())
	}

	testBackfillCLI(t, ctx, ferryURL, token)
	testDemoCLI(t, ctx, out.String(), ferryURL, token)

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("demo exit code after Ctrl-C = %d: %s", code, errOut.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop after its context ended")
	}
	// --log-format json: every log line is a JSON object, durations are
	// milliseconds, and the queue's routine chatter is not at INFO.
	for _, line := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("demo log line is not JSON: %q", line)
			continue
		}
		if m["level"] == "INFO" && regexp.MustCompile(`^(producer|elector|jobexecutor|client|periodic|queue)`).MatchString(strings.ToLower(fmt.Sprint(m["msg"]))) {
			t.Errorf("queue chatter at INFO: %q", line)
		}
		for k, v := range m {
			if _, isNum := v.(float64); isNum && (k == "took" || k == "duration" || k == "wait") {
				t.Errorf("duration %s not in milliseconds: %q", k, line)
			}
		}
	}
}

// TestServe runs `ferry serve` configured only from the environment, with an
// Intercom access token (FERRY_INTERCOM_TOKEN) against the Intercom emulator,
// and checks the admin API sees the default connection with its Intercom
// workspace, and that the token is not stored in the clear.
func TestServe(t *testing.T) {
	t.Parallel()
	ic := icemu.New(icemu.Options{Tokens: []string{"tok-serve-test-0123456789"}})
	t.Cleanup(ic.Close)
	icSrv := httptest.NewServer(ic)
	t.Cleanup(icSrv.Close)

	addr, db, vars := serveVars(t, map[string]string{
		"FERRY_ADMIN_TOKEN":    "admin-serve-test",
		"FERRY_INTERCOM_URL":   icSrv.URL,
		"FERRY_INTERCOM_TOKEN": "tok-serve-test-0123456789",
	})
	env, _, errOut := testEnv(vars)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--listen", addr}, env) }()

	var body []byte
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/v1/connections", nil)
		req.Header.Set("Authorization", "Bearer admin-serve-test")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not answering: %v %s", err, errOut.String())
		}
	}
	if !strings.Contains(string(body), `"workspace_id":"`+ic.AppID()+`"`) {
		t.Errorf("connections = %s, want the Intercom workspace %s", body, ic.AppID())
	}
	if !strings.Contains(string(body), `"state":"pending"`) {
		t.Errorf("connections = %s, want pending until Salesforce is connected", body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exit code = %d: %s", code, errOut.String())
	}
	files, _ := filepath.Glob(db + "*") // the database and any WAL left behind
	if len(files) == 0 {
		t.Fatal("no database file")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte("tok-serve-test-0123456789")) {
			t.Errorf("the Intercom token is stored in the clear in %s", filepath.Base(f))
		}
	}
	if strings.Contains(errOut.String(), "tok-serve-test-0123456789") {
		t.Error("the Intercom token appears in the logs")
	}
}

// demoTask waits for the demo conversation's Task, read through the
// Salesforce REST API, and checks its Lead, status and owner.
func demoTask(t *testing.T, ctx context.Context, sfURL string) {
	t.Helper()
	cfg := salesforce.Config{LoginURL: sfURL, ClientID: sfemu.DefaultClientID, ClientSecret: sfemu.DefaultClientSecret}
	tok, err := cfg.PasswordLogin(ctx, sfemu.DefaultUsername, sfemu.DefaultPassword)
	if err != nil {
		t.Fatal(err)
	}
	sf := salesforce.NewClient(salesforce.NewRefreshingSource(&cfg, tok, nil), salesforce.ClientOptions{})
	query := func(q string) []salesforce.Record {
		var out []salesforce.Record
		for r, err := range sf.Query(ctx, q) {
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			out = append(out, r)
		}
		return out
	}
	leads := query("SELECT Id FROM Lead WHERE Email = 'grace.hopper@acme-robotics.example'")
	if len(leads) != 1 {
		t.Fatalf("Grace Hopper's Leads: %d", len(leads))
	}
	var tasks []salesforce.Record
	for deadline := time.Now().Add(30 * time.Second); ; {
		tasks = query("SELECT Id, Subject, Status, Description, Owner.Email FROM Task WHERE WhoId = '" + leads[0].ID() + "'")
		if len(tasks) == 1 && tasks[0].String("Status") == "Completed" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(tasks) != 1 {
		t.Fatalf("Grace Hopper's Lead has %d Tasks, want the demo conversation's", len(tasks))
	}
	task := tasks[0]
	if task.String("Status") != "Completed" || task.String("Owner.Email") != "james.chen@example.com" ||
		task.String("Subject") != "Intercom conversation: Hi! Our robot fleet stopped syncing 🤖" ||
		!strings.Contains(task.String("Description"), "James Chen closed the conversation") {
		t.Fatalf("demo Task: status %q, owner %q, subject %q, description:\n%s", task.String("Status"), task.String("Owner.Email"),
			task.String("Subject"), task.String("Description"))
	}
}

// testBackfillCLI plans a backfill, runs it through the daemon's queue and
// follows it to the end with ferry backfill plan|run|status (F3.8).
func testBackfillCLI(t *testing.T, ctx context.Context, ferryURL, token string) {
	t.Helper()
	vars := map[string]string{"FERRY_PUBLIC_URL": ferryURL, "FERRY_ADMIN_TOKEN": token}
	planEnv, planOut, planErr := testEnv(vars)
	if code := run(ctx, []string{"backfill", "plan", "--objects", "Contact,Lead"}, planEnv); code != 0 ||
		!strings.Contains(planOut.String(), "matched pairs") || !strings.Contains(planOut.String(), "API calls: Salesforce") {
		t.Fatalf("backfill plan: exit %d, stdout %q, stderr %q", code, planOut.String(), planErr.String())
	}
	runEnv, runOut, runErr := testEnv(vars)
	if code := run(ctx, []string{"backfill", "run", "--objects", "Contact,Lead", "--json"}, runEnv); code != 0 {
		t.Fatalf("backfill run: exit %d, stderr %q", code, runErr.String())
	}
	var started struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(runOut.String()), &started); err != nil || started.ID == 0 {
		t.Fatalf("backfill run answered %q (%v)", runOut.String(), err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		env, out, errOut := testEnv(vars)
		if code := run(ctx, []string{"backfill", "status", strconv.FormatInt(started.ID, 10)}, env); code != 0 {
			t.Fatalf("backfill status: exit %d, stderr %q", code, errOut.String())
		}
		if strings.Contains(out.String(), ": done,") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the backfill did not finish: %s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
