// Package settings defines ferry's settings document: identity keys,
// attribute mappings, poll interval, API budget and the task, case and
// ownership options (issue 4). It is one JSON document, read and written
// whole by `ferry settings get|set` and the admin API.
//
// The package is pure. [Parse] turns bytes into a [Document] (rejecting
// malformed JSON and unknown fields), [Check] validates the document on its
// own and [Validate] also validates it against the live Salesforce describe
// and Intercom data attributes ([Catalog]). An invalid document is rejected
// whole, with every problem listed. [Bind] also returns the mappings bound
// to the schema ([sync.Mapping]) for the sync engine.
//
// A document (every field optional; omitted fields keep their defaults):
//
//	{
//	  "identity": {
//	    "person":  {"intercom": "email", "salesforce": "Email"},
//	    "company": {"intercom": "company_id", "salesforce": "AccountNumber"}
//	  },
//	  "mappings": [
//	    {"object": "lead", "intercom": "phone", "salesforce": "Phone", "direction": "both"},
//	    {"object": "user", "intercom": "custom_attributes.job_title", "salesforce": "Title", "direction": "to_intercom"},
//	    {"object": "company", "intercom": "name", "salesforce": "Name", "direction": "both"}
//	  ],
//	  "poll_interval": "5m",
//	  "salesforce_changes": "stream",
//	  "reconcile_interval": "1h",
//	  "api_budget": {"daily_limit": 20000, "reserve_inbox": 1000, "reserve_background": 5000},
//	  "tasks": {"enabled": true, "relate_opportunities": true},
//	  "leads": {"lead_source": "Intercom"},
//	  "cases": {"enabled": true, "owner": "salesforce", "fields": ["Subject", "Description", "Priority"]},
//	  "ownership": {"enabled": false, "fallback_admin_id": "", "lead_owner_from_intercom": false, "restore_intercom_owner": true}
//	}
package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Document is the whole settings document. Field order matches the JSON
// that [Document.MarshalIndent] writes.
type Document struct {
	// Identity says how records are matched (F2.1, F2.5).
	Identity Identity `json:"identity"`
	// Mappings are the attribute mappings (F3.1). Order is kept; problems
	// name mappings by index.
	Mappings []Mapping `json:"mappings"`
	// PollInterval is how often Salesforce is polled for changes (F3.3).
	// A duration string such as "5m" or "30s"; at least 5s. Default "5m".
	PollInterval string `json:"poll_interval"`
	// SalesforceChanges is how Salesforce changes reach ferry (F3.3):
	// "stream" (Change Data Capture events over the Pub/Sub API, with a
	// reconciling poll every ReconcileInterval) or "poll" (every
	// PollInterval only). Default "stream"; objects the org streams no
	// events for are polled at PollInterval either way.
	SalesforceChanges string `json:"salesforce_changes"`
	// ReconcileInterval is how often Salesforce is polled while its
	// change stream is healthy, to catch anything the stream missed. A
	// duration string; at least PollInterval's minimum. Default "1h".
	ReconcileInterval string `json:"reconcile_interval"`
	// APIBudget bounds ferry's Salesforce API use and splits it into lanes
	// (F8.1).
	APIBudget APIBudget `json:"api_budget"`
	// Tasks configures logging conversations as Salesforce Tasks (F6.1–F6.3).
	Tasks Tasks `json:"tasks"`
	// Leads configures the Leads created from Intercom (F4.1).
	Leads Leads `json:"leads"`
	// Cases configures Salesforce Cases from conversations (F6.4, F6.5).
	Cases Cases `json:"cases"`
	// Ownership configures owner sync between Salesforce and Intercom (F5).
	Ownership Ownership `json:"ownership"`
}

// Identity holds the matching keys.
type Identity struct {
	// Person matches Intercom leads and users to Salesforce Leads and
	// Contacts.
	Person PersonKey `json:"person"`
	// Company matches Intercom companies to Salesforce Accounts.
	Company CompanyKey `json:"company"`
}

// The Intercom person keys.
const (
	PersonKeyEmail      = "email"
	PersonKeyExternalID = "external_id"
)

