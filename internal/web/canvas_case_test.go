package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// caseScene is a Salesforce Contact with an Account, the same person in
// Intercom with a conversation, and the teammate looking at it.
type caseScene struct {
	icContact          map[string]any
	contact, account   string
	conversation       string
	adminID, adminMail string
}

func (in *inbox) caseScene(t *testing.T, email string) caseScene {
	t.Helper()
	acct := in.create(t, "Account", map[string]any{"Name": "Rocket Works"})
	contact := in.create(t, "Contact", map[string]any{"FirstName": "Cass", "LastName": "Casey", "Email": email, "AccountId": acct})
	c := in.icContact(t, "Cass Casey", email, "", "")
	conv, err := in.ic.StartConversation(c.ID, "<p>The rocket will not start</p>")
	if err != nil {
		t.Fatal(err)
	}
	mail := "tess." + strings.ReplaceAll(email, "@", ".") + "@teammates.example"
	admin, err := in.ic.AddTeammate("Tess Teammate", mail)
	if err != nil {
		t.Fatal(err)
	}
	return caseScene{icContact: contactOf(c), contact: contact, account: acct, conversation: conv, adminID: admin, adminMail: mail}
}

// caseBody is an inbox app request of the scene's teammate and
// conversation.
func (in *inbox) caseBody(sc caseScene, extra map[string]any) []byte {
	all := map[string]any{
		"admin":        map[string]any{"type": "admin", "id": sc.adminID, "name": "Tess Teammate", "email": sc.adminMail},
		"conversation": map[string]any{"type": "conversation", "id": sc.conversation},
	}
	for k, v := range extra {
		all[k] = v
	}
	return in.canvasBody("contact", sc.icContact, all)
}

func caseSubmit(values map[string]any) map[string]any {
	in := map[string]any{}
	for k, v := range values {
		in["case_"+k] = v
	}
	return map[string]any{"component_id": "submit_case", "input_values": in}
}

// notes returns the bodies of a conversation's notes.
func (in *inbox) notes(t *testing.T, conv string) []string {
	t.Helper()
	ic, err := in.manager.Intercom(t.Context(), in.connID)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ic.GetConversation(t.Context(), conv)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range c.ConversationParts.Parts {
		if p.PartType == "note" {
			out = append(out, p.Body)
		}
	}
	return out
}

// submitConcurrently posts the same signed submit n times at once; every
// answer must be a canvas showing want.
func (in *inbox) submitConcurrently(t *testing.T, n int, body []byte, want string) {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			res := in.post(t, "/canvas/submit", body, icClientSecret)
			if res.status != http.StatusOK || !strings.Contains(string(res.body), want) {
				t.Errorf("status %d: %s", res.status, res.body)
			}
		})
	}
	wg.Wait()
}

func (in *inbox) putSettings(t *testing.T, doc string) {
	t.Helper()
	if res := in.admin(t, http.MethodPut, "/api/v1/settings", doc); res.status != http.StatusOK {
		t.Fatalf("settings %s: %d %s", doc, res.status, res.body)
	}
}

