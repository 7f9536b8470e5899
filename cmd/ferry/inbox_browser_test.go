package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestInboxAppInBrowser is a teammate in the Intercom emulator's inbox of
// `ferry demo`, in headless Chromium (issue 11): ferry's app beside a
// Contact's conversation shows the Contact, Account, Opportunities and open
// Case; New Case marks the org's required field, names it when left empty
// and makes the Case, which the app lists and a note in the conversation
// links (F6.4); Log to Salesforce logs one message alone (F6.2); beside a
// person not in Salesforce, Create Lead opens a form
// prefilled from Intercom, and submitting it makes the Lead, which the app
// then shows and the Salesforce emulator holds; a person with two Leads
// gets a link to each, one without email no Create Lead. Every canvas
// ferry answered passed the emulator's Canvas Kit validation. With
// FERRY_UPDATE_SCREENSHOTS=1 the screenshots go to docs/screenshots/.
func TestInboxAppInBrowser(t *testing.T) {
	chromiumPath(t)
	d := startDemo(t)
	b := newBrowser(t, d.icURL)
	app := chromedp.CSS("#app")
	appText := func() string {
		t.Helper()
		s, err := chromedp.Run(b.ctx, chromedp.Text(app))
		if err != nil {
			t.Fatalf("read the app: %v", err)
		}
		return s
	}
	// The page the demo prints.
	if d.inbox != d.icURL+"/__emulator/inbox" {
		t.Fatalf("the demo prints the inbox as %q", d.inbox)
	}
	b.base = ""
	b.open(d.inbox)
	b.base = d.icURL

	t.Run("a Contact's conversation shows Salesforce beside it", func(t *testing.T) {
		b.t = t
		b.do("open Ken's conversation", chromedp.Click(chromedp.Search(`//nav//a[contains(., "Ken Thompson")]`)),
			chromedp.WaitVisible(chromedp.Search(`//section[@id="app"]//div[contains(., "Salesforce Contact")]`)))
		s := appText()
		for _, want := range []string{"Ken Thompson", "ken@initech.example", "Initech", "initech.example", "Opportunities (2)",
			"Initech — Support add-on", "Prospecting", "9,500", "Open cases (1)", "TPS report export times out", "High priority", "Open in Salesforce", "Log to Salesforce"} {
			if !strings.Contains(s, want) {
				t.Errorf("the app beside Ken's conversation lacks %q:\n%s", want, s)
			}
		}
		b.screenshot("inbox-contact")
	})

	t.Run("New Case from Ken's conversation", func(t *testing.T) {
		b.t = t
		b.do("New Case", chromedp.Click(chromedp.CSS(`#c-new_case`)), chromedp.WaitVisible(chromedp.CSS(`#c-case_Subject`)))
		// The org requires a Product on every Case: marked, and named
		// when left on Choose….
		if s := appText(); !strings.Contains(s, "Product *") || !strings.Contains(s, "* required by Salesforce") {
			t.Errorf("the New Case form does not mark the required Product:\n%s", s)
		}
		const subject = "Renewal quote for 2027"
		b.do("type the subject", chromedp.SendKeys(chromedp.CSS(`#c-case_Subject`), subject),
			chromedp.SendKeys(chromedp.CSS(`#c-case_Description`), "Ken asks where the renewal stands."),
			chromedp.Click(chromedp.CSS(`#c-submit_case`)),
			chromedp.WaitVisible(chromedp.Search(`//section[@id="app"]//div[contains(., "Product is required")]`)))
		b.do("choose the product", chromedp.SetValue(chromedp.CSS(`#c-case_Product__c`), "Platform"))
		if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`#c-case_Subject`))); got != subject {
			t.Errorf("the form came back with Subject %q, want what was typed", got)
		}
		b.screenshot("inbox-new-case")
		b.do("create the case", chromedp.Click(chromedp.CSS(`#c-submit_case`)),
			chromedp.WaitVisible(chromedp.Search(`//section[@id="app"]//div[contains(., "created in Salesforce.")]`)))
		s := appText()
		for _, want := range []string{"Salesforce Contact", "Open cases (2)", subject, "Medium priority"} {
			if !strings.Contains(s, want) {
				t.Errorf("after New Case the app lacks %q:\n%s", want, s)
			}
		}
		// The note with the Case's link is in the conversation.
		note := chromedp.CSS(`main.thread .msg.note a`)
		b.do("the note", chromedp.WaitVisible(note))
		words, _ := chromedp.Run(b.ctx, chromedp.Text(note))
		attr, err := chromedp.Run(b.ctx, chromedp.AttributeValue(note, "href"))
		if err != nil || !strings.HasPrefix(attr.Value, d.sfURL+"/") || !strings.HasPrefix(words, "Case ") {
			t.Fatalf("the conversation's note links %q as %q (%v), want the Case in Salesforce", attr.Value, words, err)
		}
		b.screenshot("inbox-case-created")

		// The Case is in Salesforce with what was entered, on Ken's Contact.
		var kase map[string]any
		sfControlGet(t, d.sfURL, "/__emulator/records/Case/"+attr.Value[strings.LastIndex(attr.Value, "/")+1:], &kase)
		if kase["Subject"] != subject || kase["Product__c"] != "Platform" || kase["Priority"] != "Medium" ||
			kase["ContactId"] == nil || "Case "+kase["CaseNumber"].(string) != words {
			t.Errorf("the Case in Salesforce: %v", kase)
		}
	})

	t.Run("Log one message of Ken's conversation to Salesforce", func(t *testing.T) {
		b.t = t
		b.do("Log to Salesforce", chromedp.Click(chromedp.CSS(`#c-log_conversation`)), chromedp.WaitVisible(chromedp.CSS(`#c-log_part`)))
		opts, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(`#c-log_part`)))
		if !strings.Contains(opts, "The whole conversation") || !strings.Contains(opts, "Ken Thompson: Hi, can you check") {
			t.Errorf("What to log offers:\n%s", opts)
		}
		first, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('#c-log_part').options[1].value`))
		if err != nil {
			t.Fatal(err)
		}
		b.do("log Ken's message", chromedp.SetValue(chromedp.CSS(`#c-log_part`), first), chromedp.Click(chromedp.CSS(`#c-submit_log`)),
			chromedp.WaitVisible(chromedp.Search(`//section[@id="app"]//div[contains(., "Message logged to Salesforce")]`)))
	})

	t.Run("Create Lead for a person not in Salesforce", func(t *testing.T) {
		b.t = t
		b.do("open Nina's conversation", chromedp.Click(chromedp.Search(`//nav//a[contains(., "Nina Newcomer")]`)),
			chromedp.WaitVisible(chromedp.Search(`//section[@id="app"]//div[contains(., "Not in Salesforce")]`)))
		b.do("Create Lead", chromedp.Click(chromedp.CSS(`#c-create_lead`)), chromedp.WaitVisible(chromedp.CSS(`#c-lead_email`)))
		for id, want := range map[string]string{"lead_name": "Nina Newcomer", "lead_email": "nina@newco.example", "lead_phone": "+351 555 0101"} {
			got, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#c-"+id)))
			if err != nil || got != want {
				t.Errorf("the form's %s is %q (%v), want %q prefilled from Intercom", id, got, err, want)
			}
		}
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("c-lead_company").value = ""; true`)); err != nil {
			t.Fatal(err)
		}
		b.do("type the company", chromedp.SendKeys(chromedp.CSS(`#c-lead_company`), "NewCo Holdings"))
		b.screenshot("inbox-create-lead")
		b.do("submit", chromedp.Click(chromedp.CSS(`#c-submit_lead`)),
			chromedp.WaitVisible(chromedp.Search(`//section[@id="app"]//div[contains(., "Lead created in Salesforce.")]`)))
		s := appText()
		for _, want := range []string{"Salesforce Lead", "Nina Newcomer", "NewCo Holdings", "Open in Salesforce"} {
			if !strings.Contains(s, want) {
				t.Errorf("after Create Lead the app lacks %q:\n%s", want, s)
			}
		}
		b.screenshot("inbox-lead-created")

		// The Lead is in Salesforce, as the form said.
		attr, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(`#c-open_lead`), "href"))
		href := attr.Value
		if err != nil {
			t.Fatalf("no Open in Salesforce link: %v", err)
		}
		id := href[strings.LastIndex(href, "/")+1:]
		var lead map[string]any
		sfControlGet(t, d.sfURL, "/__emulator/records/Lead/"+id, &lead)
		if lead["Email"] != "nina@newco.example" || lead["Company"] != "NewCo Holdings" || lead["LastName"] != "Newcomer" ||
			lead["Phone"] != "+351 555 0101" || lead["LeadSource"] != "Intercom" {
			t.Errorf("the Lead in Salesforce: %v", lead)
		}
	})

	t.Run("several Salesforce records, and no email", func(t *testing.T) {
		b.t = t
		b.do("open Dana's conversation", chromedp.Click(chromedp.Search(`//nav//a[contains(., "Dana Scully")]`)),
			chromedp.WaitVisible(chromedp.Search(`//section[@id="app"]//div[contains(., "Multiple matches found")]`)))
		s := appText()
		for _, want := range []string{"Umbrella Health", "Umbrella Health (EMEA)", "Open - Not Contacted"} {
			if !strings.Contains(s, want) {
				t.Errorf("the matches do not say %q:\n%s", want, s)
			}
		}
		if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#app a.item[href]').length`)); n != 2 {
			t.Errorf("%d links to the matches, want 2", n)
		}
		b.screenshot("inbox-multiple-matches")
		b.do("open Leo's conversation", chromedp.Click(chromedp.Search(`//nav//a[contains(., "Leo Park")]`)),
			chromedp.WaitVisible(chromedp.Search(`//section[@id="app"]//div[contains(., "no email address")]`)))
		if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('#c-create_lead').length`)); n != 0 {
			t.Error("a person without email is offered Create Lead")
		}
	})

	// Every canvas ferry answered was valid Canvas Kit.
	var usage struct {
		Inbox struct{ Requests, Shown, Refused int64 }
	}
	resp, err := http.Get(d.icURL + "/__emulator/usage")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&usage); err != nil {
		t.Fatal(err)
	}
	if usage.Inbox.Refused != 0 || usage.Inbox.Shown < 11 {
		t.Errorf("inbox canvases: %+v, want at least 11 shown and none refused", usage.Inbox)
	}
	t.Logf("inbox requests %d, canvases validated and shown %d, refused %d", usage.Inbox.Requests, usage.Inbox.Shown, usage.Inbox.Refused)
}

// sfControlGet reads the Salesforce emulator's control surface as its
// login user.
func sfControlGet(t *testing.T, base, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.SetBasicAuth("admin@example.com", "password")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}
