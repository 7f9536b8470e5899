package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseArgsTakesFlagsAfterTheAction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		pos  []string
		json bool
		conn string
	}{
		{[]string{"list", "--json"}, []string{"list"}, true, ""},
		{[]string{"--json", "list"}, []string{"list"}, true, ""},
		{[]string{"show", "7", "--connection", "2", "--json"}, []string{"show", "7"}, true, "2"},
		{[]string{"show", "--connection=3", "7"}, []string{"show", "7"}, false, "3"},
		{[]string{"retry", "--", "-5"}, []string{"retry", "-5"}, false, ""},
		{nil, nil, false, ""},
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		asJSON := fs.Bool("json", false, "")
		conn := fs.String("connection", "", "")
		pos, err := parseArgs(fs, tc.args)
		if err != nil || !slices.Equal(pos, tc.pos) || *asJSON != tc.json || *conn != tc.conn {
			t.Errorf("parseArgs(%q) = %q json=%v conn=%q err=%v, want %q %v %q", tc.args, pos, *asJSON, *conn, err, tc.pos, tc.json, tc.conn)
		}
	}
}

func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"emulate", "--help"}, {"emulate", "-h"}, {"errors", "--help"}, {"connections", "--help"},
		{"history", "--help"}, {"usage", "--help"}, {"reviews", "--help"}, {"completion", "--help"}, {"healthcheck", "--help"}, {"version", "--help"}} {
		env, _, errOut := testEnv(nil)
		if code := run(context.Background(), args, env); code != 0 || !strings.Contains(errOut.String(), "Usage: ferry") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, shell := range []string{"bash", "zsh"} {
		env, out, errOut := testEnv(nil)
		if code := run(context.Background(), []string{"completion", shell}, env); code != 0 {
			t.Fatalf("completion %s: exit %d: %s", shell, code, errOut.String())
		}
		file := filepath.Join(dir, shell)
		if err := os.WriteFile(file, []byte(out.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := exec.LookPath(shell); err != nil {
			t.Logf("%s not installed: its script is not run", shell)
			continue
		}
		if shell == "zsh" {
			if b, err := exec.Command("zsh", "-n", file).CombinedOutput(); err != nil {
				t.Errorf("zsh -n: %v: %s", err, b)
			}
			continue
		}
		// bash: complete commands, then an action.
		script := `source "$1"
COMP_WORDS=(ferry conn); COMP_CWORD=1; _ferry; echo "${COMPREPLY[*]}"
COMP_WORDS=(ferry reviews r); COMP_CWORD=2; _ferry; echo "${COMPREPLY[*]}"
COMP_WORDS=(ferry completion ""); COMP_CWORD=2; _ferry; echo "${COMPREPLY[*]}"`
		b, err := exec.Command("bash", "-c", script, "bash", file).CombinedOutput()
		if err != nil || string(b) != "connections\nresolve\nbash zsh\n" {
			t.Errorf("bash completion printed %q (%v), want connections / resolve / bash zsh", b, err)
		}
	}
	env, _, _ := testEnv(nil)
	if code := run(context.Background(), []string{"completion", "fish"}, env); code != 2 {
		t.Errorf("completion fish: exit %d, want 2", code)
	}
}

// testDemoCLI drives the running demo with the CLI as a newcomer would:
// the printed change command, then the commands that show what happened.
func testDemoCLI(t *testing.T, ctx context.Context, printed, ferryURL, token string) {
	t.Helper()
	cli := func(args ...string) (int, string, string) {
		env, out, errOut := testEnv(map[string]string{"FERRY_PUBLIC_URL": ferryURL, "FERRY_ADMIN_TOKEN": token})
		code := run(ctx, args, env)
		return code, out.String(), errOut.String()
	}
	// Flags after the action.
	if code, out, errOut := cli("errors", "list", "--json"); code != 0 || !json.Valid([]byte(out)) {
		t.Errorf("errors list --json: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// The Intercom token the demo prints works on Intercom's API.
	icURL := regexp.MustCompile(`Intercom +(http://\S+)`).FindStringSubmatch(printed)
	icToken := regexp.MustCompile(`Intercom token +(\S+)`).FindStringSubmatch(printed)
	if icURL == nil || icToken == nil {
		t.Fatalf("the demo does not print Intercom's URL and token: %s", printed)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", icURL[1]+"/contacts", nil)
	req.Header.Set("Authorization", "Bearer "+icToken[1])
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Errorf("GET /contacts with the printed token: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	// ferry leads create makes the Lead of an Intercom contact once.
	req, _ = http.NewRequestWithContext(ctx, "POST", icURL[1]+"/contacts",
		strings.NewReader(`{"role":"lead","email":"cli.lead@newco.example","name":"Cli Lead"}`))
	req.Header.Set("Authorization", "Bearer "+icToken[1])
	req.Header.Set("Content-Type", "application/json")
	var created struct {
		ID string `json:"id"`
	}
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("create an Intercom contact: %v %v", res, err)
	} else {
		err = json.NewDecoder(res.Body).Decode(&created)
		res.Body.Close()
		if err != nil || created.ID == "" {
			t.Fatalf("created contact: %v", err)
		}
	}
	code, first, errOut := cli("leads", "create", created.ID)
	lead := regexp.MustCompile(`^Lead (00Q\w+) `).FindStringSubmatch(first)
	if code != 0 || lead == nil {
		t.Fatalf("leads create: exit %d, %q %q", code, first, errOut)
	}
	if code, again, _ := cli("leads", "create", created.ID); code != 0 || !strings.HasPrefix(again, "Lead "+lead[1]+" already in Salesforce") {
		t.Errorf("leads create again: exit %d, %q, want the same Lead already in Salesforce", code, again)
	}
	if code, _, errOut := cli("leads", "create"); code == 0 || !strings.Contains(errOut, "INTERCOM_CONTACT_ID") {
		t.Errorf("leads create without a contact: exit %d, %q", code, errOut)
	}
	// ferry tasks create goes through the same API (its success is proved
	// by the web tests); a conversation Intercom does not have is named.
	if code, out, errOut := cli("tasks", "create", "404404404"); code == 0 || !strings.Contains(out+errOut, "no longer in Intercom") {
		t.Errorf("tasks create of an unknown conversation: exit %d, %q %q", code, out, errOut)
	}

	// ferry cases create makes a Case on a Contact from a conversation, once
	// (F6.4): Ken Thompson is a user in Intercom and a Contact in Salesforce.
	icPost := func(path, body string, out any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, "POST", icURL[1]+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+icToken[1])
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %v %v", path, res, err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
	}
	var found struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	icPost("/contacts/search", `{"query":{"field":"email","operator":"=","value":"ken@initech.example"}}`, &found)
	if len(found.Data) != 1 {
		t.Fatalf("Ken in Intercom: %+v", found)
	}
	var msg struct {
		ConversationID string `json:"conversation_id"`
	}
	icPost("/conversations", `{"from":{"type":"user","id":"`+found.Data[0].ID+`"},"body":"<p>The printer is on fire</p>"}`, &msg)
	caseArgs := []string{"cases", "create", msg.ConversationID, "--field", "Subject=Printer on fire", "--field", "Priority=High"}
	// The demo org requires a Product on every Case: named, nothing made.
	if code, out, errOut := cli(caseArgs...); code == 0 || !strings.Contains(out+errOut, "Product is required") {
		t.Errorf("cases create without the required Product: exit %d, %q %q", code, out, errOut)
	}
	caseArgs = append(caseArgs, "--field", "Product__c=Integrations")
	code, out, errOut := cli(caseArgs...)
	kase := regexp.MustCompile(`^Case (\d+) (500\w+) created on Contact 003`).FindStringSubmatch(out)
	if code != 0 || kase == nil || !strings.Contains(out, "Owner: ") {
		t.Fatalf("cases create: exit %d, %q %q", code, out, errOut)
	}
	if code, again, _ := cli(caseArgs...); code != 0 || !strings.HasPrefix(again, "Case "+kase[2]+" already created") {
		t.Errorf("cases create again: exit %d, %q, want the same Case", code, again)
	}
	if code, out, errOut := cli("cases", "create", msg.ConversationID, "--field", "Priority=Urgent", "--field", "Product__c=Platform"); code == 0 || !strings.Contains(out+errOut, "Priority cannot be") {
		t.Errorf("cases create with a value the picklist lacks: exit %d, %q %q", code, out, errOut)
	}
	if code, _, errOut := cli("cases", "create", "x", "--field", "Subject"); code == 0 || !strings.Contains(errOut, "NAME=VALUE") {
		t.Errorf("cases create with a malformed field: exit %d, %q", code, errOut)
	}

	// The printed change command, run as printed (curl's URL and body).
	m := regexp.MustCompile(`curl -X POST (\S+) \\\s+-H 'Content-Type: application/json' -d '([^']+)'`).FindStringSubmatch(printed)
	if m == nil {
		t.Fatalf("the demo prints no ready-made change command: %s", printed)
	}
	res, err := http.Post(m[1], "application/json", strings.NewReader(m[2]))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the printed change command: %s", res.Status)
	}
	// ...and the printed history command shows it synced to Salesforce.
	for deadline := time.Now().Add(30 * time.Second); ; {
		code, out, errOut := cli("history", "grace.hopper@acme-robotics.example", "--json")
		if code != 0 {
			t.Fatalf("history: exit %d: %s", code, errOut)
		}
		if strings.Contains(out, "Rear Admiral") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the change did not sync within 30 s: %s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, out, errOut := cli("history", "grace.hopper@acme-robotics.example"); code != 0 || !strings.Contains(out, "Rear Admiral") ||
		regexp.MustCompile(`seed \d|F\d\.\d`).MatchString(out) {
		t.Errorf("history (text): exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, _ := cli("connections"); code != 0 || !strings.Contains(out, "connected, syncing") {
		t.Errorf("connections: exit %d, %q", code, out)
	}
	if code, out, _ := cli("connections", "show", "1", "--json"); code != 0 || !strings.Contains(out, `"stalled": false`) {
		t.Errorf("connections show 1 --json: exit %d, %q", code, out)
	}
	if code, out, _ := cli("usage", "--days", "1"); code != 0 || !regexp.MustCompile(`\d{4}-\d\d-\d\d\s+\d+`).MatchString(out) {
		t.Errorf("usage: exit %d, %q", code, out)
	}
	if code, out, _ := cli("reviews", "list", "--all"); code != 0 || !strings.Contains(out, "resolved:") {
		t.Errorf("reviews list --all: exit %d, %q", code, out)
	}
}