// F6.4: a Contact's New Case form, the Case, the note on the conversation,
// and the same submit twice making one Case.
func TestCanvasNewCase(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	sc := in.caseScene(t, "cass@rocket.example")

	mustContain(t, in.canvas(t, "/canvas/initialize", in.caseBody(sc, nil)), "Salesforce Contact", `"id":"new_case"`, "New Case")
	form := in.canvas(t, "/canvas/submit", in.caseBody(sc, map[string]any{"component_id": "new_case"}))
	mustContain(t, form, "New Case", `"id":"case_Subject"`, `"type":"textarea","value":""`, `"id":"case_Priority"`,
		`"type":"dropdown"`, `"id":"High"`, `"value":"Medium"`, "Create Case", "Salesforce's case assignment")
	if s := shown(form); strings.Contains(s, "required by Salesforce") {
		t.Errorf("no field is required, yet the form explains the asterisk: %s", s)
	}

	before := in.sf.APICalls()
	submit := in.caseBody(sc, caseSubmit(map[string]any{"Subject": "Rocket will not start", "Description": "Beeps twice", "Priority": "High"}))
	cs := in.canvas(t, "/canvas/submit", submit)
	calls := in.sf.APICalls() - before
	mustContain(t, cs, "created in Salesforce", "Salesforce Contact", "Open cases (1)", "Rocket will not start")
	cases := in.recordsWhere("Case", "ContactId", sc.contact)
	if len(cases) != 1 {
		t.Fatalf("%d Cases, want 1", len(cases))
	}
	k := cases[0]
	if k["Subject"] != "Rocket will not start" || k["Description"] != "Beeps twice" || k["Priority"] != "High" || k["AccountId"] != sc.account {
		t.Fatalf("Case %v", k)
	}
	t.Logf("Salesforce calls for a New Case submit, the refreshed view included: %d", calls)
	// The confirmation links the Case.
	mustContain(t, cs, "[Case "+k["CaseNumber"].(string)+"](", "/"+k["Id"].(string)+") created in Salesforce.")

	notes := in.notes(t, sc.conversation)
	if len(notes) != 1 || !strings.Contains(notes[0], "Case "+k["CaseNumber"].(string)) || !strings.Contains(notes[0], "/"+k["Id"].(string)) {
		t.Fatalf("notes on the conversation: %q, want one with the Case's link", notes)
	}

	// The same submit again (a double click, Intercom retrying): one Case,
	// one note.
	mustContain(t, in.canvas(t, "/canvas/submit", submit), "already created")
	if n := len(in.recordsWhere("Case", "ContactId", sc.contact)); n != 1 {
		t.Fatalf("%d Cases after a second click, want 1", n)
	}
	if n := len(in.notes(t, sc.conversation)); n != 1 {
		t.Fatalf("%d notes after a second click, want 1", n)
	}

	// A Lead gets no New Case button, and cases turned off hide it.
	lead := in.icContact(t, "Lee Lead", "lee@lead.example", "", "")
	in.create(t, "Lead", map[string]any{"LastName": "Lead", "Company": "L", "Email": "lee@lead.example"})
	if s := shown(in.canvas(t, "/canvas/initialize", in.canvasBody("contact", contactOf(lead), nil))); strings.Contains(s, "new_case") {
		t.Error("a Lead is offered New Case")
	}
	in.putSettings(t, `{"cases":{"enabled":false}}`)
	if s := shown(in.canvas(t, "/canvas/initialize", in.caseBody(sc, nil))); strings.Contains(s, "new_case") || strings.Contains(s, "Open cases") {
		t.Error("cases turned off but the app shows them")
	}
	mustContain(t, in.canvas(t, "/canvas/submit", in.caseBody(sc, map[string]any{"component_id": "new_case"})), "turned off")
}

