package web_test

import (
	"encoding/json"
	"net/http"
	"testing"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// icContact creates an Intercom contact, with a company when company != "".
func (in *inbox) icContact(t *testing.T, name, email, phone, company string) *intercom.Contact {
	t.Helper()
	ic, err := in.manager.Intercom(t.Context(), in.connID)
	if err != nil {
		t.Fatal(err)
	}
	role := "lead"
	input := intercom.ContactInput{Role: &role, Name: &name}
	if email != "" {
		input.Email = &email
	}
	if phone != "" {
		input.Phone = &phone
	}
	c, err := ic.CreateContact(t.Context(), input)
	if err != nil {
		t.Fatal(err)
	}
	if company != "" {
		id := "co-" + company
		co, err := ic.CreateOrUpdateCompany(t.Context(), intercom.CompanyInput{CompanyID: &id, Name: &company})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ic.AttachCompany(t.Context(), c.ID, co.ID); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func contactOf(c *intercom.Contact) map[string]any {
	return map[string]any{"type": "contact", "id": c.ID, "role": c.Role, "email": c.Email, "name": c.Name}
}

// leadsWith returns the Salesforce Leads with an email.
func (in *inbox) leadsWith(email string) []map[string]any {
	return in.recordsWhere("Lead", "Email", email)
}

// recordsWhere returns the Salesforce records of object whose field is value.
func (in *inbox) recordsWhere(object, field string, value any) []map[string]any {
	var out []map[string]any
	for _, r := range in.sf.Records(object) {
		if r[field] == value {
			out = append(out, r)
		}
	}
	return out
}

func TestCanvasCreateLead(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	c := in.icContact(t, "Nina Newcomer", "nina@newco.example", "+351 555 0101", "NewCo")

	// Not in Salesforce: the view offers Create Lead, the form is prefilled.
	cs := in.canvas(t, "/canvas/initialize", in.canvasBody("contact", contactOf(c), nil))
	mustContain(t, cs, "Not in Salesforce", `"id":"create_lead"`)
	cs = in.canvas(t, "/canvas/submit", in.canvasBody("contact", contactOf(c), map[string]any{"component_id": "create_lead"}))
	mustContain(t, cs, "Create Lead", `"value":"Nina Newcomer"`, `"value":"nina@newco.example"`, `"value":"+351 555 0101"`, `"value":"NewCo"`)

	// The teammate edits the company and submits: one Lead, then shown.
	submit := in.canvasBody("contact", contactOf(c), map[string]any{"component_id": "submit_lead", "input_values": map[string]any{
		"lead_name": "Nina Newcomer", "lead_email": "nina@newco.example", "lead_phone": "+351 555 0101", "lead_company": "NewCo Holdings"}})
	cs = in.canvas(t, "/canvas/submit", submit)
	mustContain(t, cs, "Lead created", "Salesforce Lead", "Nina Newcomer", "NewCo Holdings")
	leads := in.leadsWith("nina@newco.example")
	if len(leads) != 1 {
		t.Fatalf("%d Leads, want 1", len(leads))
	}
	l := leads[0]
	if l["FirstName"] != "Nina" || l["LastName"] != "Newcomer" || l["Company"] != "NewCo Holdings" || l["Phone"] != "+351 555 0101" || l["LeadSource"] != "Intercom" {
		t.Fatalf("Lead %v", l)
	}
	// The identity mapping and first full sync are queued for the pair.
	if n := in.mapJobs(t); n != 1 {
		t.Fatalf("%d map-record jobs, want 1", n)
	}

	// Clicked again: nothing new.
	cs = in.canvas(t, "/canvas/submit", submit)
	mustContain(t, cs, "already in Salesforce", "Salesforce Lead")
	if n := len(in.leadsWith("nina@newco.example")); n != 1 {
		t.Fatalf("%d Leads after a second click, want 1", n)
	}
}

func (in *inbox) mapJobs(t *testing.T) int {
	t.Helper()
	return in.jobsOfKind(t, jobs.MapRecordArgs{}.Kind())
}

func TestCanvasCreateLeadTwentyConcurrentSubmitsMakeOneLead(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			in := setupInboxOn(t, e.URL(t))
			c := in.icContact(t, "Rex Rapid", "rex@rapid.example", "", "")
			submit := in.canvasBody("contact", contactOf(c), map[string]any{"component_id": "submit_lead",
				"input_values": map[string]any{"lead_name": "Rex Rapid", "lead_email": "rex@rapid.example"}})
			in.submitConcurrently(t, 20, submit, "Salesforce Lead")
			leads := in.leadsWith("rex@rapid.example")
			if len(leads) != 1 {
				t.Fatalf("20 concurrent submits made %d Leads, want 1", len(leads))
			}
			if leads[0]["Company"] != "[not provided]" || leads[0]["FirstName"] != "Rex" {
				t.Fatalf("Lead %v: an empty required detail must be [not provided]", leads[0])
			}
			if n := in.mapJobs(t); n != 1 {
				t.Fatalf("%d map-record jobs, want 1", n)
			}
		})
	}
}

