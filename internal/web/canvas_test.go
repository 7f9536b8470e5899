package web_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// inbox is a ferry server connected to both emulators, ready for inbox app
// requests.
type inbox struct {
	*bundle
	workspace string
}

func setupInbox(t *testing.T) *inbox {
	t.Helper()
	return setupInboxOn(t, storetest.SQLiteURL(t))
}

func setupInboxOn(t *testing.T, databaseURL string) *inbox {
	t.Helper()
	b := setupOn(t, databaseURL)
	b.connectSalesforce(t, b.connID)
	b.connectIntercomToken(t, b.connID)
	return &inbox{bundle: b, workspace: b.ic.AppID()}
}

// canvasBody builds an inbox app request for a contact; key is "contact"
// or "customer".
func (in *inbox) canvasBody(key string, contact map[string]any, extra map[string]any) []byte {
	body := map[string]any{
		"workspace_id": in.workspace, "workspace_region": "us",
		"admin":        map[string]any{"type": "admin", "id": "991", "name": "Tess Teammate", "email": "tess@example.com"},
		"conversation": map[string]any{"type": "conversation", "id": "1234567890", "created_at": 1633532241},
		key:            contact,
	}
	for k, v := range extra {
		body[k] = v
	}
	data, _ := json.Marshal(body)
	return data
}

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// post sends a signed (secret != "") inbox app request.
func (in *inbox) post(t *testing.T, path string, body []byte, secret string) response {
	t.Helper()
	var hdr []string
	if secret != "" {
		hdr = []string{"X-Body-Signature", sign(secret, body)}
	}
	return in.do(t, http.MethodPost, path, "", string(body), hdr...)
}

// canvas posts a signed request and returns its canvas's components after
// checking the answer is a 200 canvas within Intercom's limit.
func (in *inbox) canvas(t *testing.T, path string, body []byte) []map[string]any {
	t.Helper()
	res := in.post(t, path, body, icClientSecret)
	if res.status != http.StatusOK {
		t.Fatalf("%s: status %d: %s", path, res.status, res.body)
	}
	var out struct {
		Canvas struct {
			Content struct {
				Components []map[string]any `json:"components"`
			} `json:"content"`
		} `json:"canvas"`
	}
	if err := json.Unmarshal(res.body, &out); err != nil {
		t.Fatalf("%s: not a canvas: %v: %s", path, err, res.body)
	}
	if len(res.body) > 64<<10 {
		t.Fatalf("%s: canvas of %d bytes", path, len(res.body))
	}
	// Intercom's own check (as the emulator plays it): documented
	// components with their required fields, option counts, sizes.
	if _, err := icemu.ValidateCanvasResponse(res.body); err != nil {
		t.Fatalf("%s: Intercom would refuse this canvas: %v: %s", path, err, res.body)
	}
	return out.Canvas.Content.Components
}

// shown is every text of a canvas (texts, table fields and values, list
// items, button labels, dropdown options) in one string.
func shown(cs []map[string]any) string {
	data, _ := json.Marshal(cs)
	return string(data)
}

func mustContain(t *testing.T, cs []map[string]any, wants ...string) {
	t.Helper()
	s := shown(cs)
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("canvas lacks %q:\n%s", w, s)
		}
	}
}

func (in *inbox) create(t *testing.T, object string, fields map[string]any) string {
	t.Helper()
	id, err := in.sf.CreateRecord(object, fields)
	if err != nil {
		t.Fatalf("create %s: %v", object, err)
	}
	return id
}

