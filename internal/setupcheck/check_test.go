package setupcheck_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/setupcheck"
	"github.com/ferrysync/ferry/internal/sync"
)

// fullSchema is an org where the connected user sees and can write every
// field ferry needs under settings.Sample.
func fullSchema() setupcheck.Schema {
	s := setupcheck.Schema{}
	add := func(obj string, names ...string) {
		for _, n := range names {
			s[obj] = append(s[obj], sync.SFField{Object: obj, Name: n, Type: "string", Createable: true, Updateable: true})
		}
	}
	add("Lead", "Id", "Email", "LastName", "FirstName", "Company", "Phone", "Status", "LeadSource", "OwnerId", "Title")
	add("Contact", "Id", "Email", "Phone", "Title")
	add("Account", "Id", "OwnerId", "AccountNumber", "Name", "Website", "NumberOfEmployees")
	add("Task", "Id", "Description", "ActivityDate", "Subject", "Type", "Status", "Priority", "OwnerId")
	s["Task"] = append(s["Task"], sync.SFField{Object: "Task", Name: "CreatedById", Type: "reference"}) // never writable
	return s
}

func without(s setupcheck.Schema, object, field string) setupcheck.Schema {
	out := setupcheck.Schema{}
	for o, fs := range s {
		out[o] = slices.DeleteFunc(slices.Clone(fs), func(f sync.SFField) bool { return o == object && f.Name == field })
	}
	return out
}

func readOnly(s setupcheck.Schema, object, field string) setupcheck.Schema {
	out := setupcheck.Schema{}
	for o, fs := range s {
		out[o] = slices.Clone(fs)
		for i := range out[o] {
			if o == object && out[o][i].Name == field {
				out[o][i].Createable, out[o][i].Updateable = false, false
			}
		}
	}
	return out
}

