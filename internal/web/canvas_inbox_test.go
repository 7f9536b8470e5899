package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
	"github.com/ferrysync/ferry/internal/web"
)

// The inbox app's bad input, end to end: the Intercom emulator plays the
// inbox (signed Initialize and Submit requests, every canvas checked
// against Canvas Kit's schema) and ferry reaches Salesforce through its
// emulator (issue 11). Each bad input gets a valid 200 canvas that says what
// happened, and nothing is created twice or half.

// throughInbox points the Intercom emulator's inbox at this ferry, with the
// app's client secret (secret "" is the right one).
func (in *inbox) throughInbox(t *testing.T, secret string) {
	t.Helper()
	in.setInboxApp(t, in.url, secret)
}

func (in *inbox) setInboxApp(t *testing.T, base, secret string) {
	t.Helper()
	if err := in.ic.SetInboxApp(icemu.InboxApp{InitializeURL: base + "/canvas/initialize", SubmitURL: base + "/canvas/submit", ClientSecret: secret}); err != nil {
		t.Fatal(err)
	}
}

// writesIn has a new Messenger contact (attrs as POST /contacts takes them)
// start a conversation; it returns the contact's and the conversation's ids.
func (in *inbox) writesIn(t *testing.T, attrs map[string]any) (contactID, conversationID string) {
	t.Helper()
	contactID, err := in.ic.MessengerCreateContact(attrs)
	if err != nil {
		t.Fatal(err)
	}
	conversationID, err = in.ic.StartConversation(contactID, "<p>Hello, I have a question.</p>")
	if err != nil {
		t.Fatal(err)
	}
	return contactID, conversationID
}

// open opens the app beside a conversation; ferry's answer must be a
// valid canvas.
func (in *inbox) open(t testing.TB, conv string) icemu.InboxView {
	t.Helper()
	v, err := in.ic.OpenInboxApp(t.Context(), conv, "")
	if err != nil {
		t.Fatal(err)
	}
	if v.Error != "" {
		t.Fatalf("the inbox shows Something went wrong: %s", v.Error)
	}
	return v
}

// click uses a component of the canvas shown; ferry's answer must be a
// valid canvas.
func (in *inbox) click(t *testing.T, conv string, click icemu.InboxClick) icemu.InboxView {
	t.Helper()
	v, err := in.ic.ClickComponent(t.Context(), conv, "", click)
	if err != nil {
		t.Fatal(err)
	}
	if v.Error != "" {
		t.Fatalf("the inbox shows Something went wrong after %s: %s", click.ComponentID, v.Error)
	}
	return v
}

// says checks that a view's canvas shows every want.
func says(t *testing.T, v icemu.InboxView, wants ...string) {
	t.Helper()
	mustContain(t, v.Components(), wants...)
}

// noLeads checks that no Lead has the email, and no inbox action was
// claimed and left behind.
func (in *inbox) noLeads(t *testing.T, email string) {
	t.Helper()
	if n := len(in.leadsWith(email)); n != 0 {
		t.Fatalf("%d Leads with %s, want none", n, email)
	}
	if n := in.mapJobs(t); n != 0 {
		t.Fatalf("%d map-record jobs, want none", n)
	}
}

// allValid checks that the inbox refused none of ferry's answers and logs
// how many it validated.
func (in *inbox) allValid(t *testing.T) {
	t.Helper()
	st := in.ic.InboxStats()
	if st.Refused != 0 {
		t.Fatalf("the inbox refused %d of ferry's answers", st.Refused)
	}
	t.Logf("canvases validated by the inbox: %d", st.Shown)
}

// leadForm opens the app beside a new conversation of a person not in
// Salesforce and opens the Create Lead form.
func (in *inbox) leadForm(t *testing.T, attrs map[string]any) (contactID, conv string) {
	t.Helper()
	contactID, conv = in.writesIn(t, attrs)
	says(t, in.open(t, conv), "Not in Salesforce", `"id":"create_lead"`)
	says(t, in.click(t, conv, icemu.InboxClick{ComponentID: "create_lead"}), "Create Lead", `"id":"submit_lead"`)
	return contactID, conv
}

var submitLead = icemu.InboxClick{ComponentID: "submit_lead"}