func TestCanvasRefusesUnsignedRequests(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	body := in.canvasBody("contact", map[string]any{"type": "contact", "id": "c1", "email": "x@example.com"}, nil)
	before := in.sf.APICalls()
	for _, path := range []string{"/canvas/initialize", "/canvas/submit"} {
		for name, secret := range map[string]string{"unsigned": "", "wrong secret": "not-the-secret"} {
			if res := in.post(t, path, body, secret); res.status != http.StatusUnauthorized {
				t.Errorf("%s %s: status %d, want 401", path, name, res.status)
			}
		}
		// A signature of another body is refused too.
		res := in.do(t, http.MethodPost, path, "", string(body), "X-Body-Signature", sign(icClientSecret, append(body, ' ')))
		if res.status != http.StatusUnauthorized {
			t.Errorf("%s: signature of another body: status %d, want 401", path, res.status)
		}
	}
	if n := in.sf.APICalls() - before; n != 0 {
		t.Fatalf("refused requests made %d Salesforce calls", n)
	}
}

func TestCanvasShowsContactAccountOpportunitiesAndCases(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	acct := in.create(t, "Account", map[string]any{"Name": "Acme Rockets", "Website": "https://www.acme-rockets.com", "BillingCountry": "Portugal"})
	contact := in.create(t, "Contact", map[string]any{"FirstName": "Ann", "LastName": "Ito", "Email": "ann@acme-rockets.com", "AccountId": acct})
	in.create(t, "Opportunity", map[string]any{"Name": "Renewal 2027", "StageName": "Negotiation/Review", "CloseDate": "2027-03-01", "Amount": 12000, "AccountId": acct})
	second := in.create(t, "Opportunity", map[string]any{"Name": "Upsell boosters", "StageName": "Prospecting", "CloseDate": "2026-11-15", "Amount": 4500.5, "AccountId": acct})
	in.create(t, "Case", map[string]any{"Subject": "Engine will not start", "ContactId": contact, "Priority": "High"})
	in.create(t, "Case", map[string]any{"Subject": "Invoice question", "ContactId": contact, "Status": "Working"})
	in.create(t, "Case", map[string]any{"Subject": "Old and done", "ContactId": contact, "Status": "Closed"})

	before := in.sf.APICalls()
	cs := in.canvas(t, "/canvas/initialize", in.canvasBody("contact", map[string]any{"type": "contact", "id": "ic_ann", "role": "user", "email": "ann@acme-rockets.com", "name": "Ann"}, nil))
	if n := in.sf.APICalls() - before; n > 2 {
		t.Errorf("initialize made %d Salesforce calls, want at most 2", n)
	} else {
		t.Logf("Salesforce calls for a Contact with Account, 2 Opportunities and 3 Cases: %d", n)
	}
	mustContain(t, cs, "Salesforce Contact", "Ann Ito", "ann@acme-rockets.com", "Account owner", "Admin User",
		"Open in Salesforce", "/"+contact, "Acme Rockets", "acme-rockets.com", "Portugal",
		"Opportunities (2)", "Renewal 2027", "Negotiation/Review", "2027-03-01", "12,000",
		"Open cases (2)", "Engine will not start", "High priority", "Working · Medium priority")
	if strings.Contains(shown(cs), "Old and done") {
		t.Error("a closed case is listed as open")
	}
	if !strings.Contains(shown(cs), `"type":"dropdown"`) {
		t.Error("two opportunities but no dropdown to switch between them")
	}

	// The dropdown switches to the other Opportunity.
	cs = in.canvas(t, "/canvas/submit", in.canvasBody("contact", map[string]any{"type": "contact", "id": "ic_ann", "email": "ann@acme-rockets.com"},
		map[string]any{"component_id": "show_opportunity", "input_values": map[string]any{"opportunity": second}}))
	mustContain(t, cs, "Prospecting", "2026-11-15", "4,500.50")

	// Older workspaces send the person as "customer".
	cs = in.canvas(t, "/canvas/initialize", in.canvasBody("customer", map[string]any{"type": "user", "id": "ic_ann", "email": "ann@acme-rockets.com"}, nil))
	mustContain(t, cs, "Salesforce Contact", "Ann Ito")
}

