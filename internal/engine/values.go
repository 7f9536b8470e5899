package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/sync"
)

// icRecord is an Intercom contact or company as the engine sees it: its
// identity and the whole JSON object, from which mapped attributes are read
// by full name.
type icRecord struct {
	ID         string
	Company    bool   // a company, not a contact
	Role       string // contacts: "lead" or "user"
	Email      string
	ExternalID string
	CompanyID  string // companies: company_id
	UpdatedAt  time.Time
	raw        map[string]any
}

// contactRecord builds an icRecord from a contact. raw is the JSON object as
// Intercom sent it when known (a webhook item keeps nulls the typed struct
// drops); otherwise the struct is marshalled.
func contactRecord(c *intercom.Contact, raw map[string]any) icRecord {
	if raw == nil {
		raw = toMap(c)
	}
	return icRecord{ID: c.ID, Role: c.Role, Email: c.Email, ExternalID: c.ExternalID.String(),
		UpdatedAt: c.UpdatedAt.Time().UTC(), raw: raw}
}

// companyRecord builds an icRecord from a company.
func companyRecord(c *intercom.Company, raw map[string]any) icRecord {
	if raw == nil {
		raw = toMap(c)
	}
	return icRecord{ID: c.ID, Company: true, CompanyID: c.CompanyID.String(), UpdatedAt: c.UpdatedAt.Time().UTC(), raw: raw}
}