func TestInboxSignature(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	in.throughInbox(t, "not-the-app-secret")
	_, conv := in.writesIn(t, map[string]any{"role": "lead", "name": "Sig Nature", "email": "sig@nature.example"})
	before := in.sf.APICalls()
	v, err := in.ic.OpenInboxApp(t.Context(), conv, "")
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != http.StatusUnauthorized || v.Canvas != nil || !strings.Contains(v.Error, "answered 401") {
		t.Fatalf("wrongly signed initialize: %+v", v)
	}

	// The form opened with the right secret, then a submit signed wrongly.
	in.throughInbox(t, "")
	in.open(t, conv)
	in.click(t, conv, icemu.InboxClick{ComponentID: "create_lead"})
	in.throughInbox(t, "not-the-app-secret")
	v, err = in.ic.ClickComponent(t.Context(), conv, "", submitLead)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != http.StatusUnauthorized {
		t.Fatalf("wrongly signed submit: %+v", v)
	}
	in.noLeads(t, "sig@nature.example")
	if n := in.sf.APICalls() - before; n != 1 {
		// The one call is the view of the rightly signed initialize.
		t.Fatalf("%d Salesforce calls, want 1", n)
	}
	if st := in.ic.InboxStats(); st.Refused != 2 {
		t.Fatalf("inbox stats %+v, want the 2 wrongly signed answered 401", st)
	}
}

func TestCanvasMalformedRequests(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	before := in.sf.APICalls()
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"truncated", "/canvas/initialize", `{"workspace_id":`, "could not read this request"},
		{"empty body", "/canvas/submit", ``, "could not read this request"},
		{"an array", "/canvas/initialize", `[]`, "could not read this request"},
		{"workspace id of the wrong type", "/canvas/initialize", `{"workspace_id":5}`, "could not read this request"},
		{"contact not an object", "/canvas/initialize", `{"workspace_id":"` + in.workspace + `","contact":"c1"}`, "could not read this request"},
		{"input values not an object", "/canvas/submit", `{"workspace_id":"` + in.workspace + `","component_id":"submit_lead","input_values":[1]}`, "could not read this request"},
		{"trailing garbage", "/canvas/initialize", `{"workspace_id":"` + in.workspace + `"}}`, "could not read this request"},
		{"no person", "/canvas/submit", `{"workspace_id":"` + in.workspace + `","component_id":"submit_lead","input_values":{"lead_email":"x@y.example"}}`, "Create Lead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := in.post(t, tc.path, []byte(tc.body), icClientSecret)
			if res.status != http.StatusOK {
				t.Fatalf("status %d: %s", res.status, res.body)
			}
			c, err := icemu.ValidateCanvasResponse(res.body)
			if err != nil {
				t.Fatalf("Intercom would refuse the answer: %v\n%s", err, res.body)
			}
			mustContain(t, c.Components, tc.want)
		})
	}
	if n := in.sf.APICalls() - before; n != 0 {
		t.Fatalf("malformed requests made %d Salesforce calls", n)
	}
	if n := len(in.sf.Records("Lead")); n != 0 {
		t.Fatalf("%d Leads", n)
	}
}

// TestInboxOlderWorkspaceCustomerKey: older workspaces name the person
// "customer"; the app works the same.
func TestInboxOlderWorkspaceCustomerKey(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	if err := in.ic.SetInboxApp(icemu.InboxApp{InitializeURL: in.url + "/canvas/initialize", SubmitURL: in.url + "/canvas/submit",
		ContactKey: "customer"}); err != nil {
		t.Fatal(err)
	}
	_, conv := in.leadForm(t, map[string]any{"role": "lead", "name": "Cus Tomer", "email": "customer@example.com"})
	says(t, in.click(t, conv, submitLead), "Lead created", "Cus Tomer")
	if n := len(in.leadsWith("customer@example.com")); n != 1 {
		t.Fatalf("%d Leads, want 1", n)
	}
	in.allValid(t)
}

func TestInboxUnknownComponent(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	in.throughInbox(t, "")
	_, conv := in.writesIn(t, map[string]any{"role": "lead", "email": "who@what.example"})
	in.open(t, conv)
	// A tab showing a canvas of an older version of the app.
	says(t, in.click(t, conv, icemu.InboxClick{ComponentID: "launch_rocket", Stale: true}), "not known to ferry", "Reload the app")
	in.noLeads(t, "who@what.example")
	in.allValid(t)
}

