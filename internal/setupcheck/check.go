// Package setupcheck holds the rules of the setup check (F1.4): which
// Salesforce fields ferry needs, for which feature, and with what access;
// what to tell an admin when one is missing, hidden or read-only; and which
// features are off because of it. It is pure: the engine describes the
// objects and stores the [Result]; the API, the CLI and the admin UI show
// it, and features such as task or lead creation ask [Result.Feature]
// before they start instead of failing record by record.
package setupcheck

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/sync"
)

// Feature names a part of ferry that needs Salesforce fields.
type Feature string

// The features the setup check decides on.
const (
	// LeadSync syncs Intercom leads with Salesforce Leads: it needs the
	// person key on Lead.
	LeadSync Feature = "lead_sync"
	// UserSync syncs Intercom users with Salesforce Contacts: it needs the
	// person key and Email on Contact.
	UserSync Feature = "user_sync"
	// AccountSync syncs Intercom companies with Salesforce Accounts: it
	// needs the company key on Account. Only checked when account sync is
	// configured.
	AccountSync Feature = "account_sync"
	// LeadCreation creates Salesforce Leads from Intercom.
	LeadCreation Feature = "lead_creation"
	// Tasks logs conversations as Salesforce Tasks.
	Tasks Feature = "tasks"
	// Ownership maps Salesforce owners to Intercom teammates.
	Ownership Feature = "ownership"
)

// Features lists every feature, in the order results show them.
var Features = []Feature{LeadSync, UserSync, AccountSync, LeadCreation, Tasks, Ownership}

// Access is what ferry does with a field.
type Access int

// The accesses, from least to most.
const (
	// Read: the field must be visible to the connected user.
	Read Access = iota
	// Create: visible and settable when ferry creates a record.
	Create
	// Update: visible and editable on existing records.
	Update
)

// Need is one field ferry needs.
type Need struct {
	Object string // sObject name: "Lead", "Task"
	Field  string // API name: "Type", "Title__c"
	Access Access
	// Feature is the feature that is off while the need is unmet; "" for a
	// mapped field, which pauses only its own mapping.
	Feature Feature
	// Mapped: an attribute mapping of the settings names the field.
	Mapped bool
}

// required is the fixed list of fields ferry needs, by feature (the list
// Intercom's own Salesforce app documents).
var required = []Need{
	{"Lead", "Email", Create, LeadCreation, false},
	{"Lead", "LastName", Create, LeadCreation, false},
	{"Lead", "FirstName", Create, LeadCreation, false},
	{"Lead", "Company", Create, LeadCreation, false},
	{"Lead", "Phone", Create, LeadCreation, false},
	{"Lead", "Status", Create, LeadCreation, false},
	{"Lead", "LeadSource", Create, LeadCreation, false},
	{"Lead", "OwnerId", Create, LeadCreation, false},
	{"Contact", "Email", Read, UserSync, false},
	{"Account", "OwnerId", Read, Ownership, false},
	{"Task", "Description", Create, Tasks, false},
	{"Task", "CreatedById", Read, Tasks, false},
	{"Task", "ActivityDate", Create, Tasks, false},
	{"Task", "Subject", Create, Tasks, false},
	{"Task", "Type", Create, Tasks, false},
	{"Task", "Status", Create, Tasks, false},
	{"Task", "Priority", Create, Tasks, false},
	{"Task", "OwnerId", Create, Tasks, false},
}

// Objects are the sObjects the check describes.
var Objects = []string{"Lead", "Contact", "Account", "Task"}

// Needs returns every field ferry needs under doc: the fixed list, the
// person and company keys, and every mapped field (writable when the
// mapping sends values to Salesforce).
func Needs(doc settings.Document) []Need {
	out := slices.Clone(required)
	if key := doc.Identity.Person.Salesforce; key != "" {
		out = append(out, Need{"Lead", key, Read, LeadSync, false}, Need{"Contact", key, Read, UserSync, false})
	}
	if key := doc.Identity.Company.Salesforce; key != "" {
		out = append(out, Need{"Account", key, Read, AccountSync, false})
	}
	for _, m := range doc.Mappings {
		obj := sync.Object(m.Object).SObject()
		if obj == "" || m.Salesforce == "" {
			continue
		}
		if obj == "Account" && doc.Identity.Company.Salesforce == "" {
			continue // account sync is off: the mapping is not used
		}
		acc := Read
		if sync.Direction(m.Direction).Allows(sync.Intercom) {
			acc = Update
		}
		out = append(out, Need{Object: obj, Field: m.Salesforce, Access: acc, Mapped: true})
	}
	return out
}