// F6.4: mandatory fields from describe are marked and required; what
// Salesforce refuses (a required field ferry was not told about, a
// validation rule) comes back as the form with the field named and the
// teammate's values kept.
func TestCanvasNewCaseMandatoryFieldsAndRefusals(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	sc := in.caseScene(t, "mandy@rocket.example")
	if err := in.sf.AddField(sfemu.FieldSpec{Object: "Case", Name: "Product__c", Type: "text", Label: "Product", Required: true}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, in.canvas(t, "/canvas/submit", in.caseBody(sc, map[string]any{"component_id": "new_case"})), `"label":"Product *"`, `"id":"case_Product__c"`,
		"* required by Salesforce.")

	// Left empty: ferry says so without calling Salesforce.
	before := in.sf.APICalls()
	cs := in.canvas(t, "/canvas/submit", in.caseBody(sc, caseSubmit(map[string]any{"Subject": "No product", "Priority": "Low"})))
	mustContain(t, cs, `"style":"error"`, "Product is required", `"value":"No product"`, `"value":"Low"`)
	if n := in.sf.APICalls() - before; n != 0 {
		t.Errorf("a form missing a required field made %d Salesforce calls", n)
	}

	// A required field added in Salesforce after the form was read:
	// Salesforce's REQUIRED_FIELD_MISSING names it, the form comes back
	// with it and with what the teammate typed.
	if err := in.sf.AddField(sfemu.FieldSpec{Object: "Case", Name: "Region__c", Type: "text", Label: "Region", Required: true}); err != nil {
		t.Fatal(err)
	}
	cs = in.canvas(t, "/canvas/submit", in.caseBody(sc, caseSubmit(map[string]any{"Subject": "Boosters", "Product__c": "Falcon"})))
	mustContain(t, cs, "Salesforce requires Region for a new Case", `"label":"Region *"`, `"value":"Boosters"`, `"value":"Falcon"`)

	// A validation rule's message, on the field it names.
	if err := in.sf.AddValidationRule(sfemu.ValidationRule{Object: "Case", Field: "Description", Blank: true,
		Message: "Tell us what happened"}); err != nil {
		t.Fatal(err)
	}
	cs = in.canvas(t, "/canvas/submit", in.caseBody(sc, caseSubmit(map[string]any{"Subject": "Boosters", "Product__c": "Falcon", "Region__c": "EU"})))
	mustContain(t, cs, "Tell us what happened", "Description", `"error":true`, `"value":"EU"`)
	if n := len(in.recordsWhere("Case", "ContactId", sc.contact)); n != 0 {
		t.Fatalf("%d Cases after refused submits, want 0", n)
	}
	cs = in.canvas(t, "/canvas/submit", in.caseBody(sc, caseSubmit(map[string]any{"Subject": "Boosters", "Product__c": "Falcon",
		"Region__c": "EU", "Description": "Both boosters failed"})))
	mustContain(t, cs, "created in Salesforce")
	if n := len(in.recordsWhere("Case", "ContactId", sc.contact)); n != 1 {
		t.Fatalf("%d Cases, want 1", n)
	}
}

// F6.4: a required picklist without a default starts on "Choose…", not on
// its first value: left there, ferry names it and sends nothing.
func TestCanvasNewCaseRequiredPicklistIsChosen(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	sc := in.caseScene(t, "pick@rocket.example")
	if err := in.sf.AddField(sfemu.FieldSpec{Object: "Case", Name: "Severity__c", Type: "picklist", Label: "Severity", Required: true,
		PicklistValues: []string{"Sev 1", "Sev 2"}}); err != nil {
		t.Fatal(err)
	}
	mustContain(t, in.canvas(t, "/canvas/submit", in.caseBody(sc, map[string]any{"component_id": "new_case"})),
		`"id":"__none__","text":"Choose…"`, `"id":"case_Severity__c","label":"Severity *","options"`)
	before := in.sf.APICalls()
	cs := in.canvas(t, "/canvas/submit", in.caseBody(sc, caseSubmit(map[string]any{"Subject": "Which severity?", "Severity__c": "__none__"})))
	mustContain(t, cs, "Severity is required", `"value":"__none__"`)
	if n := in.sf.APICalls() - before; n != 0 {
		t.Errorf("a required picklist left on Choose… made %d Salesforce calls", n)
	}
	cs = in.canvas(t, "/canvas/submit", in.caseBody(sc, caseSubmit(map[string]any{"Subject": "Which severity?", "Severity__c": "Sev 2"})))
	mustContain(t, cs, "created in Salesforce")
	if k := in.recordsWhere("Case", "ContactId", sc.contact); len(k) != 1 || k[0]["Severity__c"] != "Sev 2" {
		t.Fatalf("Cases %v, want one of Sev 2", k)
	}
}