// PersonKey is the person matching key (F2.1).
type PersonKey struct {
	// Intercom is "email" (default) or "external_id" (the contact's
	// user_id).
	Intercom string `json:"intercom"`
	// Salesforce is the field compared on both Lead and Contact: "Email" by
	// default, or another field such as "Intercom_User_ID__c" that both
	// objects have.
	Salesforce string `json:"salesforce"`
}

// CompanyKey is the company matching key (F2.5, F7.1).
type CompanyKey struct {
	// Intercom is always "company_id".
	Intercom string `json:"intercom"`
	// Salesforce is the Account field compared with company_id, e.g.
	// "AccountNumber". Empty turns account sync off (the default, as the
	// seeds recommend).
	Salesforce string `json:"salesforce"`
}

// Mapping is one attribute mapping (F3.1).
type Mapping struct {
	// Object is "lead" (Salesforce Lead), "user" (Contact) or "company"
	// (Account). Leads and users are Intercom contacts.
	Object string `json:"object"`
	// Intercom is the attribute as the API names it, i.e. the data
	// attribute's full_name: "phone", "name", "custom_attributes.job_title".
	Intercom string `json:"intercom"`
	// Salesforce is the field's API name on the object: "Phone", "Title__c".
	Salesforce string `json:"salesforce"`
	// Direction is "to_salesforce", "to_intercom" or "both".
	Direction string `json:"direction"`
}

// APIBudget is ferry's share of the org's daily Salesforce API requests and
// how it is split into lanes (F8.1). Lanes stop in order as the day's
// remaining calls shrink: backfill first, then background sync; the
// remainder is kept for inbox actions (lead, case and task creation by
// teammates). "Remaining" is the smaller of ferry's own remaining budget and
// the org's remaining DailyApiRequests, so other apps' usage counts too.
type APIBudget struct {
	// DailyLimit is the most calls ferry makes per day (UTC); 0 means no
	// ferry-specific limit, only the org's own. Default 20000.
	DailyLimit int `json:"daily_limit"`
	// ReserveInbox is the number of calls kept for inbox actions:
	// background sync stops when fewer remain. Default 1000.
	ReserveInbox int `json:"reserve_inbox"`
	// ReserveBackground is the number of calls, on top of ReserveInbox, kept
	// for background sync: backfill stops when fewer than ReserveInbox +
	// ReserveBackground remain. Default 5000.
	ReserveBackground int `json:"reserve_background"`
}

// Lane is a class of Salesforce API use, in the order lanes are stopped
// when the budget runs low.
type Lane string

// The lanes of [APIBudget].
const (
	LaneBackfill   Lane = "backfill"
	LaneBackground Lane = "background"
	LaneInbox      Lane = "inbox"
)

// Allows reports whether lane may spend one more call given ferry's calls
// used today and the org's remaining daily calls (orgRemaining < 0 when
// unknown).
func (b APIBudget) Allows(lane Lane, usedToday, orgRemaining int) bool {
	remaining := orgRemaining
	if b.DailyLimit > 0 {
		own := b.DailyLimit - usedToday
		if remaining < 0 || own < remaining {
			remaining = own
		}
	}
	if remaining < 0 && orgRemaining < 0 && b.DailyLimit <= 0 {
		return true // nothing known, nothing configured
	}
	return remaining > b.Reserve(lane)
}

// Reserve is how many remaining calls lane leaves to the lanes after it:
// it stops when no more than that many remain.
func (b APIBudget) Reserve(lane Lane) int {
	switch lane {
	case LaneBackfill:
		return b.ReserveInbox + b.ReserveBackground
	case LaneBackground:
		return b.ReserveInbox
	default:
		return 0
	}
}

// Tasks configures conversation logging (F6.1–F6.3).
type Tasks struct {
	// Enabled creates a Task when a conversation starts and updates it when
	// it closes. Default true.
	Enabled bool `json:"enabled"`
	// RelateOpportunities relates a Task to the Contact's single open
	// Opportunity (F6.3). Default true.
	RelateOpportunities bool `json:"relate_opportunities"`
	// Type is the Task Type given to conversation Tasks: one of the org's
	// Task Type values (Validate refuses another). Empty gives "Other" when
	// the picklist has it, else its first value.
	Type string `json:"type,omitempty"`
}

// DefaultLeadSource is the LeadSource of the Leads created from Intercom
// unless the settings say otherwise (F4.1).
const DefaultLeadSource = "Intercom"

