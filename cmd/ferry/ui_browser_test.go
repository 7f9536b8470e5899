package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The admin web UI driven in headless Chromium against `ferry demo` (both
// emulators, demo data), as an admin would (issue 13). With
// FERRY_UPDATE_SCREENSHOTS=1 the pages' screenshots are written to
// docs/screenshots/; normal runs write nothing.

// chromiumPath finds the browser, or skips the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (apt-get install chromium); the browser tests need it")
	return ""
}

// demoRun is a running `ferry demo`.
type demoRun struct {
	url, token, sfURL, icURL string
	inbox                    string // the Intercom emulator's inbox page
}

// startDemo runs `ferry demo` on free ports until the test ends.
func startDemo(t *testing.T) demoRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	env, out, errOut := testEnv(nil)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--listen", "127.0.0.1:0", "--poll-interval", "2s",
			"--salesforce-listen", "127.0.0.1:0", "--intercom-listen", "127.0.0.1:0"}, env)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("demo did not stop")
		}
	})
	field := func(s, name string) string {
		m := regexp.MustCompile(`(?m)^  ` + name + ` +(\S+)`).FindStringSubmatch(s)
		if m == nil {
			return ""
		}
		return m[1]
	}
	for deadline := time.Now().Add(60 * time.Second); ; {
		select {
		case code := <-done:
			t.Fatalf("demo exited with %d: %s", code, errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
		s := out.String()
		d := demoRun{url: field(s, "ferry"), token: field(s, "admin token"), sfURL: field(s, "Salesforce org"), icURL: field(s, "Intercom"),
			inbox: field(s, "Intercom inbox")}
		if d.url != "" && d.token != "" && d.sfURL != "" && d.icURL != "" && d.inbox != "" {
			if !strings.Contains(s, d.url+"/signin/link?token="+d.token) {
				t.Errorf("the demo does not print the one-click UI link:\n%s", s)
			}
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo not ready: %s %s", s, errOut.String())
		}
	}
}

// emulatorControl posts to an emulator's /__emulator/ control surface.
func emulatorControl(t *testing.T, base, path string, body any, basicAuth bool) {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	if basicAuth {
		req.SetBasicAuth("admin@example.com", "password")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s%s: %d", base, path, resp.StatusCode)
	}
}

// browserPage is one headless Chromium tab.
type browserPage struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newBrowser(t *testing.T, base string) *browserPage {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(cancelTimeout)
	// Start the browser on this context: the first action's context owns
	// it, and the steps run on shorter-lived children.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browserPage{t: t, ctx: ctx, base: base}
}

func (b *browserPage) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%s: %v; the page (%s) shows:\n%s", what, err, loc, b.body())
	}
}

// open loads a page and waits for its heading.
func (b *browserPage) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("h1")))
}

// body is the page's visible text.
func (b *browserPage) body() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		b.t.Fatalf("read page: %v", err)
	}
	return s
}