// F6.4 through the admin API: 201 then 200, a restricted picklist value
// refused by ferry (from describe) and by Salesforce (restricted since).
func TestAPICreateCase(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	sc := in.caseScene(t, "api.case@rocket.example")
	body := func(fields string) string {
		return `{"conversation_id":"` + sc.conversation + `","admin_id":"` + sc.adminID + `","fields":` + fields + `}`
	}
	res := in.admin(t, http.MethodPost, "/api/v1/cases", body(`{"Subject":"From a script","Priority":"Low"}`))
	if res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var out struct {
		ID         string `json:"salesforce_id"`
		Number     string `json:"case_number"`
		Contact    string `json:"contact_id"`
		URL        string `json:"url"`
		NoteAdded  bool   `json:"note_added"`
		Assignment string `json:"assignment"`
	}
	if err := json.Unmarshal(res.body, &out); err != nil || out.Contact != sc.contact || out.Number == "" || !strings.HasSuffix(out.URL, "/"+out.ID) ||
		!out.NoteAdded || out.Assignment != "salesforce" {
		t.Fatalf("answer %s", res.body)
	}
	if res := in.admin(t, http.MethodPost, "/api/v1/cases", body(`{"Subject":"From a script","Priority":"Low"}`)); res.status != http.StatusOK {
		t.Fatalf("again: %d %s, want 200", res.status, res.body)
	}
	// Origin is not restricted when ferry reads the form, restricted by
	// the time the case is sent: Salesforce's refusal names it.
	before := in.sf.APICalls()
	if res := in.admin(t, http.MethodPost, "/api/v1/cases", body(`{"Subject":"Form read"}`)); res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	calls := in.sf.APICalls() - before
	t.Logf("Salesforce calls per Case creation (the form's describe cached): %d", calls)
	if calls > 2 {
		t.Errorf("a Case creation made %d Salesforce calls, want at most 2 (find the Contact, create and read the Case)", calls)
	}
	if err := in.sf.RestrictPicklist("Case", "Origin", true); err != nil {
		t.Fatal(err)
	}
	in.putSettings(t, `{"cases":{"fields":["Subject","Origin","Priority"]}}`)
	for _, tc := range []struct {
		name, body, want string
		status           int
	}{
		{"restricted picklist value", body(`{"Subject":"x","Priority":"Urgent"}`), "Priority cannot be", http.StatusBadRequest},
		{"not a field of the form", body(`{"Subject":"x","Reason":"Other"}`), "not a field of the New Case form", http.StatusBadRequest},
		{"no conversation", `{"fields":{"Subject":"x"}}`, "Name the Intercom conversation", http.StatusBadRequest},
		{"unknown teammate", `{"conversation_id":"` + sc.conversation + `","admin_id":"424242","fields":{"Subject":"x"}}`, "no teammate 424242", http.StatusNotFound},
		{"unknown conversation", `{"conversation_id":"404404","fields":{"Subject":"x"}}`, "no longer in Intercom", http.StatusNotFound},
	} {
		res := in.admin(t, http.MethodPost, "/api/v1/cases", tc.body)
		if res.status != tc.status || !strings.Contains(string(res.body), tc.want) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, res.status, res.body, tc.status, tc.want)
		}
	}
	// A value the form's cached describe allowed, refused by Salesforce.
	res = in.admin(t, http.MethodPost, "/api/v1/cases", body(`{"Subject":"x","Origin":"Carrier pigeon"}`))
	if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "Case Origin") {
		t.Errorf("Salesforce's restricted picklist refusal: %d %s", res.status, res.body)
	}
	if n := len(in.recordsWhere("Case", "ContactId", sc.contact)); n != 2 {
		t.Fatalf("%d Cases, want 2", n)
	}
}