// Leads configures the Leads created from Intercom (inbox app, API, CLI).
type Leads struct {
	// LeadSource is the new Lead's LeadSource when no mapping gives one;
	// "" leaves it empty. Default "Intercom". Checked against the
	// Lead.LeadSource picklist when that is restricted.
	LeadSource string `json:"lead_source"`
}

// The case owner choices (F6.5).
const (
	CaseOwnerSalesforce = "salesforce"
	CaseOwnerTeammate   = "teammate"
)

// Cases configures case creation (F6.4, F6.5).
type Cases struct {
	// Enabled shows open cases and offers case creation in the inbox app.
	// Default true.
	Enabled bool `json:"enabled"`
	// Owner is "salesforce" (use my Salesforce configuration; ferry sets
	// none) or "teammate" (assign the Salesforce user with the teammate's
	// email, falling back to the Salesforce configuration). Default
	// "salesforce".
	Owner string `json:"owner"`
	// Fields are the Case fields offered in the creation form, besides the
	// fields Salesforce requires, which are always shown. Default Subject,
	// Description, Priority.
	Fields []string `json:"fields"`
}

// Ownership configures owner sync (F5).
type Ownership struct {
	// Enabled maps Salesforce owners to Intercom teammates by email and
	// assigns Intercom owners from them (F5.1–F5.3). Default false.
	Enabled bool `json:"enabled"`
	// FallbackAdminID is the Intercom admin id used when no owner resolves
	// (F5.2). Empty means the teammate who connected ferry (the token's
	// admin).
	FallbackAdminID string `json:"fallback_admin_id"`
	// LeadOwnerFromIntercom makes a Lead created from Intercom owned by the
	// active Salesforce user whose email is the person's Intercom owner's
	// (F4.1); without one, Salesforce's lead assignment decides.
	LeadOwnerFromIntercom bool `json:"lead_owner_from_intercom"`
	// RestoreIntercomOwner puts back owners edited by hand in Intercom while
	// ferry assigns owners (F5.3). Default true.
	RestoreIntercomOwner bool `json:"restore_intercom_owner"`
	// AssignConversations assigns a new conversation from a mapped person
	// to that person's owner teammate in Intercom. Default false.
	AssignConversations bool `json:"assign_conversations,omitempty"`
}

// MinPollInterval is the shortest poll interval accepted: Salesforce's
// updated/deleted resources have minute granularity and each poll costs API
// calls.
const MinPollInterval = 5 * time.Second

// Poll returns the poll interval as a duration, or 5 minutes when the
// document's value does not parse ([Check] reports that).
func (d Document) Poll() time.Duration {
	v, err := time.ParseDuration(d.PollInterval)
	if err != nil || v < MinPollInterval {
		return 5 * time.Minute
	}
	return v
}

// How Salesforce changes reach ferry (Document.SalesforceChanges).
const (
	ChangesStream = "stream"
	ChangesPoll   = "poll"
)

// Stream reports whether the connection streams Salesforce changes.
func (d Document) Stream() bool { return d.SalesforceChanges != ChangesPoll }

// Reconcile returns the reconcile interval as a duration, or an hour when
// the document's value does not parse ([Check] reports that).
func (d Document) Reconcile() time.Duration {
	v, err := time.ParseDuration(d.ReconcileInterval)
	if err != nil || v < MinPollInterval {
		return time.Hour
	}
	return v
}

// Default returns the settings of a fresh connection: email matching, no
// account sync, no mappings, 5-minute polls, a 20,000-call daily budget,
// tasks on, cases on with Salesforce's own case assignment, ownership off.
func Default() Document {
	return Document{
		Identity: Identity{
			Person:  PersonKey{Intercom: PersonKeyEmail, Salesforce: "Email"},
			Company: CompanyKey{Intercom: "company_id"},
		},
		Mappings:          []Mapping{},
		PollInterval:      "5m",
		SalesforceChanges: ChangesStream,
		ReconcileInterval: "1h",
		APIBudget:         APIBudget{DailyLimit: 20000, ReserveInbox: 1000, ReserveBackground: 5000},
		Tasks:             Tasks{Enabled: true, RelateOpportunities: true},
		Leads:             Leads{LeadSource: DefaultLeadSource},
		Cases:             Cases{Enabled: true, Owner: CaseOwnerSalesforce, Fields: []string{"Subject", "Description", "Priority"}},
		Ownership:         Ownership{RestoreIntercomOwner: true},
	}
}