func TestCanvasShowsLeadConvertedLeadMultipleAndNone(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	lead := in.create(t, "Lead", map[string]any{"FirstName": "Lou", "LastName": "Lead", "Company": "Lou's Bikes", "Email": "lou@bikes.example", "Status": "Working - Contacted"})
	conv := in.create(t, "Lead", map[string]any{"FirstName": "Cora", "LastName": "Convert", "Company": "Cora Co", "Email": "cora@cora.example"})
	res, err := in.sf.ConvertLead(sfemu.LeadConvert{LeadID: conv, DoNotCreateOpportunity: true})
	if err != nil {
		t.Fatal(err)
	}
	twinCo := in.create(t, "Account", map[string]any{"Name": "Twin Holdings"})
	in.create(t, "Contact", map[string]any{"LastName": "Twin One", "Email": "twin@example.com", "AccountId": twinCo})
	in.create(t, "Contact", map[string]any{"LastName": "Twin Two", "Email": "twin@example.com"})
	in.create(t, "Lead", map[string]any{"LastName": "Twin Three", "Company": "Twin Startup", "Email": "twin@example.com", "Status": "Working - Contacted"})

	person := func(email string) []byte {
		return in.canvasBody("contact", map[string]any{"type": "contact", "id": "ic_" + email, "role": "lead", "email": email}, nil)
	}
	for _, tc := range []struct {
		name  string
		body  []byte
		wants []string
	}{
		{"lead", person("lou@bikes.example"), []string{"Salesforce Lead", "Lou Lead", "Lou's Bikes", "Working - Contacted", "Admin User", "/" + lead}},
		{"converted lead shows its contact", person("cora@cora.example"), []string{"Salesforce Contact", "Cora Convert", "/" + res.ContactID, "Cora Co"}},
		// Each match says what tells them apart: the Account or company,
		// a Lead's status, the owner.
		{"several matches", person("twin@example.com"), []string{"Multiple matches found", "3 Salesforce records", "Twin One", "Twin Two",
			`"subtitle":"Contact · Twin Holdings","tertiary_text":"Owner: Admin User"`, `"subtitle":"Contact"`,
			`"subtitle":"Lead · Twin Startup","tertiary_text":"Working - Contacted · Owner: Admin User"`}},
		{"not in Salesforce", person("nobody@example.com"), []string{"Not in Salesforce"}},
		{"no email", in.canvasBody("contact", map[string]any{"type": "contact", "id": "ic_anon", "role": "lead"}, nil), []string{"no email address"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := in.sf.APICalls()
			mustContain(t, in.canvas(t, "/canvas/initialize", tc.body), tc.wants...)
			n := in.sf.APICalls() - before
			if n > 2 {
				t.Errorf("initialize made %d Salesforce calls, want at most 2", n)
			}
			t.Logf("Salesforce calls: %d", n)
		})
	}
}

func TestCanvasFailuresAnswerWithACanvas(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	body := in.canvasBody("contact", map[string]any{"type": "contact", "id": "ic_1", "email": "ann@example.com"}, nil)

	// A signed request that is not JSON.
	mustContain(t, in.canvas(t, "/canvas/initialize", []byte(`{"workspace_id":`)), "could not read this request")
	// A component the app never rendered.
	mustContain(t, in.canvas(t, "/canvas/submit", in.canvasBody("contact", map[string]any{"id": "ic_1"}, map[string]any{"component_id": "launch_rocket"})),
		"not known to ferry", "Reload the app")

	// Salesforce answering 503.
	in.sf.SetFaults(sfemu.Faults{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable})
	mustContain(t, in.canvas(t, "/canvas/initialize", body), "Salesforce is not answering right now", "Try again")
	in.sf.SetFaults(sfemu.Faults{})

	// API access switched off for the org.
	in.sf.SetAPIEnabled(false)
	mustContain(t, in.canvas(t, "/canvas/initialize", body), "refuses API access", "Salesforce admin")
	in.sf.SetAPIEnabled(true)

	mustContain(t, in.canvas(t, "/canvas/initialize", body), "Not in Salesforce")
}