func TestCheck(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	needs := setupcheck.Needs(settings.Sample())
	tests := []struct {
		name        string
		schema      setupcheck.Schema
		wantMessage string
		wantFix     string
		off         []setupcheck.Feature
		mapped      []string
	}{
		{name: "every field visible and writable: no problem", schema: fullSchema()},
		{name: "CreatedById is only read, so read-only is fine", schema: readOnly(fullSchema(), "Task", "CreatedById")},
		{
			name:        "hidden Task.Type turns tasks off with the exact message and fix",
			schema:      without(fullSchema(), "Task", "Type"),
			wantMessage: "ferry requires these fields in the Salesforce Task object: Type",
			wantFix:     "Object Manager > Task > Fields & Relationships > Type > Set Field-Level Security > Visible",
			off:         []setupcheck.Feature{setupcheck.Tasks},
		},
		{
			name:        "two hidden Task fields are one problem listing both, in the documented order",
			schema:      without(without(fullSchema(), "Task", "Type"), "Task", "Priority"),
			wantMessage: "ferry requires these fields in the Salesforce Task object: Type, Priority",
			wantFix: "Object Manager > Task > Fields & Relationships > Type > Set Field-Level Security > Visible; " +
				"Object Manager > Task > Fields & Relationships > Priority > Set Field-Level Security > Visible",
			off: []setupcheck.Feature{setupcheck.Tasks},
		},
		{
			name:        "a hidden mapped field pauses its mapping only; no feature is off",
			schema:      without(fullSchema(), "Lead", "Title"),
			wantMessage: "ferry requires these fields in the Salesforce Lead object: Title",
			wantFix:     "Object Manager > Lead > Fields & Relationships > Title > Set Field-Level Security > Visible",
			mapped:      []string{"Title"},
		},
		{
			name:        "a hidden field both required and mapped turns its feature off and pauses the mapping",
			schema:      without(fullSchema(), "Lead", "Phone"),
			wantMessage: "ferry requires these fields in the Salesforce Lead object: Phone",
			off:         []setupcheck.Feature{setupcheck.LeadCreation},
			mapped:      []string{"Phone"},
		},
		{
			name:        "a hidden person key stops user sync",
			schema:      without(fullSchema(), "Contact", "Email"),
			wantMessage: "ferry requires these fields in the Salesforce Contact object: Email",
			off:         []setupcheck.Feature{setupcheck.UserSync},
		},
		{
			name:        "a hidden company key stops account sync",
			schema:      without(fullSchema(), "Account", "AccountNumber"),
			wantMessage: "ferry requires these fields in the Salesforce Account object: AccountNumber",
			off:         []setupcheck.Feature{setupcheck.AccountSync},
		},
		{
			name:        "a read-only field ferry creates records with",
			schema:      readOnly(fullSchema(), "Task", "Subject"),
			wantMessage: "ferry needs to write these fields in the Salesforce Task object, which are read-only for the connected user: Subject",
			wantFix:     "Object Manager > Task > Fields & Relationships > Subject > Set Field-Level Security > Visible, and clear Read-Only",
			off:         []setupcheck.Feature{setupcheck.Tasks},
		},
		{
			name:   "a read-only field mapped to Salesforce pauses its mapping",
			schema: readOnly(fullSchema(), "Contact", "Title"),
			wantMessage: "ferry needs to write these fields in the Salesforce Contact object, which are read-only for the connected user: Title; " +
				"changes from Intercom to them are kept and written once they are writable, and two-way mappings still bring Salesforce's changes to Intercom",
			mapped: []string{"Title"},
		},
		{
			name: "an object the user cannot see",
			schema: func() setupcheck.Schema {
				s := fullSchema()
				delete(s, "Task")
				return s
			}(),
			wantMessage: "ferry requires the Salesforce Task object, which the connected user cannot see",
			off:         []setupcheck.Feature{setupcheck.Tasks},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := setupcheck.Check(needs, tt.schema, setupcheck.Result{}, now)
			if tt.wantMessage == "" {
				if !res.OK || len(res.Problems) != 0 {
					t.Fatalf("want no problem, got %+v", res.Problems)
				}
				for _, f := range setupcheck.Features {
					if ok, why := res.Feature(f); !ok {
						t.Errorf("feature %s off: %s", f, why)
					}
				}
				return
			}
			if res.OK || len(res.Problems) != 1 {
				t.Fatalf("want one problem, got %+v", res.Problems)
			}
			p := res.Problems[0]
			if !strings.HasPrefix(p.Message, tt.wantMessage) {
				t.Errorf("message = %q, want %q", p.Message, tt.wantMessage)
			}
			if tt.wantFix != "" && p.Fix != tt.wantFix {
				t.Errorf("fix = %q, want %q", p.Fix, tt.wantFix)
			}
			if !slices.Equal(p.Mapped, tt.mapped) {
				t.Errorf("mapped = %v, want %v", p.Mapped, tt.mapped)
			}
			for _, f := range setupcheck.Features {
				ok, why := res.Feature(f)
				if slices.Contains(tt.off, f) {
					if ok || why != p.Message {
						t.Errorf("Feature(%s) = %v, %q; want off with %q", f, ok, why, p.Message)
					}
				} else if !ok {
					t.Errorf("Feature(%s) off (%s); want on", f, why)
				}
			}
		})
	}
}

// A problem seen again keeps the time it was first seen (kept changes are
// read back from then), and a mapped field that is back is reported as
// returned.
func TestCheckSinceAndReturned(t *testing.T) {
	t.Parallel()
	needs := setupcheck.Needs(settings.Sample())
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	first := setupcheck.Check(needs, without(fullSchema(), "Lead", "Title"), setupcheck.Result{}, t0)
	again := setupcheck.Check(needs, without(fullSchema(), "Lead", "Title"), first, t0.Add(time.Hour))
	if got := again.Since("Lead", "Title"); !got.Equal(t0) {
		t.Fatalf("Since = %v, want the first sighting %v", got, t0)
	}
	if r := again.Returned(first); len(r) != 0 {
		t.Fatalf("still hidden, yet returned: %v", r)
	}
	back := setupcheck.Check(needs, fullSchema(), again, t0.Add(2*time.Hour))
	if r := back.Returned(again); !slices.Equal(r, []string{"Lead.Title"}) {
		t.Fatalf("Returned = %v, want [Lead.Title]", r)
	}
	ro := setupcheck.Check(needs, readOnly(fullSchema(), "Contact", "Title"), back, t0.Add(3*time.Hour))
	if !ro.Paused("Contact", "Title") || ro.Missing("Contact", "Title") {
		t.Fatal("a read-only mapped field is not paused")
	}
	if r := setupcheck.Check(needs, fullSchema(), ro, t0.Add(4*time.Hour)).Returned(ro); !slices.Equal(r, []string{"Contact.Title"}) {
		t.Fatalf("writable again: Returned = %v, want [Contact.Title]", r)
	}
	if !again.Missing("Lead", "title") || back.Missing("Lead", "Title") {
		t.Fatal("Missing disagrees with the problems")
	}
}