// Problem kinds.
const (
	// KindMissing: the field does not exist or is hidden from the
	// connected user by field-level security (describe cannot tell which).
	KindMissing = "missing"
	// KindReadOnly: the field is visible but ferry cannot write it.
	KindReadOnly = "read_only"
	// KindNoObject: the connected user cannot see the object at all.
	KindNoObject = "no_object"
	// KindNoChangeEvents: Salesforce sends no change events for the
	// object (Change Data Capture is not enabled for it), so its changes
	// are found by polling only.
	KindNoChangeEvents = "no_change_events"
)

// AddNoChangeEvents adds to r the problem that Salesforce streams no
// change events for objects, with where to enable them; ferry polls those
// objects at the normal interval meanwhile. A problem r's previous result
// prev already had keeps its Since.
func (r *Result) AddNoChangeEvents(objects []string, prev Result) {
	if len(objects) == 0 {
		return
	}
	p := Problem{Object: strings.Join(objects, ", "), Kind: KindNoChangeEvents, Fields: []string{},
		Message: "Salesforce sends no change events for " + strings.Join(objects, ", ") +
			": ferry finds their changes by polling, minutes late instead of seconds",
		Fix: "In Salesforce Setup, open Integrations > Change Data Capture and move " + strings.Join(objects, ", ") +
			" to Selected Entities, then save",
		Since: r.CheckedAt}
	for _, old := range prev.Problems {
		if old.Kind == KindNoChangeEvents && !old.Since.IsZero() {
			p.Since = old.Since
		}
	}
	r.Problems = append(r.Problems, p)
	r.OK = false
}

// Problem is one unmet need, grouped per object and kind: what is wrong,
// how to fix it in Salesforce, and what is off meanwhile.
type Problem struct {
	Object string   `json:"object"`
	Kind   string   `json:"kind"`
	Fields []string `json:"fields"`
	// Message is the exact text to show, e.g. "ferry requires these fields
	// in the Salesforce Task object: Type".
	Message string `json:"message"`
	// Fix is where to click in Salesforce, one path per field.
	Fix string `json:"fix"`
	// Features are the features off because of it.
	Features []Feature `json:"features,omitempty"`
	// Mapped are the fields whose attribute mappings are paused: the other
	// fields keep syncing, and changes to these are kept and written once
	// they are back.
	Mapped []string `json:"mapped,omitempty"`
	// Since is when ferry first saw the problem.
	Since time.Time `json:"since"`
}

// FeatureStatus says whether a feature can run, and why not.
type FeatureStatus struct {
	Feature   Feature `json:"feature"`
	Available bool    `json:"available"`
	Reason    string  `json:"reason,omitempty"`
}

// Result is the outcome of one setup check.
type Result struct {
	CheckedAt time.Time       `json:"checked_at"`
	OK        bool            `json:"ok"`
	Problems  []Problem       `json:"problems"`
	Features  []FeatureStatus `json:"features"`
}

// Schema is what the check reads from Salesforce: the fields the connected
// user sees, per described sObject. An object absent from the map could
// not be described (the user cannot see it).
type Schema map[string][]sync.SFField

// Check compares needs with the live schema at now. prev is the last stored
// result (zero when none): a problem it already had keeps its Since.
func Check(needs []Need, schema Schema, prev Result, now time.Time) Result {
	type key struct{ object, kind string }
	groups := map[key]*Problem{}
	var order []key
	add := func(n Need, kind string) {
		k := key{n.Object, kind}
		p := groups[k]
		if p == nil {
			p = &Problem{Object: n.Object, Kind: kind}
			groups[k] = p
			order = append(order, k)
		}
		if !slices.Contains(p.Fields, n.Field) {
			p.Fields = append(p.Fields, n.Field)
		}
		if n.Feature != "" && !slices.Contains(p.Features, n.Feature) {
			p.Features = append(p.Features, n.Feature)
		}
		if n.Mapped && !slices.Contains(p.Mapped, n.Field) {
			p.Mapped = append(p.Mapped, n.Field)
		}
	}
	for _, n := range needs {
		fields, described := schema[n.Object]
		if !described {
			add(n, KindNoObject)
			continue
		}
		f, ok := field(fields, n.Field)
		switch {
		case !ok:
			add(n, KindMissing)
		case n.Access == Create && !f.Createable, n.Access == Update && !f.Updateable:
			add(n, KindReadOnly)
		}
	}
	now = now.UTC().Truncate(time.Microsecond) // the stored precision: a result read back equals the one written
	res := Result{CheckedAt: now, Problems: []Problem{}}
	for _, k := range order {
		p := groups[k]
		p.Message, p.Fix = words(p.Object, p.Kind, p.Fields)
		if p.Kind == KindReadOnly && len(p.Mapped) > 0 {
			// Still readable: only the writes of its mappings wait.
			p.Message += "; changes from Intercom to them are kept and written once they are writable, " +
				"and two-way mappings still bring Salesforce's changes to Intercom"
		}
		p.Since = now
		for _, old := range prev.Problems {
			if old.Object == p.Object && old.Kind == p.Kind && !old.Since.IsZero() {
				p.Since = old.Since
			}
		}
		res.Problems = append(res.Problems, *p)
	}
	slices.SortStableFunc(res.Problems, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(objectRank(a.Object), objectRank(b.Object)), cmp.Compare(a.Object, b.Object))
	})
	res.OK = len(res.Problems) == 0
	for _, f := range Features {
		st := FeatureStatus{Feature: f, Available: true}
		var why []string
		for _, p := range res.Problems {
			if slices.Contains(p.Features, f) {
				why = append(why, p.Message)
			}
		}
		if len(why) > 0 {
			st.Available, st.Reason = false, strings.Join(why, "; ")
		}
		res.Features = append(res.Features, st)
	}
	return res
}

