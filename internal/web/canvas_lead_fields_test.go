package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
)

// createLeadAPI creates the Lead of an Intercom contact through the admin
// API and returns the answer.
func (in *inbox) createLeadAPI(t *testing.T, contactID string) (id, owner, note string) {
	t.Helper()
	res := in.admin(t, http.MethodPost, "/api/v1/leads", `{"intercom_contact_id":"`+contactID+`"}`)
	if res.status != http.StatusCreated {
		t.Fatalf("create lead: %d %s", res.status, res.body)
	}
	var out struct {
		ID    string `json:"salesforce_id"`
		Owner string `json:"owner_id"`
		Note  string `json:"owner_note"`
	}
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatal(err)
	}
	return out.ID, out.Owner, out.Note
}

// F4.1: with ownership.lead_owner_from_intercom, a Lead created from
// Intercom is owned by the Salesforce user of the person's Intercom owner;
// without such a user, or with the setting off, Salesforce's lead
// assignment (here an active rule) decides and the answer says why.
func TestCreateLeadOwnerFromIntercom(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	triage, err := in.sf.CreateRecord("User", map[string]any{"Username": "leads@org.example", "Email": "leads@org.example", "LastName": "Queue", "Alias": "queue"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.sf.AddAssignmentRule(sfemu.AssignmentRuleSpec{Object: "Lead", Name: "All leads to the queue", Active: true,
		Entries: []sfemu.RuleEntry{{OwnerID: triage}}}); err != nil {
		t.Fatal(err)
	}
	rep, err := in.sf.CreateRecord("User", map[string]any{"Username": "rita.rep@org.example", "Email": "Rita.Rep@org.example", "LastName": "Rep", "Alias": "rita"})
	if err != nil {
		t.Fatal(err)
	}
	teammates := map[string]string{}
	owned := func(name, email, ownerMail string) string {
		t.Helper()
		c := in.icContact(t, name, email, "", "")
		if ownerMail != "" {
			admin, ok := teammates[ownerMail]
			if !ok {
				var err error
				if admin, err = in.ic.AddTeammate(name+" owner", ownerMail); err != nil {
					t.Fatal(err)
				}
				teammates[ownerMail] = admin
			}
			n, _ := json.Number(admin).Int64()
			if err := in.ic.SetContactOwner(c.ID, n); err != nil {
				t.Fatal(err)
			}
		}
		return c.ID
	}
	leadOwner := func(id string) any {
		rec, _ := in.sf.Record("Lead", id)
		return rec["OwnerId"]
	}

	// Off (the default): Salesforce's assignment, whoever owns the person.
	off := owned("Otto Off", "otto@leads.example", "rita.rep@org.example")
	if id, owner, _ := in.createLeadAPI(t, off); leadOwner(id) != triage || owner != "" {
		t.Errorf("setting off: owner %v (answer %q), want Salesforce's assignment %s", leadOwner(id), owner, triage)
	}

	in.putSettings(t, `{"ownership":{"lead_owner_from_intercom":true}}`)
	for _, tc := range []struct {
		name, email, ownerMail string
		want, note             string
	}{
		{"the owner's user, email case ignored", "olga@leads.example", "rita.rep@org.example", rep, "Owned by the Salesforce user"},
		{"an owner without a Salesforce user", "nils@leads.example", "nobody@org.example", triage, "No active Salesforce user"},
		{"no Intercom owner", "nora@leads.example", "", triage, "no owner in Intercom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, _, note := in.createLeadAPI(t, owned(strings.Split(tc.email, "@")[0], tc.email, tc.ownerMail))
			if got := leadOwner(id); got != tc.want || !strings.Contains(note, tc.note) {
				t.Errorf("owner %v (%q), want %s with %q", got, note, tc.want, tc.note)
			}
		})
	}

	// From the inbox app the teammate sees why.
	c := owned("Ines Inbox", "ines@leads.example", "rita.rep@org.example")
	cs := in.canvas(t, "/canvas/submit", in.canvasBody("contact", map[string]any{"type": "contact", "id": c, "email": "ines@leads.example"},
		map[string]any{"component_id": "submit_lead", "input_values": map[string]any{"lead_email": "ines@leads.example"}}))
	mustContain(t, cs, "Lead created", "Owned by the Salesforce user of the person's Intercom owner")
	if l := in.leadsWith("ines@leads.example"); len(l) != 1 || l[0]["OwnerId"] != rep {
		t.Errorf("inbox Lead %v, want owner %s", l, rep)
	}
}

// F4.1: LeadSource is "Intercom" unless leads.lead_source says otherwise;
// a value a restricted Lead Source picklist lacks is refused.
func TestCreateLeadLeadSourceSetting(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	first := in.icContact(t, "Dora Default", "dora@source.example", "", "")
	before := in.sf.APICalls()
	id, _, _ := in.createLeadAPI(t, first.ID)
	cold := in.sf.APICalls() - before
	if rec, _ := in.sf.Record("Lead", id); rec["LeadSource"] != "Intercom" {
		t.Errorf("default LeadSource %v, want Intercom", rec["LeadSource"])
	}
	in.putSettings(t, `{"leads":{"lead_source":"Web"}}`)
	second := in.icContact(t, "Walt Web", "walt@source.example", "", "")
	id, _, _ = in.createLeadAPI(t, second.ID)
	if rec, _ := in.sf.Record("Lead", id); rec["LeadSource"] != "Web" {
		t.Errorf("LeadSource %v, want the setting's Web", rec["LeadSource"])
	}
	// Settings unchanged since the last creation: the mappings are bound.
	third := in.icContact(t, "Tia Third", "tia@source.example", "", "")
	before = in.sf.APICalls()
	in.createLeadAPI(t, third.ID)
	warm := in.sf.APICalls() - before
	t.Logf("Salesforce calls per Lead creation: %d; %d when the settings were just read (the mappings' describes)", warm, cold)
	if warm > 2 {
		t.Errorf("a Lead creation made %d Salesforce calls, want at most 2 (find the person, create the Lead)", warm)
	}

	if err := in.sf.RestrictPicklist("Lead", "LeadSource", true); err != nil {
		t.Fatal(err)
	}
	res := in.admin(t, http.MethodPut, "/api/v1/settings", `{"leads":{"lead_source":"Intercom"}}`)
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(string(res.body), "leads.lead_source") ||
		!strings.Contains(string(res.body), "Partner Referral") {
		t.Errorf("a value the restricted picklist lacks: %d %s, want 422 naming leads.lead_source and the values", res.status, res.body)
	}
	in.putSettings(t, `{"leads":{"lead_source":"Partner Referral"}}`)

	// The settings page shows it.
	page := in.do(t, http.MethodGet, "/settings", "", "", "Cookie", in.signIn(t))
	if page.status != http.StatusOK || !strings.Contains(string(page.body), `name="lead_source" value="Partner Referral"`) {
		t.Errorf("settings page: %d, lacks the Lead Source field with its value", page.status)
	}
}

// F3.7, F4.1: the mapped qualification and UTM attributes are in the new
// Lead as it is created — a Lead field Salesforce requires can be mapped —
// not only written by the first full sync afterwards.
func TestCreateLeadAppliesMappedAttributes(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	for _, f := range []sfemu.FieldSpec{
		{Object: "Lead", Name: "UTM_Source__c", Type: "text"},
		{Object: "Lead", Name: "Budget__c", Type: "text"},
		{Object: "Lead", Name: "Region__c", Type: "text", Required: true},
	} {
		if err := in.sf.AddField(f); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []string{"budget", "region", "job_title"} {
		if err := in.ic.CustomAttribute("contact", a, "string"); err != nil {
			t.Fatal(err)
		}
	}
	in.putSettings(t, `{"mappings":[
		{"object":"lead","intercom":"utm_source","salesforce":"UTM_Source__c","direction":"to_salesforce"},
		{"object":"lead","intercom":"custom_attributes.budget","salesforce":"Budget__c","direction":"both"},
		{"object":"lead","intercom":"custom_attributes.region","salesforce":"Region__c","direction":"to_salesforce"},
		{"object":"lead","intercom":"location.country_code","salesforce":"Country","direction":"to_salesforce"},
		{"object":"lead","intercom":"custom_attributes.job_title","salesforce":"Title","direction":"to_intercom"}]}`)
	id, err := in.ic.MessengerCreateContact(map[string]any{"email": "quinn@qualified.example", "name": "Quinn Qualified",
		"utm_source": "newsletter", "location": map[string]any{"country_code": "PT"},
		"custom_attributes": map[string]any{"budget": "50k", "region": "EMEA", "job_title": "CTO"}})
	if err != nil {
		t.Fatal(err)
	}
	cs := in.canvas(t, "/canvas/submit", in.canvasBody("contact", map[string]any{"type": "contact", "id": id, "email": "quinn@qualified.example"},
		map[string]any{"component_id": "submit_lead", "input_values": map[string]any{"lead_email": "quinn@qualified.example"}}))
	mustContain(t, cs, "Lead created")
	leads := in.leadsWith("quinn@qualified.example")
	if len(leads) != 1 {
		t.Fatalf("%d Leads, want 1", len(leads))
	}
	l := leads[0]
	if l["UTM_Source__c"] != "newsletter" || l["Budget__c"] != "50k" || l["Region__c"] != "EMEA" || l["Country"] != "Portugal" {
		t.Errorf("Lead %v: the mapped attributes are not in it", l)
	}
	if l["Title"] != nil {
		t.Errorf("a mapping to Intercom wrote Title %v", l["Title"])
	}
	if l["LastName"] != "Qualified" || l["LeadSource"] != "Intercom" {
		t.Errorf("Lead %v", l)
	}
}