func TestInboxStaleOrTamperedStoredData(t *testing.T) {
	t.Parallel()
	t.Run("the contact was merged since the form was shown", func(t *testing.T) {
		t.Parallel()
		in := setupInbox(t)
		in.throughInbox(t, "")
		lead, conv := in.leadForm(t, map[string]any{"role": "lead", "name": "Mer Ged", "email": "merged-lead@example.com"})
		user, err := in.ic.MessengerCreateContact(map[string]any{"role": "user", "name": "Mer Ged", "email": "merged-user@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		ic, err := in.manager.Intercom(t.Context(), in.connID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ic.MergeContacts(t.Context(), lead, user); err != nil {
			t.Fatal(err)
		}
		// The conversation is now the user's; the form was the lead's.
		v := in.click(t, conv, submitLead)
		says(t, v, "person changed", "nothing was done", "Not in Salesforce")
		if v.StoredData()["intercom_contact_id"] != user {
			t.Errorf("the new canvas is for %v, want the user %s", v.StoredData(), user)
		}
		in.noLeads(t, "merged-lead@example.com")
		in.noLeads(t, "merged-user@example.com")
		in.allValid(t)
	})
	t.Run("the contact was deleted since the form was shown", func(t *testing.T) {
		t.Parallel()
		in := setupInbox(t)
		in.throughInbox(t, "")
		contact, conv := in.leadForm(t, map[string]any{"role": "lead", "name": "Del Eted", "email": "deleted@example.com"})
		ic, err := in.manager.Intercom(t.Context(), in.connID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ic.DeleteContact(t.Context(), contact); err != nil {
			t.Fatal(err)
		}
		says(t, in.click(t, conv, submitLead), "no longer in Intercom", "Try again")
		in.noLeads(t, "deleted@example.com")
		in.allValid(t)
	})
	t.Run("stored_data names another contact", func(t *testing.T) {
		t.Parallel()
		in := setupInbox(t)
		in.throughInbox(t, "")
		other, _ := in.writesIn(t, map[string]any{"role": "lead", "name": "Other One", "email": "other@example.com"})
		_, conv := in.leadForm(t, map[string]any{"role": "lead", "name": "Real One", "email": "real@example.com"})
		tampered, _ := json.Marshal(map[string]string{"intercom_contact_id": other})
		says(t, in.click(t, conv, icemu.InboxClick{ComponentID: "submit_lead", StoredData: tampered}), "nothing was done")
		in.noLeads(t, "other@example.com")
		in.noLeads(t, "real@example.com")
		in.allValid(t)
	})
	t.Run("stored_data not ferry's", func(t *testing.T) {
		t.Parallel()
		in := setupInbox(t)
		in.throughInbox(t, "")
		_, conv := in.leadForm(t, map[string]any{"role": "lead", "name": "Plain Person", "email": "plain@example.com"})
		// Data ferry never writes cannot redirect the action: the signed
		// request's contact is the one the Lead is for, once.
		for _, sd := range []string{`"not an object"`, `{"intercom_contact_id":42}`, `{}`} {
			says(t, in.click(t, conv, icemu.InboxClick{ComponentID: "submit_lead", StoredData: json.RawMessage(sd), Stale: true}), "Salesforce Lead")
		}
		if n := len(in.leadsWith("plain@example.com")); n != 1 {
			t.Fatalf("%d Leads, want 1", n)
		}
		in.allValid(t)
	})
}

func TestInboxContactWithoutEmail(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	in.throughInbox(t, "")
	_, conv := in.writesIn(t, map[string]any{"role": "lead", "name": "No Mail"})
	v := in.open(t, conv)
	says(t, v, "no email address")
	if strings.Contains(shown(v.Components()), "create_lead") {
		t.Fatal("Create Lead offered for a contact without email")
	}
	says(t, in.click(t, conv, icemu.InboxClick{ComponentID: "create_lead", Stale: true}), "Cannot create a Lead", "no email address")
	// A submit without an email comes back as the form saying so.
	says(t, in.click(t, conv, icemu.InboxClick{ComponentID: "submit_lead", Stale: true, InputValues: map[string]any{"lead_name": "No Mail"}}),
		"no email address", `"style":"error"`)
	for _, l := range in.sf.Records("Lead") {
		if l["LastName"] == "Mail" {
			t.Fatalf("a Lead was created: %v", l)
		}
	}
	in.allValid(t)
}

func TestInboxCreateLeadSalesforceRefuses(t *testing.T) {
	t.Parallel()
	t.Run("a custom required field ferry does not fill", func(t *testing.T) {
		t.Parallel()
		in := setupInbox(t)
		in.throughInbox(t, "")
		if err := in.sf.AddField(sfemu.FieldSpec{Object: "Lead", Name: "Region__c", Type: "string", Required: true}); err != nil {
			t.Fatal(err)
		}
		_, conv := in.leadForm(t, map[string]any{"role": "lead", "name": "Reg Quired", "email": "req@example.com"})
		v := in.click(t, conv, icemu.InboxClick{ComponentID: "submit_lead", InputValues: map[string]any{"lead_company": "Typed Co"}})
		says(t, v, "Salesforce requires Region__c", `"style":"error"`, `"id":"submit_lead"`, `"value":"Typed Co"`)
		in.noLeads(t, "req@example.com")
		in.allValid(t)
	})
	t.Run("a restricted picklist without the value", func(t *testing.T) {
		t.Parallel()
		in := setupInbox(t)
		in.throughInbox(t, "")
		if err := in.sf.RestrictPicklist("Lead", "LeadSource", true); err != nil {
			t.Fatal(err)
		}
		_, conv := in.leadForm(t, map[string]any{"role": "lead", "name": "Pick List", "email": "pick@example.com"})
		says(t, in.click(t, conv, submitLead), "Salesforce refused the value of LeadSource", "Intercom", "picklist", `"id":"submit_lead"`)
		in.noLeads(t, "pick@example.com")
		// The Salesforce admin adds the value; the same form now works,
		// once.
		if err := in.sf.AddPicklistValue("Lead", "LeadSource", "Intercom"); err != nil {
			t.Fatal(err)
		}
		says(t, in.click(t, conv, submitLead), "Lead created", "Salesforce Lead")
		says(t, in.click(t, conv, icemu.InboxClick{ComponentID: "submit_lead", Stale: true}), "Salesforce Lead")
		if n := len(in.leadsWith("pick@example.com")); n != 1 {
			t.Fatalf("%d Leads, want 1", n)
		}
		if n := in.mapJobs(t); n != 1 {
			t.Fatalf("%d map-record jobs, want 1", n)
		}
		in.allValid(t)
	})
}

func TestInboxRevokedToken(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	in.throughInbox(t, "")
	_, conv := in.leadForm(t, map[string]any{"role": "lead", "name": "Rev Oked", "email": "revoked@example.com"})
	in.sf.RevokeAllTokens()
	says(t, in.click(t, conv, submitLead), "access to Salesforce was revoked", "reconnect Salesforce")
	says(t, in.open(t, conv), "access to Salesforce was revoked")
	in.noLeads(t, "revoked@example.com")
	// The connection shows it too, where the admin looks.
	st := in.connection(t, in.connID)
	if st.State == store.StateConnected {
		t.Errorf("connection state %q after the token was revoked", st.State)
	}
	in.allValid(t)
}

func TestInboxSalesforceDown(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	in.throughInbox(t, "")
	_, conv := in.leadForm(t, map[string]any{"role": "lead", "name": "Dow Nagain", "email": "down@example.com"})
	in.sf.SetFaults(sfemu.Faults{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable})
	says(t, in.click(t, conv, submitLead), "Salesforce is not answering right now", "Try again")
	says(t, in.open(t, conv), "Salesforce is not answering right now")
	in.noLeads(t, "down@example.com")
	in.sf.SetFaults(sfemu.Faults{})
	in.open(t, conv)
	in.click(t, conv, icemu.InboxClick{ComponentID: "create_lead"})
	says(t, in.click(t, conv, submitLead), "Lead created")
	if n := len(in.leadsWith("down@example.com")); n != 1 {
		t.Fatalf("%d Leads, want 1", n)
	}
	if n := in.mapJobs(t); n != 1 {
		t.Fatalf("%d map-record jobs, want 1", n)
	}
	in.allValid(t)
}

// TestInboxTwoInstancesOnPostgres: two ferry instances on one PostgreSQL
// database behind one address (a round-robin balancer, as Intercom sees
// them) take 20 identical Create Lead submits at once: one Lead.
func TestInboxTwoInstancesOnPostgres(t *testing.T) {
	t.Parallel()
	in := setupInboxOn(t, storetest.PostgresURL(t))
	served := in.twoInstances(t)
	_, conv := in.leadForm(t, map[string]any{"role": "lead", "name": "Twin Stance", "email": "twins@example.com"})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			v, err := in.ic.ClickComponent(t.Context(), conv, "", submitLead)
			if err != nil || v.Error != "" || !strings.Contains(shown(v.Components()), "Salesforce Lead") {
				t.Errorf("submit: %v %+v", err, v)
			}
		})
	}
	wg.Wait()
	if n := len(in.leadsWith("twins@example.com")); n != 1 {
		t.Fatalf("20 submits over two instances made %d Leads, want 1", n)
	}
	if n := in.mapJobs(t); n != 1 {
		t.Fatalf("%d map-record jobs, want 1", n)
	}
	if served[0].Load() == 0 || served[1].Load() == 0 {
		t.Fatalf("the balancer sent %d and %d requests: both instances must serve", served[0].Load(), served[1].Load())
	}
	in.allValid(t)
}