// Sample returns [Default] plus a small mapping set for the demo: phone and
// job title both ways for leads and users, and account sync on AccountNumber
// with the company name and website both ways and the company size to
// NumberOfEmployees.
func Sample() Document {
	d := Default()
	d.Identity.Company.Salesforce = "AccountNumber"
	d.Mappings = []Mapping{
		{Object: "lead", Intercom: "phone", Salesforce: "Phone", Direction: "both"},
		{Object: "lead", Intercom: "custom_attributes.job_title", Salesforce: "Title", Direction: "both"},
		{Object: "user", Intercom: "phone", Salesforce: "Phone", Direction: "both"},
		{Object: "user", Intercom: "custom_attributes.job_title", Salesforce: "Title", Direction: "both"},
		{Object: "company", Intercom: "name", Salesforce: "Name", Direction: "both"},
		{Object: "company", Intercom: "website", Salesforce: "Website", Direction: "both"},
		{Object: "company", Intercom: "size", Salesforce: "NumberOfEmployees", Direction: "to_salesforce"},
	}
	return d
}

// Parse reads a settings document. Fields the document omits keep their
// [Default] values. Malformed JSON, unknown fields, values of the wrong type
// and trailing data are errors naming the place (line and column, or the
// field path).
func Parse(data []byte) (Document, error) {
	if err := checkMappings(data); err != nil {
		return Document{}, err
	}
	doc := Default()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return Document{}, fmt.Errorf("settings: %s", describeJSONError(data, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Document{}, fmt.Errorf("settings: %s: unexpected data after the document", position(data, dec.InputOffset()))
	}
	if doc.Mappings == nil {
		doc.Mappings = []Mapping{} // "mappings": null means none
	}
	return doc, nil
}

// MarshalIndent writes the document as indented JSON, the form `ferry
// settings get` prints.
func (d Document) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("settings: marshal: %w", err)
	}
	return append(b, '\n'), nil
}

// checkMappings decodes each mapping on its own first, because
// encoding/json's errors do not say which array element was wrong and the
// mappings are the part admins edit most.
func checkMappings(data []byte) error {
	var raw struct {
		Mappings []json.RawMessage `json:"mappings"`
	}
	if json.Unmarshal(data, &raw) != nil {
		return nil // the full decode reports it, with its position
	}
	for i, r := range raw.Mappings {
		dec := json.NewDecoder(bytes.NewReader(r))
		dec.DisallowUnknownFields()
		var m Mapping
		if err := dec.Decode(&m); err != nil {
			var typ *json.UnmarshalTypeError
			if errors.As(err, &typ) && typ.Field != "" {
				return fmt.Errorf("settings: mappings[%d].%s: want %s, got %s", i, typ.Field, jsonTypeName(typ.Type.Kind().String()), typ.Value)
			}
			if errors.As(err, &typ) {
				return fmt.Errorf("settings: mappings[%d]: want an object, got %s", i, typ.Value)
			}
			return fmt.Errorf("settings: mappings[%d]: %s", i, strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	return nil
}

// describeJSONError turns encoding/json errors into messages an admin can act
// on.
func describeJSONError(data []byte, err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "the document is empty; want a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the document ends too early: malformed JSON"
	case errors.As(err, &syntax):
		return fmt.Sprintf("%s: malformed JSON: %s", position(data, syntax.Offset), strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		path := typ.Field
		if path == "" {
			return fmt.Sprintf("%s: want a JSON object, got %s", position(data, typ.Offset), typ.Value)
		}
		return fmt.Sprintf("%s: %s: want %s, got %s", jsonPath(path), position(data, typ.Offset), jsonTypeName(typ.Type.Kind().String()), typ.Value)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	return msg
}

// jsonPath rewrites encoding/json's "mappings.2.direction" as
// "mappings[2].direction", the form problems use.
func jsonPath(p string) string {
	parts := strings.Split(p, ".")
	var b strings.Builder
	for i, s := range parts {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			b.WriteString("[" + s + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "float64":
		return "a number"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return kind
}

// position renders a byte offset as "line L, column C".
func position(data []byte, offset int64) string {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col := 1, 1
	for _, c := range data[:offset] {
		if c == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}