// Mapped fields, the keys and the fixed list are all needs; account
// mappings count only with account sync on.
func TestNeeds(t *testing.T) {
	t.Parallel()
	doc := settings.Default()
	doc.Identity.Person.Salesforce = "Intercom_ID__c"
	doc.Mappings = []settings.Mapping{
		{Object: "lead", Intercom: "phone", Salesforce: "MobilePhone", Direction: "to_intercom"},
		{Object: "user", Intercom: "custom_attributes.tier", Salesforce: "Tier__c", Direction: "both"},
		{Object: "company", Intercom: "name", Salesforce: "Name", Direction: "both"},
	}
	got := map[string]setupcheck.Need{}
	for _, n := range setupcheck.Needs(doc) {
		got[n.Object+"."+n.Field+"/"+string(n.Feature)] = n
	}
	for k, want := range map[string]setupcheck.Need{
		"Lead.Intercom_ID__c/lead_sync":    {Object: "Lead", Field: "Intercom_ID__c", Access: setupcheck.Read, Feature: setupcheck.LeadSync},
		"Contact.Intercom_ID__c/user_sync": {Object: "Contact", Field: "Intercom_ID__c", Access: setupcheck.Read, Feature: setupcheck.UserSync},
		"Lead.MobilePhone/":                {Object: "Lead", Field: "MobilePhone", Access: setupcheck.Read, Mapped: true},
		"Contact.Tier__c/":                 {Object: "Contact", Field: "Tier__c", Access: setupcheck.Update, Mapped: true},
		"Task.Type/tasks":                  {Object: "Task", Field: "Type", Access: setupcheck.Create, Feature: setupcheck.Tasks},
		"Task.CreatedById/tasks":           {Object: "Task", Field: "CreatedById", Access: setupcheck.Read, Feature: setupcheck.Tasks},
	} {
		if got[k] != want {
			t.Errorf("need %s = %+v, want %+v", k, got[k], want)
		}
	}
	if _, ok := got["Account.Name/"]; ok {
		t.Error("an Account mapping is a need while account sync is off")
	}
}

// TestAddNoChangeEvents: objects without change events are one problem
// saying where to enable them; it keeps the time it was first seen, and no
// object adds nothing.
func TestAddNoChangeEvents(t *testing.T) {
	t.Parallel()
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	res := setupcheck.Result{CheckedAt: first, OK: true, Problems: []setupcheck.Problem{}}
	res.AddNoChangeEvents(nil, setupcheck.Result{})
	if !res.OK || len(res.Problems) != 0 {
		t.Fatalf("no object: %+v, want still OK", res)
	}
	res.AddNoChangeEvents([]string{"Contact"}, setupcheck.Result{})
	if res.OK || len(res.Problems) != 1 {
		t.Fatalf("result = %+v, want one problem", res)
	}
	p := res.Problems[0]
	if p.Kind != setupcheck.KindNoChangeEvents || !strings.Contains(p.Message, "Contact") ||
		!strings.Contains(p.Fix, "Integrations > Change Data Capture") || !p.Since.Equal(first) {
		t.Errorf("problem = %+v", p)
	}
	later := setupcheck.Result{CheckedAt: first.Add(time.Hour), OK: true, Problems: []setupcheck.Problem{}}
	later.AddNoChangeEvents([]string{"Contact"}, res)
	if !later.Problems[0].Since.Equal(first) {
		t.Errorf("Since = %v, want the first check's %v", later.Problems[0].Since, first)
	}
}