func toMap(v any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		return map[string]any{}
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

// get returns the value of an attribute by full name: "phone",
// "location.country_code", "custom_attributes.job_title".
func (r icRecord) get(full string) any {
	if rest, ok := strings.CutPrefix(full, "custom_attributes."); ok {
		ca, _ := r.raw["custom_attributes"].(map[string]any)
		return ca[rest]
	}
	var cur any = r.raw
	for part := range strings.SplitSeq(full, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	if m, ok := cur.(map[string]any); ok && full == "plan" {
		return m["name"] // a company's plan is an object
	}
	return cur
}

// custom returns the record's custom attributes.
func (r icRecord) custom() map[string]any {
	ca, _ := r.raw["custom_attributes"].(map[string]any)
	return ca
}

// key returns the record's normalized matching key.
func (r icRecord) key(k sync.PersonKey) string {
	if r.Company {
		return r.CompanyID
	}
	if k == sync.KeyExternalID {
		return r.ExternalID
	}
	return sync.NormalizeEmail(r.Email)
}

// values returns the values of the mapped attributes; absent ones are nil
// (a full record: the attribute is empty). Location codes are expanded to
// the names Salesforce's picklists accept (F3.7).
func (r icRecord) values(ms []sync.Mapping) map[string]any {
	out := make(map[string]any, len(ms))
	for _, m := range ms {
		out[m.Attribute.FullName] = r.get(m.Attribute.FullName)
	}
	return sync.ExpandLocationCodes(out)
}

// sfRecord is a polled or looked-up Salesforce record.
type sfRecord struct {
	Object             string
	ID                 string
	Modstamp           time.Time
	Key                string // normalized key field value
	IsConverted        bool
	ConvertedContactID string
	rec                salesforce.Record
	// checked: read for a write check (sync.ReadFirst), with the both-way
	// mapped fields only.
	checked bool
	// partial: a change event's record, holding only the fields the event
	// says changed (F3.3); the others are unknown, not empty. Modstamp is
	// then the change's commit time.
	partial bool
}

// newSFRecord reads the engine's fields out of a query result.
func newSFRecord(object string, r salesforce.Record, keyField string, email bool) sfRecord {
	s := sfRecord{Object: object, ID: r.ID(), rec: r}
	s.Modstamp, _ = r.Time("SystemModstamp")
	s.Key = r.String(keyField)
	if email {
		s.Key = sync.NormalizeEmail(s.Key)
	}
	if object == "Lead" {
		s.IsConverted = r.Bool("IsConverted")
		s.ConvertedContactID = r.String("ConvertedContactId")
	}
	return s
}

// values returns the mapped fields' values (nil when null); of a partial
// record, only the fields it holds.
func (s sfRecord) values(ms []sync.Mapping) map[string]any {
	out := make(map[string]any, len(ms))
	for _, m := range ms {
		v, ok := s.rec.Get(m.Field.Name)
		if !ok && s.partial {
			continue
		}
		out[m.Field.Name] = v
	}
	return out
}

// attrs returns the record as the SALESFORCE_* attributes show it (F3.6).
func (s sfRecord) attrs() sync.SFRecord {
	return sync.SFRecord{
		Object: s.Object, ID: s.ID, Status: s.rec.String("Status"), Title: s.rec.String("Title"),
		Owner: sync.SFOwner{ID: s.rec.String("OwnerId"), Name: s.rec.String("Owner.Name"), Email: s.rec.String("Owner.Email"),
			Role: s.rec.String("Owner.UserRole.Name")},
	}
}

// selectFields lists what a poll or lookup reads of object: identity,
// conversion, the F3.6 fields the user can see and the mapped fields.
func selectFields(c *connConfig, object, keyField string, ms []sync.Mapping) []string {
	fields := []string{"Id", "SystemModstamp"}
	seen := map[string]bool{"id": true, "systemmodstamp": true}
	add := func(f string) {
		if !seen[strings.ToLower(f)] {
			seen[strings.ToLower(f)] = true
			fields = append(fields, f)
		}
	}
	if keyField != "" {
		add(keyField)
	}
	if object == "Lead" {
		add("IsConverted")
		add("ConvertedContactId")
	}
	if object != "Account" {
		for _, f := range []string{"Status", "Title"} {
			if c.hasField(object, f) {
				add(f)
			}
		}
		if object == "Contact" && c.doc.Ownership.Enabled && c.hasField(object, "AccountId") {
			add("Account.OwnerId") // the Account owner overrides (F5.2)
		}
		if c.hasField(object, "OwnerId") {
			add("OwnerId")
			add("Owner.Name")
			add("Owner.Email")
			// Lead.Owner is polymorphic (a User or a queue); its Name
			// object still carries UserRole.
			add("Owner.UserRole.Name")
		}
	}
	for _, m := range ms {
		add(m.Field.Name)
	}
	return fields
}

// contactInput turns planned Intercom writes (by full name) into a contact
// update. Attributes the contacts API cannot set are an error naming them.
func contactInput(w map[string]any) (intercom.ContactInput, error) {
	var in intercom.ContactInput
	str := func(v any) *string {
		if v == nil {
			return intercom.Ptr("")
		}
		s := fmt.Sprint(v)
		return &s
	}
	for k, v := range w {
		if rest, ok := strings.CutPrefix(k, "custom_attributes."); ok {
			if in.CustomAttributes == nil {
				in.CustomAttributes = map[string]any{}
			}
			in.CustomAttributes[rest] = v
			continue
		}
		switch k {
		case "name":
			in.Name = str(v)
		case "email":
			in.Email = str(v)
		case "phone":
			in.Phone = str(v)
		case "external_id":
			in.ExternalID = str(v)
		case "role":
			in.Role = str(v)
		case "unsubscribed_from_emails":
			b, _ := v.(bool)
			in.UnsubscribedFromEmails = &b
		case ownerField:
			id, ok := ownerID(v)
			if !ok {
				in.ClearOwner = true
				continue
			}
			in.OwnerID = &id
		default:
			return in, fmt.Errorf("intercom attribute %q cannot be written through the contacts API", k)
		}
	}
	return in, nil
}

// companyInput is contactInput for companies.
func companyInput(w map[string]any) (intercom.CompanyInput, error) {
	var in intercom.CompanyInput
	for k, v := range w {
		if rest, ok := strings.CutPrefix(k, "custom_attributes."); ok {
			if in.CustomAttributes == nil {
				in.CustomAttributes = map[string]any{}
			}
			in.CustomAttributes[rest] = v
			continue
		}
		s := ""
		if v != nil {
			s = fmt.Sprint(v)
		}
		switch k {
		case "name":
			in.Name = &s
		case "website":
			in.Website = &s
		case "industry":
			in.Industry = &s
		case "plan":
			in.Plan = &s
		case "size":
			n := int(toFloat(v))
			in.Size = &n
		case "monthly_spend":
			n := int64(toFloat(v))
			in.MonthlySpend = &n
		default:
			return in, fmt.Errorf("intercom company attribute %q cannot be written through the companies API", k)
		}
	}
	return in, nil
}

func toFloat(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case json.Number:
		f, _ := n.Float64()
		return f
	}
	return 0
}