func TestCanvasCreateLeadContactWithoutEmail(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	c := in.icContact(t, "Quiet Visitor", "", "", "")
	cs := in.canvas(t, "/canvas/submit", in.canvasBody("contact", contactOf(c), map[string]any{"component_id": "create_lead"}))
	mustContain(t, cs, "Cannot create a Lead", "no email address")
	for _, l := range in.sf.Records("Lead") {
		if l["LastName"] == "Visitor" {
			t.Fatalf("a Lead was created for a contact without email: %v", l)
		}
	}
}

func TestCanvasCreateLeadSalesforceDownThenBack(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	c := in.icContact(t, "Sam Later", "sam@later.example", "", "")
	submit := in.canvasBody("contact", contactOf(c), map[string]any{"component_id": "submit_lead",
		"input_values": map[string]any{"lead_email": "sam@later.example"}})
	in.sf.SetFaults(sfemu.Faults{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable})
	mustContain(t, in.canvas(t, "/canvas/submit", submit), "Salesforce is not answering right now", "Try again")
	in.sf.SetFaults(sfemu.Faults{})
	if n := len(in.leadsWith("sam@later.example")); n != 0 {
		t.Fatalf("%d Leads while Salesforce was down", n)
	}
	// The failed attempt left no claim behind: trying again creates it.
	mustContain(t, in.canvas(t, "/canvas/submit", submit), "Lead created")
	if n := len(in.leadsWith("sam@later.example")); n != 1 {
		t.Fatalf("%d Leads after Salesforce came back, want 1", n)
	}
}

func TestAPICreateLead(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	c := in.icContact(t, "Api Person", "api@person.example", "", "ApiCo")
	body := `{"intercom_contact_id":"` + c.ID + `"}`
	res := in.admin(t, http.MethodPost, "/api/v1/leads", body)
	if res.status != http.StatusCreated {
		t.Fatalf("first create: %d %s", res.status, res.body)
	}
	var first struct {
		ID      string `json:"salesforce_id"`
		Existed bool   `json:"existed"`
	}
	if err := json.Unmarshal(res.body, &first); err != nil || first.ID == "" || first.Existed {
		t.Fatalf("answer %s", res.body)
	}
	res = in.admin(t, http.MethodPost, "/api/v1/leads", body)
	if res.status != http.StatusOK || !json.Valid(res.body) {
		t.Fatalf("second create: %d %s, want 200", res.status, res.body)
	}
	if n := len(in.leadsWith("api@person.example")); n != 1 {
		t.Fatalf("%d Leads, want 1", n)
	}
	if l := in.leadsWith("api@person.example")[0]; l["Company"] != "ApiCo" || l["LastName"] != "Person" {
		t.Fatalf("Lead %v", l)
	}
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"no contact", `{}`, http.StatusBadRequest},
		{"unknown contact", `{"intercom_contact_id":"nope"}`, http.StatusNotFound},
		{"malformed", `{"intercom_contact_id":`, http.StatusBadRequest},
	} {
		if res := in.admin(t, http.MethodPost, "/api/v1/leads", tc.body); res.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, res.status, res.body, tc.status)
		}
	}
	if res := in.do(t, http.MethodPost, "/api/v1/leads", "", body); res.status != http.StatusUnauthorized {
		t.Errorf("without the admin token: %d", res.status)
	}
}
