package settings

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/sync"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr string
		check   func(t *testing.T, d Document)
	}{
		{name: "empty object keeps defaults", in: `{}`, check: func(t *testing.T, d Document) {
			if !reflect.DeepEqual(d, Default()) {
				t.Errorf("Parse({}) = %+v, want Default()", d)
			}
		}},
		{name: "partial document", in: `{"poll_interval":"30s","identity":{"person":{"intercom":"external_id","salesforce":"Ext__c"}},
			"mappings":[{"object":"lead","intercom":"phone","salesforce":"Phone","direction":"both"}]}`, check: func(t *testing.T, d Document) {
			if d.Poll() != 30*time.Second {
				t.Errorf("Poll() = %v, want 30s", d.Poll())
			}
			if d.Identity.Person != (PersonKey{"external_id", "Ext__c"}) {
				t.Errorf("person key = %+v", d.Identity.Person)
			}
			if d.Identity.Company.Intercom != "company_id" {
				t.Errorf("company key lost its default: %+v", d.Identity.Company)
			}
			if len(d.Mappings) != 1 || d.Mappings[0].Salesforce != "Phone" {
				t.Errorf("mappings = %+v", d.Mappings)
			}
			if d.APIBudget != Default().APIBudget {
				t.Errorf("api_budget lost its defaults: %+v", d.APIBudget)
			}
		}},
		{name: "null mappings", in: `{"mappings":null}`, check: func(t *testing.T, d Document) {
			if d.Mappings == nil || len(d.Mappings) != 0 {
				t.Errorf("mappings = %#v, want empty", d.Mappings)
			}
		}},
		{name: "unknown top-level field", in: `{"pol_interval":"5m"}`, wantErr: `unknown field "pol_interval"`},
		{name: "unknown nested field", in: `{"mappings":[{"object":"lead","dir":"both"}]}`, wantErr: `mappings[0]: unknown field "dir"`},
		{name: "malformed", in: "{\n  \"poll_interval\": \"5m\",\n}", wantErr: "line 3, column 2: malformed JSON"},
		{name: "truncated", in: `{"mappings":[`, wantErr: "ends too early"},
		{name: "empty", in: ``, wantErr: "empty"},
		{name: "wrong type", in: "{\"api_budget\":{\"daily_limit\":\"lots\"}}", wantErr: "api_budget.daily_limit: line 1, column 36: want a number, got string"},
		{name: "wrong type in array", in: `{"mappings":[{"object":1}]}`, wantErr: "mappings[0].object: want a string, got number"},
		{name: "not an object", in: `[1]`, wantErr: "want a JSON object"},
		{name: "trailing data", in: `{} {}`, wantErr: "unexpected data after the document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, d)
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	for name, d := range map[string]Document{"default": Default(), "sample": Sample()} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := d.MarshalIndent()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse(MarshalIndent()): %v\n%s", err, b)
			}
			if !reflect.DeepEqual(got, d) {
				t.Errorf("round trip changed the document:\n got %+v\nwant %+v", got, d)
			}
			if ps := Check(d); len(ps) > 0 {
				t.Errorf("Check(%s) = %v, want no problems", name, ps)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	m := func(obj, ic, sf, dir string) Mapping { return Mapping{obj, ic, sf, dir} }
	tests := []struct {
		name   string
		modify func(d *Document)
		want   []Problem
	}{
		{"valid", func(d *Document) {}, nil},
		{"bad person key", func(d *Document) { d.Identity.Person = PersonKey{"user_id", ""} }, []Problem{
			{"identity.person.intercom", `must be one of email, external_id (got "user_id")`},
			{"identity.person.salesforce", "must name the Lead and Contact field matched against the Intercom key, e.g. Email"},
		}},
		{"bad company key", func(d *Document) { d.Identity.Company.Intercom = "name" }, []Problem{
			{"identity.company.intercom", `must be company_id, the only Intercom company key (got "name")`},
		}},
		{"bad mapping", func(d *Document) { d.Mappings = append(d.Mappings, m("contact", "", "", "two_way")) }, []Problem{
			{"mappings[7].object", `object must be one of lead, user, company (got "contact")`},
			{"mappings[7].intercom", "must name an Intercom attribute, e.g. phone or custom_attributes.job_title"},
			{"mappings[7].salesforce", "must name a Salesforce field, e.g. Phone"},
			{"mappings[7].direction", `direction must be one of to_salesforce, to_intercom, both (got "two_way")`},
		}},
		{"duplicate field", func(d *Document) {
			d.Mappings = append(d.Mappings, m("lead", "custom_attributes.mobile", "Phone", "to_salesforce"))
		}, []Problem{
			{"mappings[7].salesforce", "duplicate mapping for Lead.Phone (mappings[0] maps it already)"},
		}},
		{"same field on another object is fine", func(d *Document) {
			d.Mappings = d.Mappings[:1]
			d.Mappings = append(d.Mappings, m("user", "phone", "Phone", "both"))
		}, nil},
		{"attribute fed twice", func(d *Document) { d.Mappings = append(d.Mappings, m("lead", "phone", "MobilePhone", "to_intercom")) }, []Problem{
			{"mappings[7].intercom", "phone already receives values from Lead.Phone (mappings[0]); an attribute can receive values from one Salesforce field only"},
		}},
		{"attribute sent twice is fine", func(d *Document) { d.Mappings = append(d.Mappings, m("lead", "phone", "MobilePhone", "to_salesforce")) }, nil},
		{"company mappings without an Account key", func(d *Document) { d.Identity.Company.Salesforce = ""; d.Mappings = d.Mappings[4:5] }, []Problem{
			{"mappings[0].object", "company mappings need an Account key: set identity.company.salesforce (account sync is off without it)"},
		}},
		{"poll interval", func(d *Document) { d.PollInterval = "1s" }, []Problem{{"poll_interval", "must be at least 5s (got 1s)"}}},
		{"salesforce changes unknown", func(d *Document) { d.SalesforceChanges = "push" }, []Problem{{"salesforce_changes",
			`"push" is not one of "stream" (changes streamed as they happen, polling reconciles) or "poll" (polling only)`}}},
		{"reconcile interval", func(d *Document) { d.ReconcileInterval = "1s" }, []Problem{{"reconcile_interval", "must be at least 5s (got 1s)"}}},
		{"reconcile interval unparsable", func(d *Document) { d.ReconcileInterval = "hourly" }, []Problem{{"reconcile_interval", `"hourly" is not a duration; write e.g. "1h" or "30m"`}}},
		{"poll interval unparsable", func(d *Document) { d.PollInterval = "5 minutes" }, []Problem{{"poll_interval", `"5 minutes" is not a duration; write e.g. "5m" or "30s"`}}},
		{"budget", func(d *Document) {
			d.APIBudget = APIBudget{DailyLimit: 1000, ReserveInbox: -1, ReserveBackground: 1001}
		}, []Problem{
			{"api_budget.reserve_inbox", "must not be negative (got -1)"},
			{"api_budget", "reserve_inbox + reserve_background (1000) must be less than daily_limit (1000), or nothing is left for background sync"},
		}},
		{"cases", func(d *Document) { d.Cases.Owner = "me"; d.Cases.Fields = []string{"Subject", " "} }, []Problem{
			{"cases.owner", `must be one of salesforce, teammate (got "me")`},
			{"cases.fields[1]", "must name a Case field"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Sample()
			tt.modify(&d)
			if got := Check(d); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

// catalog is a small live schema: what the Salesforce describe and the
// Intercom data attributes endpoint would report.
func catalog() Catalog {
	text := func(obj, name string) sync.SFField {
		return sync.SFField{Object: obj, Name: name, Type: "string", Length: 80, Createable: true, Updateable: true, Nillable: true}
	}
	person := func(obj string) []sync.SFField {
		return []sync.SFField{
			{Object: obj, Name: "Email", Type: "email", Length: 80, Createable: true, Updateable: true, Nillable: true},
			{Object: obj, Name: "Phone", Type: "phone", Length: 40, Createable: true, Updateable: true, Nillable: true},
			{Object: obj, Name: "MobilePhone", Type: "phone", Length: 40, Createable: true, Updateable: true, Nillable: true},
			text(obj, "Title"),
			{Object: obj, Name: "Description", Type: "textarea", Length: 32000, Createable: true, Updateable: true, Nillable: true},
			{Object: obj, Name: "IsConverted", Type: "boolean"},
			{Object: obj, Name: "NumberOfEmployees", Type: "int", Createable: true, Updateable: true, Nillable: true},
			{Object: obj, Name: "Industry", Type: "picklist", PicklistValues: []string{"Banking", "Retail"}, RestrictedPicklist: true, Createable: true, Updateable: true, Nillable: true},
			{Object: obj, Name: "Ext__c", Type: "string", Length: 40, ExternalID: true, Createable: true, Updateable: true, Nillable: true},
			{Object: obj, Name: "Score__c", Type: "double", Createable: true, Updateable: true, Nillable: true},
			{Object: obj, Name: "LastSeen__c", Type: "datetime", Createable: true, Updateable: true, Nillable: true},
			{Object: obj, Name: "LeadSource", Type: "picklist", PicklistValues: []string{"Web", "Intercom"}, RestrictedPicklist: true, Createable: true, Updateable: true, Nillable: true},
		}
	}
	return Catalog{
		Salesforce: map[string][]sync.SFField{
			"Lead":    person("Lead"),
			"Contact": person("Contact"),
			"Account": {text("Account", "Name"), text("Account", "AccountNumber"),
				{Object: "Account", Name: "Website", Type: "url", Length: 255, Createable: true, Updateable: true, Nillable: true},
				{Object: "Account", Name: "NumberOfEmployees", Type: "int", Createable: true, Updateable: true, Nillable: true},
				{Object: "Account", Name: "CreatedDate", Type: "datetime"}},
			"Case": {text("Case", "Subject"), {Name: "CaseNumber", Type: "string"},
				{Name: "Description", Type: "textarea", Createable: true, Updateable: true, Nillable: true},
				{Name: "Priority", Type: "picklist", Createable: true, Updateable: true, Nillable: true}},
			"Task": {{Name: "Type", Type: "picklist", Createable: true, Updateable: true, Nillable: true,
				PicklistValues: []string{"Call", "Email", "Other"}}},
		},
		Intercom: map[string][]sync.ICAttribute{
			"contact": {
				{Name: "phone", FullName: "phone", DataType: "string", APIWritable: true},
				{Name: "email", FullName: "email", DataType: "string", APIWritable: true},
				{Name: "job_title", FullName: "custom_attributes.job_title", DataType: "string", APIWritable: true, Custom: true},
				{Name: "seats", FullName: "custom_attributes.seats", DataType: "integer", APIWritable: true, Custom: true},
				{Name: "industry", FullName: "custom_attributes.industry", DataType: "string", Options: []string{"Banking", "Travel"}, APIWritable: true, Custom: true},
				{Name: "last_seen_at", FullName: "last_seen_at", DataType: "date"},
				{Name: "vip", FullName: "custom_attributes.vip", DataType: "boolean", APIWritable: true, Custom: true},
			},
			"company": {
				{Name: "name", FullName: "name", DataType: "string", APIWritable: true},
				{Name: "website", FullName: "website", DataType: "string", APIWritable: true},
				{Name: "size", FullName: "size", DataType: "integer", APIWritable: true},
			},
		},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	m := func(obj, ic, sf, dir string) Mapping { return Mapping{obj, ic, sf, dir} }
	tests := []struct {
		name   string
		modify func(d *Document)
		want   []Problem
	}{
		{"sample is valid", func(d *Document) {}, nil},
		{"unknown field", func(d *Document) {
			d.Mappings = append(d.Mappings, m("lead", "custom_attributes.seats", "Foo__c", "to_salesforce"))
		}, []Problem{
			{"mappings[7].salesforce", "Lead.Foo__c does not exist or is hidden from the connected user"},
		}},
		{"unknown attribute", func(d *Document) {
			d.Mappings = append(d.Mappings, m("user", "job_title", "Description", "to_salesforce"))
		}, []Problem{
			{"mappings[7].intercom", "Intercom contact attribute job_title does not exist; create it as a data attribute or fix the name (custom attributes are written custom_attributes.NAME)"},
		}},
		{"read-only Salesforce field", func(d *Document) {
			d.Mappings = append(d.Mappings, m("lead", "custom_attributes.vip", "IsConverted", "both"))
		}, []Problem{
			{"mappings[7].direction", "Lead.IsConverted is read-only in Salesforce and cannot receive values from Intercom; use direction to_intercom"},
		}},
		{"read-only Salesforce field read into Intercom is fine", func(d *Document) {
			d.Mappings = append(d.Mappings, m("lead", "custom_attributes.vip", "IsConverted", "to_intercom"))
		}, nil},
		{"read-only Intercom attribute", func(d *Document) {
			d.Mappings = append(d.Mappings, m("user", "last_seen_at", "LastSeen__c", "both"))
		}, []Problem{
			{"mappings[7].direction", "Intercom attribute last_seen_at is read-only through the API and cannot receive values from Salesforce; use direction to_salesforce"},
		}},
		{"type mismatch", func(d *Document) {
			d.Mappings = append(d.Mappings, m("company", "size", "CreatedDate", "to_intercom"))
		}, []Problem{
			{"mappings[7].salesforce", "integer attribute size cannot map to Salesforce datetime field Account.CreatedDate"},
		}},
		{"incompatible", func(d *Document) {
			d.Mappings = append(d.Mappings, m("lead", "custom_attributes.seats", "Description", "to_salesforce"))
		}, []Problem{
			{"mappings[7].salesforce", "integer attribute custom_attributes.seats cannot map to Salesforce textarea field Lead.Description"},
		}},
		{"restricted picklist lacking list options", func(d *Document) {
			d.Mappings = append(d.Mappings, m("lead", "custom_attributes.industry", "Industry", "both"))
		}, []Problem{
			{"mappings[7]", "Lead.Industry is a restricted picklist without these options of the Intercom list custom_attributes.industry: Travel; add them to the picklist in Salesforce or remove them from the list"},
		}},
		{"restricted picklist read only from Salesforce is fine", func(d *Document) {
			d.Mappings = append(d.Mappings, m("lead", "custom_attributes.industry", "Industry", "to_intercom"))
		}, nil},
		{"identity fields", func(d *Document) {
			d.Identity.Person.Salesforce = "NumberOfEmployees"
			d.Identity.Company.Salesforce = "Missing__c"
		}, []Problem{
			{"identity.person.salesforce", "Lead.NumberOfEmployees is a int field; the person key must be a text field such as Email"},
			{"identity.person.salesforce", "Contact.NumberOfEmployees is a int field; the person key must be a text field such as Email"},
			{"identity.company.salesforce", "Account.Missing__c does not exist or is hidden from the connected user"},
		}},
		{"case fields", func(d *Document) { d.Cases.Fields = []string{"Subject", "CaseNumber", "Mood__c"} }, []Problem{
			{"cases.fields[1]", "Case.CaseNumber is read-only in Salesforce and cannot be set when creating a case"},
			{"cases.fields[2]", "Case.Mood__c does not exist or is hidden from the connected user"},
		}},
		{"a Lead Source the restricted picklist has", func(d *Document) { d.Leads.LeadSource = "Web" }, nil},
		{"no Lead Source", func(d *Document) { d.Leads.LeadSource = "" }, nil},
		{"a Lead Source the restricted picklist lacks", func(d *Document) { d.Leads.LeadSource = "Chat" }, []Problem{
			{"leads.lead_source", `the Salesforce Lead Source picklist is restricted and has no value "Chat" (it has: Web, Intercom)`},
		}},
		{"a Task Type the org has", func(d *Document) { d.Tasks.Type = "Email" }, nil},
		{"a Task Type the org lacks", func(d *Document) { d.Tasks.Type = "Chat" }, []Problem{
			{"tasks.type", `the Salesforce Task Type picklist has no value "Chat" (it has: Call, Email, Other)`},
		}},
		{"structural and schema problems together", func(d *Document) {
			d.PollInterval = "1s"
			d.Mappings = append(d.Mappings, m("lead", "phone", "Nope", "sideways"))
		}, []Problem{
			{"mappings[7].direction", `direction must be one of to_salesforce, to_intercom, both (got "sideways")`},
			{"poll_interval", "must be at least 5s (got 1s)"},
			{"mappings[7].salesforce", "Lead.Nope does not exist or is hidden from the connected user"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Sample()
			tt.modify(&d)
			if got := Validate(d, catalog()); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate:\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestBind(t *testing.T) {
	t.Parallel()
	got, ps := Bind(Sample(), catalog())
	if len(ps) > 0 {
		t.Fatalf("Bind(Sample()) problems: %v", ps)
	}
	if len(got) != len(Sample().Mappings) {
		t.Fatalf("Bind returned %d mappings, want %d", len(got), len(Sample().Mappings))
	}
	first := got[0]
	if first.Object != sync.ObjectLead || first.Field.Ref() != "Lead.Phone" || first.Field.Type != "phone" ||
		first.Attribute.FullName != "phone" || first.Direction != sync.DirBoth {
		t.Errorf("first mapping = %+v", first)
	}
	// A field gone from the schema leaves its own mapping out; the others
	// still bind and keep syncing.
	bad := Sample()
	bad.Mappings[0].Salesforce = "Nope"
	if got, ps := Bind(bad, catalog()); len(got) != len(Sample().Mappings)-1 || len(ps) != 1 || got[0].Field.Name == "Nope" {
		t.Errorf("Bind(one field gone) = %d mappings, %v; want all but that one and one problem", len(got), ps)
	}
	// A field that became read-only is still read: its two-way mapping
	// binds Salesforce to Intercom only; a mapping that only writes it
	// binds nothing. Both are named in the problems.
	ro := catalog()
	for _, obj := range []string{"Lead", "Account"} {
		for i, f := range ro.Salesforce[obj] {
			if f.Name == "Phone" || f.Name == "NumberOfEmployees" {
				ro.Salesforce[obj][i].Createable, ro.Salesforce[obj][i].Updateable = false, false
			}
		}
	}
	got, ps = Bind(Sample(), ro)
	if len(ps) != 2 || len(got) != len(Sample().Mappings)-1 {
		t.Errorf("Bind(Lead.Phone and Account.NumberOfEmployees read-only) = %d mappings, %v; want all but one and two problems", len(got), ps)
	}
	for _, m := range got {
		switch {
		case m.Field.Ref() == "Lead.Phone" && m.Direction != sync.DirToIntercom:
			t.Errorf("read-only Lead.Phone binds %s, want to_intercom", m.Direction)
		case m.Field.Ref() == "Account.NumberOfEmployees":
			t.Errorf("read-only Account.NumberOfEmployees binds %s, want nothing (the mapping only writes it)", m.Direction)
		case m.Field.Ref() == "Contact.Phone" && m.Direction != sync.DirBoth:
			t.Errorf("Contact.Phone binds %s, want both", m.Direction)
		}
	}
	// A document that fails Check binds nothing.
	broken := Sample()
	broken.Mappings[1].Direction = "sideways"
	if got, ps := Bind(broken, catalog()); got != nil || len(ps) != 1 {
		t.Errorf("Bind(broken document) = %v, %v; want no mappings and one problem", got, ps)
	}
}

func TestAPIBudgetAllows(t *testing.T) {
	t.Parallel()
	b := APIBudget{DailyLimit: 10000, ReserveInbox: 1000, ReserveBackground: 3000}
	tests := []struct {
		name         string
		budget       APIBudget
		used, orgRem int
		backfill     bool
		background   bool
		inbox        bool
	}{
		{"plenty left", b, 100, 500000, true, true, true},
		{"backfill stops first", b, 6000, 500000, false, true, true},
		{"background stops next", b, 9000, 500000, false, false, true},
		{"inbox keeps the remainder", b, 9999, 500000, false, false, true},
		{"ferry's budget spent", b, 10000, 500000, false, false, false},
		{"org nearly exhausted by other apps", b, 10, 2000, false, true, true},
		{"org exhausted", b, 10, 0, false, false, false},
		{"no ferry limit, org unknown", APIBudget{}, 123456, -1, true, true, true},
		{"no ferry limit, org low", APIBudget{ReserveInbox: 50}, 0, 40, false, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for lane, want := range map[Lane]bool{LaneBackfill: tt.backfill, LaneBackground: tt.background, LaneInbox: tt.inbox} {
				if got := tt.budget.Allows(lane, tt.used, tt.orgRem); got != want {
					t.Errorf("Allows(%s, used %d, org %d) = %v, want %v", lane, tt.used, tt.orgRem, got, want)
				}
			}
		})
	}
}