// Feature says whether feature f can run and, if not, why in words. A
// result that never ran (zero) knows of no problem.
func (r Result) Feature(f Feature) (available bool, reason string) {
	for _, st := range r.Features {
		if st.Feature == f {
			return st.Available, st.Reason
		}
	}
	return true, ""
}

// Missing reports whether object.field was missing or hidden at the check.
func (r Result) Missing(object, field string) bool {
	for _, p := range r.Problems {
		if p.Object == object && (p.Kind == KindMissing || p.Kind == KindNoObject) &&
			slices.ContainsFunc(p.Fields, func(f string) bool { return strings.EqualFold(f, field) }) {
			return true
		}
	}
	return false
}

// SameProblems reports whether two results found the same problems,
// whenever they ran.
func SameProblems(a, b Result) bool {
	if len(a.Problems) != len(b.Problems) {
		return false
	}
	for i := range a.Problems {
		if a.Problems[i].Message != b.Problems[i].Message || a.Problems[i].Kind != b.Problems[i].Kind {
			return false
		}
	}
	return true
}

// Paused reports whether the mapping of object.field is paused: the field
// is missing, hidden or read-only (for a mapping that writes it).
func (r Result) Paused(object, field string) bool {
	for _, p := range r.Problems {
		if p.Object == object && slices.ContainsFunc(p.Mapped, func(f string) bool { return strings.EqualFold(f, field) }) {
			return true
		}
	}
	return false
}

// Returned lists the mapped fields ("Lead.Title") whose mappings prev had
// paused (missing, hidden or read-only) and r no longer has: their kept
// changes can be written now.
func (r Result) Returned(prev Result) []string {
	var out []string
	for _, p := range prev.Problems {
		for _, f := range p.Mapped {
			if !r.Paused(p.Object, f) {
				out = append(out, p.Object+"."+f)
			}
		}
	}
	return out
}

// Since returns when the problem that has object.field missing was first
// seen, or the zero time.
func (r Result) Since(object, field string) time.Time {
	for _, p := range r.Problems {
		if p.Object == object && slices.ContainsFunc(p.Fields, func(f string) bool { return strings.EqualFold(f, field) }) {
			return p.Since
		}
	}
	return time.Time{}
}

// words returns the message and fix of a problem.
func words(object, kind string, fields []string) (message, fix string) {
	list := strings.Join(fields, ", ")
	var fixes []string
	switch kind {
	case KindNoObject:
		return fmt.Sprintf("ferry requires the Salesforce %s object, which the connected user cannot see (fields needed: %s)", object, list),
			fmt.Sprintf("Setup > Users > the connected user's profile or a permission set > Object Settings > %s: grant Read, Create and Edit", object)
	case KindReadOnly:
		for _, f := range fields {
			fixes = append(fixes, fmt.Sprintf("Object Manager > %s > Fields & Relationships > %s > Set Field-Level Security > Visible, and clear Read-Only", object, f))
		}
		return fmt.Sprintf("ferry needs to write these fields in the Salesforce %s object, which are read-only for the connected user: %s", object, list),
			strings.Join(fixes, "; ")
	}
	for _, f := range fields {
		fx := fmt.Sprintf("Object Manager > %s > Fields & Relationships > %s > Set Field-Level Security > Visible", object, f)
		if strings.HasSuffix(f, "__c") {
			fx += " (if the field was deleted, restore it from Deleted Fields or change the mapping)"
		}
		fixes = append(fixes, fx)
	}
	return fmt.Sprintf("ferry requires these fields in the Salesforce %s object: %s", object, list), strings.Join(fixes, "; ")
}

func field(fields []sync.SFField, name string) (sync.SFField, bool) {
	for _, f := range fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return sync.SFField{}, false
}

func objectRank(o string) int {
	switch o {
	case "Lead":
		return 0
	case "Contact":
		return 1
	case "Account":
		return 2
	case "Task":
		return 3
	}
	return 4
}