// waitText reloads path until its text contains want.
func (b *browserPage) waitText(path, want string, timeout time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b.open(path)
		s := b.body()
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s never showed %q; it shows:\n%s", path, want, s)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// screenshot writes the page to docs/screenshots/name.png when
// FERRY_UPDATE_SCREENSHOTS is set.
func (b *browserPage) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(png) < 1000 {
		b.t.Errorf("screenshot %s is only %d bytes", name, len(png))
	}
	if os.Getenv("FERRY_UPDATE_SCREENSHOTS") == "" {
		return
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// adminGet reads the admin API.
func adminGet(t *testing.T, d demoRun, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, d.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+d.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func countMappings(t *testing.T, d demoRun) (all int, leadSource bool) {
	t.Helper()
	var v struct {
		Settings struct {
			Mappings []struct{ Object, Intercom, Salesforce, Direction string }
		}
	}
	adminGet(t, d, "/api/v1/settings", &v)
	for _, m := range v.Settings.Mappings {
		if m.Object == "lead" && m.Intercom == "name" && m.Salesforce == "LeadSource" && m.Direction == "to_salesforce" {
			leadSource = true
		}
	}
	return len(v.Settings.Mappings), leadSource
}

// TestAdminUIInBrowser walks the admin's tasks in a real browser: sign in,
// connect Salesforce, add a mapping (an incompatible pair is refused), see
// a sync error and retry it after fixing its cause in Salesforce, resolve a
// review, find a record's history by email, read the usage chart.
func TestAdminUIInBrowser(t *testing.T) {
	chromiumPath(t)
	d := startDemo(t)
	b := newBrowser(t, d.url)

	// A signed-out visitor lands on the sign-in form and, signed in,
	// where they were going.
	b.do("signed out", chromedp.Navigate(d.url+"/errors"), chromedp.WaitVisible(chromedp.CSS("#token")))
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	if !strings.Contains(loc, "/signin?next=") {
		t.Fatalf("signed out, /errors went to %s, want the sign-in form", loc)
	}
	b.screenshot("signin")
	b.do("sign in", chromedp.SendKeys(chromedp.CSS("#token"), d.token),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button`)), chromedp.WaitVisible(chromedp.CSS(`a[aria-current="page"][href^="/errors"]`)))

	// The overview once the initial sync is done.
	b.waitText("/", "100%", 60*time.Second)
	if s := b.body(); !strings.Contains(s, "Connected") || !strings.Contains(s, "ambiguous matches to review") {
		t.Errorf("overview lacks health or review count:\n%s", s)
	}

	t.Run("connect Salesforce", func(t *testing.T) {
		b.t = t
		b.open("/connect")
		b.do("add connection", chromedp.SendKeys(chromedp.CSS("#newname"), "EU workspace"),
			chromedp.Submit(chromedp.CSS("#newname")), chromedp.WaitVisible(chromedp.Search(`//p[contains(., "created: connect Salesforce")]`)))
		b.do("connect", chromedp.Click(chromedp.CSS(`section[aria-labelledby="conn-2"] form[action="/connect/salesforce"] button.primary`)),
			chromedp.WaitVisible(chromedp.Search(`//p[@role="status"][text()="Connected."]`)))
		sec, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(`section[aria-labelledby="conn-2"]`)))
		if err != nil || !strings.Contains(sec, "token stored") || !strings.Contains(sec, "Reconnect Salesforce") {
			t.Errorf("after connecting, the new connection shows %q (%v), want its Salesforce token stored", sec, err)
		}
		b.screenshot("connect")
	})

	t.Run("add a mapping; an incompatible pair is refused", func(t *testing.T) {
		b.t = t
		before, _ := countMappings(t, d)
		b.open("/mappings?object=lead")
		newRow := "2" // the sample maps two lead fields
		b.do("pick attribute", chromedp.SetValue(chromedp.CSS("#ic-"+newRow), "name"),
			chromedp.Click(chromedp.CSS(`button[name="pick"]`)), chromedp.WaitReady(chromedp.CSS(`#sf-`+newRow+` option[value="LeadSource"]`)))
		opts, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("#sf-"+newRow)))
		if strings.Contains(opts, "NumberOfEmployees") || strings.Contains(opts, "AnnualRevenue") {
			t.Errorf("a text attribute is offered number fields: %s", opts)
		}
		b.do("incompatible", chromedp.SetValue(chromedp.CSS("#sf-"+newRow), "LeadSource"),
			chromedp.SetValue(chromedp.CSS("#dir-"+newRow), "to_salesforce"),
			chromedp.SetValue(chromedp.CSS("#ic-"+newRow), "custom_attributes.seats"),
			chromedp.Click(chromedp.Search(`//button[contains(., "Save mappings")]`)), chromedp.WaitVisible(chromedp.CSS("tr.row-problem .problem")))
		problem, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("tr.row-problem .problem")))
		if !strings.Contains(problem, "cannot map to Salesforce picklist field Lead.LeadSource") {
			t.Errorf("the refused row says %q", problem)
		}
		if n, _ := countMappings(t, d); n != before {
			t.Errorf("a refused save changed the settings: %d mappings, had %d", n, before)
		}
		b.screenshot("mappings-refused")
		b.do("fix and save", chromedp.SetValue(chromedp.CSS("#ic-"+newRow), "name"),
			chromedp.Click(chromedp.Search(`//button[contains(., "Save mappings")]`)), chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
		if n, ok := countMappings(t, d); n != before+1 || !ok {
			t.Fatalf("after saving: %d mappings (had %d), name → LeadSource saved: %v", n, before, ok)
		}
		b.screenshot("mappings")
	})

	var graceID string
	t.Run("find a record's history by email", func(t *testing.T) {
		b.t = t
		b.open("/history")
		b.do("search", chromedp.SendKeys(chromedp.CSS("#q"), "grace.hopper@acme-robotics.example"),
			chromedp.Submit(chromedp.CSS("#q")), chromedp.WaitVisible(chromedp.CSS("section.card h2")))
		h, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("section.card h2")))
		graceID = strings.TrimSpace(strings.TrimPrefix(h, "Record "))
		if graceID == "" || !strings.Contains(b.body(), "A change") {
			t.Fatalf("history of grace.hopper: heading %q, page:\n%s", h, b.body())
		}
	})

	t.Run("see a sync error and retry it after fixing the cause", func(t *testing.T) {
		b.t = t
		if graceID == "" {
			t.Skip("no record found")
		}
		emulatorControl(t, d.sfURL, "/__emulator/restrict-picklist", map[string]any{"object": "Lead", "field": "LeadSource", "restricted": true}, true)
		emulatorControl(t, d.icURL, "/__emulator/contacts/"+graceID+"/attributes", map[string]any{"name": "Grace B. Hopper"}, false)
		// The row names the person by email, not by the Intercom id.
		const graceEmail = "grace.hopper@acme-robotics.example"
		s := b.waitText("/errors", graceEmail, 60*time.Second)
		if !strings.Contains(s, "LeadSource") && !strings.Contains(s, "PICKLIST") {
			t.Errorf("the sync error does not name its cause:\n%s", s)
		}
		b.screenshot("errors")
		b.do("details", chromedp.Click(chromedp.Search(`//a[contains(., "Details")]`)), chromedp.WaitVisible(chromedp.Search(`//h2[contains(., "Request ferry sent")]`)))
		if s := b.body(); !strings.Contains(s, "Grace B. Hopper") {
			t.Errorf("the details do not show the request with the refused value:\n%s", s)
		}
		b.screenshot("error-details")
		// The admin fixes the picklist in Salesforce, then retries.
		emulatorControl(t, d.sfURL, "/__emulator/restrict-picklist", map[string]any{"object": "Lead", "field": "LeadSource", "restricted": false}, true)
		b.open("/errors")
		b.do("retry", chromedp.Click(chromedp.Search(`//tr[contains(., "`+graceEmail+`")]//button[contains(., "Retry")]`)),
			chromedp.WaitVisible(chromedp.Search(`//span[contains(., "retrying")]`)))
		b.waitText("/errors", "No open sync errors", 60*time.Second)
		b.waitText("/history?q=grace.hopper@acme-robotics.example", "LeadSource set to", 30*time.Second)
		b.screenshot("history")
	})

	t.Run("resolve a review", func(t *testing.T) {
		b.t = t
		b.open("/reviews")
		if s := b.body(); !strings.Contains(s, "dana.scully@umbrella-health.example") {
			t.Fatalf("the review does not show the candidates' key:\n%s", s)
		}
		b.screenshot("reviews")
		b.do("pick", chromedp.Click(chromedp.CSS(`input[type="radio"]`)),
			chromedp.Click(chromedp.Search(`//button[contains(., "Pair with the selected record")]`)), chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
		if s := b.body(); !strings.Contains(s, "Paired with Salesforce") || !strings.Contains(s, "Nothing to review") {
			t.Errorf("after picking:\n%s", s)
		}
	})

	t.Run("read the usage chart", func(t *testing.T) {
		b.t = t
		b.open("/usage")
		bars, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg rect[fill="#1f5fd6"]').length`))
		if err != nil || bars == 0 {
			html, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('main').innerHTML`))
			t.Fatalf("the usage chart has no background-sync bars (%d, %v):\n%s", bars, err, html)
		}
		title, _ := chromedp.Run(b.ctx, chromedp.TextContent(chromedp.CSS("svg title")))
		today := time.Now().UTC().Format("2006-01-02")
		if !strings.Contains(title, "API calls per day") || !strings.Contains(b.body(), today) {
			t.Errorf("chart title %q; today's row missing:\n%s", title, b.body())
		}
		b.screenshot("usage")
	})

	t.Run("a list to a restricted picklist shows the missing options and is refused", func(t *testing.T) {
		b.t = t
		emulatorControl(t, d.sfURL, "/__emulator/restrict-picklist", map[string]any{"object": "Contact", "field": "LeadSource", "restricted": true}, true)
		before, _ := countMappings(t, d)
		b.open("/mappings?object=user")
		newRow := "2" // the sample maps two user fields
		b.do("pick list attribute", chromedp.SetValue(chromedp.CSS("#ic-"+newRow), "custom_attributes.plan_tier"),
			chromedp.Click(chromedp.CSS(`button[name="pick"]`)), chromedp.WaitReady(chromedp.CSS(`#sf-`+newRow+` option[value="LeadSource"]`)))
		b.do("save", chromedp.SetValue(chromedp.CSS("#sf-"+newRow), "LeadSource"),
			chromedp.SetValue(chromedp.CSS("#dir-"+newRow), "to_salesforce"),
			chromedp.Click(chromedp.Search(`//button[contains(., "Save mappings")]`)), chromedp.WaitVisible(chromedp.CSS("tr.row-problem .problem")))
		s := b.body()
		for _, want := range []string{"restricted picklist without these options", "Salesforce refuses: free, starter, growth, enterprise"} {
			if !strings.Contains(s, want) {
				t.Errorf("the refused list mapping does not say %q:\n%s", want, s)
			}
		}
		if n, _ := countMappings(t, d); n != before {
			t.Errorf("a refused save changed the settings: %d mappings, had %d", n, before)
		}
		b.screenshot("mappings-lists")
	})

	t.Run("plan a backfill, start it and follow it to the end", func(t *testing.T) {
		b.t = t
		b.open("/backfill")
		b.do("show the plan", chromedp.Click(chromedp.CSS(`input[name="object"][value="Contact"]`)),
			chromedp.Click(chromedp.Search(`//button[contains(., "Show the plan")]`)), chromedp.WaitVisible(chromedp.CSS("#plan")))
		s := b.body()
		for _, want := range []string{"pairs", "API calls: Salesforce", "Start backfill"} {
			if !strings.Contains(s, want) {
				t.Errorf("the plan does not show %q:\n%s", want, s)
			}
		}
		b.screenshot("backfill-plan")
		if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#confirm').length`)); n > 0 {
			fields, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('.flash.error strong')].map(e => e.textContent).join(",")`))
			b.do("confirm", chromedp.SetValue(chromedp.CSS("#confirm"), fields))
		}
		b.do("start", chromedp.Click(chromedp.Search(`//button[contains(., "Start backfill")]`)), chromedp.WaitVisible(chromedp.CSS("#progress")))
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(loc)
		s = b.waitText(u.RequestURI(), ": done", 30*time.Second)
		if !strings.Contains(s, "pairs done") {
			t.Errorf("the finished backfill does not show its counts:\n%s", s)
		}
		b.screenshot("backfill-done")
	})

	t.Run("settings and overview", func(t *testing.T) {
		b.t = t
		b.open("/settings")
		b.screenshot("settings")
		b.open("/")
		b.screenshot("overview")
	})
}