// F6.5: the owner follows cases.owner: Salesforce's assignment rule, or
// the teammate's Salesforce user when it may edit cases, else Salesforce's
// assignment with the reason.
func TestCaseOwner(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	triage, err := in.sf.CreateRecord("User", map[string]any{"Username": "triage@org.example", "Email": "triage@org.example", "LastName": "Triage", "Alias": "triage"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.sf.AddAssignmentRule(sfemu.AssignmentRuleSpec{Object: "Case", Name: "Everything to triage", Active: true,
		Entries: []sfemu.RuleEntry{{OwnerID: triage}}}); err != nil {
		t.Fatal(err)
	}
	sc := in.caseScene(t, "owner@rocket.example")
	editor, err := in.sf.CreateRecord("User", map[string]any{"Username": sc.adminMail, "Email": sc.adminMail, "LastName": "Teammate", "Alias": "tess"})
	if err != nil {
		t.Fatal(err)
	}
	viewerMail := "viewer@teammates.example"
	viewerAdmin, err := in.ic.AddTeammate("Vic Viewer", viewerMail)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.sf.CreateRecord("User", map[string]any{"Username": viewerMail, "Email": viewerMail, "LastName": "Viewer", "Alias": "vic",
		"ProfileId": in.sf.ProfileID(sfemu.ProfileReadOnly)}); err != nil {
		t.Fatal(err)
	}
	strangerAdmin, err := in.ic.AddTeammate("Sam Stranger", "stranger@teammates.example")
	if err != nil {
		t.Fatal(err)
	}

	create := func(subject, admin string) (owner, assignment, note string) {
		t.Helper()
		res := in.admin(t, http.MethodPost, "/api/v1/cases", `{"conversation_id":"`+sc.conversation+`","admin_id":"`+admin+`","fields":{"Subject":"`+subject+`"}}`)
		if res.status != http.StatusCreated {
			t.Fatalf("%s: %d %s", subject, res.status, res.body)
		}
		var out struct {
			ID         string `json:"salesforce_id"`
			Owner      string `json:"owner_id"`
			Assignment string `json:"assignment"`
			Note       string `json:"owner_note"`
		}
		if err := json.Unmarshal(res.body, &out); err != nil {
			t.Fatal(err)
		}
		rec, _ := in.sf.Record("Case", out.ID)
		if rec["OwnerId"] != out.Owner {
			t.Errorf("%s: answer says owner %s, Salesforce has %v", subject, out.Owner, rec["OwnerId"])
		}
		return out.Owner, out.Assignment, out.Note
	}

	if owner, how, _ := create("Salesforce decides", sc.adminID); owner != triage || how != "salesforce" {
		t.Errorf("owner salesforce: %s (%s), want the assignment rule's %s", owner, how, triage)
	}
	in.putSettings(t, `{"cases":{"owner":"teammate"}}`)
	if owner, how, _ := create("The teammate owns it", sc.adminID); owner != editor || how != "teammate" {
		t.Errorf("owner teammate: %s (%s), want the teammate's user %s (the active rule must not override it)", owner, how, editor)
	}
	if owner, how, note := create("A read-only teammate", viewerAdmin); owner != triage || how != "salesforce" || !strings.Contains(note, "may not edit cases") {
		t.Errorf("read-only teammate: %s (%s, %q), want Salesforce's assignment and why", owner, how, note)
	}
	if owner, how, note := create("A teammate without a user", strangerAdmin); owner != triage || how != "salesforce" || !strings.Contains(note, "No active Salesforce user") {
		t.Errorf("teammate without a user: %s (%s, %q), want Salesforce's assignment and why", owner, how, note)
	}

	// From the inbox app, the teammate is the request's admin.
	cs := in.canvas(t, "/canvas/submit", in.caseBody(sc, caseSubmit(map[string]any{"Subject": "From the inbox", "Priority": "High"})))
	mustContain(t, cs, "created in Salesforce", "Owner: Teammate", "teammate's Salesforce user")
}

// F6.4: 20 identical submits at once make one Case and one note, on
// SQLite and PostgreSQL.
func TestCanvasNewCaseTwentyConcurrentSubmitsMakeOneCase(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			in := setupInboxOn(t, e.URL(t))
			sc := in.caseScene(t, "rush@rocket.example")
			submit := in.caseBody(sc, caseSubmit(map[string]any{"Subject": "Everyone clicked", "Priority": "High"}))
			in.submitConcurrently(t, 20, submit, "Salesforce Contact")
			n := len(in.recordsWhere("Case", "ContactId", sc.contact))
			t.Logf("Cases after 20 concurrent identical submits: %d", n)
			if n != 1 {
				t.Fatalf("20 concurrent submits made %d Cases, want 1", n)
			}
			if n := len(in.notes(t, sc.conversation)); n != 1 {
				t.Fatalf("%d notes, want 1", n)
			}
		})
	}
}