// twoInstances starts a second ferry on the bundle's database and points
// the Intercom emulator's inbox at a round-robin balancer in front of both;
// served counts the requests each instance got.
func (in *inbox) twoInstances(t *testing.T) (served []atomic.Int64) {
	t.Helper()
	second := in.secondInstance(t)
	var next atomic.Int64
	proxies := []*httputil.ReverseProxy{}
	for _, base := range []string{in.url, second} {
		u, _ := url.Parse(base)
		proxies = append(proxies, httputil.NewSingleHostReverseProxy(u))
	}
	served = make([]atomic.Int64, 2)
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := next.Add(1) % 2
		served[i].Add(1)
		proxies[i].ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	in.setInboxApp(t, lb.URL, "")
	return served
}

// secondInstance starts another ferry on the bundle's database (same
// secrets key and configuration) and returns its URL.
func (in *inbox) secondInstance(t *testing.T) string {
	t.Helper()
	st := storetest.Open(t, in.dbURL, store.Options{Secret: in.box})
	mgr := connection.NewManager(connection.Options{
		Store: st,
		Salesforce: salesforce.Config{LoginURL: in.sfURL, ClientID: sfemu.DefaultClientID,
			ClientSecret: sfemu.DefaultClientSecret, RedirectURL: in.cfg.SalesforceCallbackURL()},
		SalesforceAPIVersion: "62.0",
		IntercomURL:          in.icURL,
		Logger:               in.logger,
	})
	srv := web.New(web.Options{Store: st, Manager: mgr, Registry: prometheus.NewRegistry(), Logger: in.logger,
		DefaultConnectionID: in.connID, Config: in.cfg})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestInboxLogConversationUnmapped: a person the app shows by email, not
// mapped yet, gets the conversation logged on that record; several
// records with the email are not guessed between.
func TestInboxLogConversationUnmapped(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	in.throughInbox(t, "")
	contact := in.create(t, "Contact", map[string]any{"FirstName": "Una", "LastName": "Mapped", "Email": "una@unmapped.example"})
	_, conv := in.writesIn(t, map[string]any{"role": "user", "name": "Una Mapped", "email": "una@unmapped.example"})
	says(t, in.open(t, conv), "Salesforce Contact", "Una Mapped", `"id":"log_conversation"`)
	says(t, in.click(t, conv, icemu.InboxClick{ComponentID: "log_conversation"}), "What to log", "The whole conversation")
	logged := in.click(t, conv, icemu.InboxClick{ComponentID: "submit_log", InputValues: map[string]any{"log_part": "all"}})
	in.click(t, conv, icemu.InboxClick{ComponentID: "log_conversation"})
	says(t, in.click(t, conv, icemu.InboxClick{ComponentID: "submit_log", InputValues: map[string]any{"log_part": "all"}}), "already in Salesforce")
	tasks := in.tasksOn(contact)
	if n := len(tasks); n != 1 {
		t.Fatalf("%d Tasks on the Contact, want 1", n)
	}
	// The confirmation links the Task.
	says(t, logged, "logged to Salesforce as [a completed Task](", "/"+tasks[0]["Id"].(string)+")")

	in.create(t, "Lead", map[string]any{"LastName": "Twin", "Company": "T", "Email": "twin@unmapped.example"})
	in.create(t, "Contact", map[string]any{"LastName": "Twin", "Email": "twin@unmapped.example"})
	_, twin := in.writesIn(t, map[string]any{"role": "user", "email": "twin@unmapped.example"})
	says(t, in.open(t, twin), "Multiple matches found")
	says(t, in.click(t, twin, icemu.InboxClick{ComponentID: "submit_log", Stale: true, InputValues: map[string]any{"log_part": "all"}}), "Several Salesforce records have this person's email")
	if n := len(in.sf.Records("Task")); n != 1 {
		t.Fatalf("%d Tasks, want only Una's", n)
	}
	in.allValid(t)
}