// Bad input and failures of New Case (F6.4): Salesforce down, then back;
// a note Intercom refuses (the Case stays and the teammate is told); the
// person's Contact deleted since the form was opened; the day's limit.
func TestCanvasNewCaseFailures(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	sc := in.caseScene(t, "fail@rocket.example")
	mustContain(t, in.canvas(t, "/canvas/submit", in.caseBody(sc, map[string]any{"component_id": "new_case"})), "New Case")
	submit := in.caseBody(sc, caseSubmit(map[string]any{"Subject": "Down and up"}))

	in.sf.SetFaults(sfemu.Faults{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable})
	mustContain(t, in.canvas(t, "/canvas/submit", submit), "Salesforce is not answering right now", "Try again")
	in.sf.SetFaults(sfemu.Faults{})
	if n := len(in.recordsWhere("Case", "ContactId", sc.contact)); n != 0 {
		t.Fatalf("%d Cases while Salesforce was down", n)
	}
	mustContain(t, in.canvas(t, "/canvas/submit", submit), "created in Salesforce")
	if n := len(in.recordsWhere("Case", "ContactId", sc.contact)); n != 1 {
		t.Fatalf("%d Cases after Salesforce came back, want 1", n)
	}

	// A conversation Intercom no longer has: the Case is made, the
	// teammate is told the note is missing.
	gone := in.caseBody(sc, map[string]any{"conversation": map[string]any{"type": "conversation", "id": "404404404"},
		"component_id": "submit_case", "input_values": map[string]any{"case_Subject": "No conversation"}})
	mustContain(t, in.canvas(t, "/canvas/submit", gone), "created in Salesforce", "no note was added")
	if n := len(in.recordsWhere("Case", "Subject", "No conversation")); n != 1 {
		t.Fatalf("%d Cases for a conversation Intercom lost, want 1", n)
	}

	// The Contact deleted in Salesforce since the app was opened.
	if err := in.sf.DeleteRecord("Contact", sc.contact); err != nil {
		t.Fatal(err)
	}
	mustContain(t, in.canvas(t, "/canvas/submit", in.caseBody(sc, caseSubmit(map[string]any{"Subject": "Too late"}))),
		"not a Salesforce Contact")
	if n := len(in.recordsWhere("Case", "Subject", "Too late")); n != 0 {
		t.Fatalf("%d Cases for a deleted Contact", n)
	}

	// The org's daily limit reached.
	in.sf.SetAPIRemaining(0)
	mustContain(t, in.canvas(t, "/canvas/submit", in.caseBody(sc, caseSubmit(map[string]any{"Subject": "Limit"}))), "API limit for today")
}

// F8.1: New Case uses the inbox lane: it works when background sync has
// stopped for the day (only the inbox reserve left) and stops when the
// budget is spent.
func TestNewCaseUsesTheInboxLane(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	sc := in.caseScene(t, "lane@rocket.example")
	used := func() int {
		t.Helper()
		n, err := connection.UsedToday(t.Context(), in.store, in.connID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	limit := used() + 100
	in.putSettings(t, fmt.Sprintf(`{"api_budget":{"daily_limit":%d,"reserve_inbox":%d,"reserve_background":1}}`, limit, limit-2))
	budget := settings.APIBudget{DailyLimit: limit, ReserveInbox: limit - 2, ReserveBackground: 1}
	if n := used(); budget.Allows(settings.LaneBackground, n, -1) || !budget.Allows(settings.LaneInbox, n, -1) {
		t.Fatalf("premise: %d calls used of %d; background sync must be stopped and the inbox lane open", n, limit)
	}
	res := in.admin(t, http.MethodPost, "/api/v1/cases", `{"conversation_id":"`+sc.conversation+`","fields":{"Subject":"Inbox reserve"}}`)
	if res.status != http.StatusCreated {
		t.Fatalf("a case while background sync is stopped: %d %s", res.status, res.body)
	}

	in.putSettings(t, `{"api_budget":{"daily_limit":3,"reserve_inbox":1,"reserve_background":1}}`)
	res = in.admin(t, http.MethodPost, "/api/v1/cases", `{"conversation_id":"`+sc.conversation+`","fields":{"Subject":"Spent"}}`)
	if res.status != http.StatusServiceUnavailable || !strings.Contains(string(res.body), "API limit for today") {
		t.Fatalf("a case with the budget spent: %d %s, want 503 saying so", res.status, res.body)
	}
	if n := len(in.recordsWhere("Case", "Subject", "Spent")); n != 0 {
		t.Fatalf("%d Cases with the budget spent", n)
	}
}
