package sync

import "time"

// The Salesforce data ferry shows on Intercom contacts (F3.6). They are
// custom attributes: under custom_attributes in the Contacts API, with the
// full name custom_attributes.NAME in the data attributes API.
const (
	AttrSalesforceStatus     = "SALESFORCE_STATUS"
	AttrSalesforceTitle      = "SALESFORCE_TITLE"
	AttrSalesforceOwnerID    = "SALESFORCE_OWNER_ID"
	AttrSalesforceOwnerName  = "SALESFORCE_OWNER_NAME"
	AttrSalesforceOwnerEmail = "SALESFORCE_OWNER_EMAIL"
	AttrSalesforceOwnerRole  = "SALESFORCE_OWNER_ROLE"
	AttrSalesforceID         = "SALESFORCE_ID"
	AttrSalesforceObjectType = "SALESFORCE_OBJECT_TYPE"
)

// The data events ferry records when those values change (F3.6).
const (
	EventChangeObjectType = "SALESFORCE_CHANGE_OBJECT_TYPE"
	EventChangeStatus     = "SALESFORCE_CHANGE_STATUS"
)

// salesforceAttrs lists the attributes in the order they are created.
var salesforceAttrs = []string{
	AttrSalesforceStatus, AttrSalesforceTitle, AttrSalesforceOwnerID, AttrSalesforceOwnerName,
	AttrSalesforceOwnerEmail, AttrSalesforceOwnerRole, AttrSalesforceID, AttrSalesforceObjectType,
}

// SalesforceAttributeDefs returns the contact data attributes ferry creates
// when missing (F3.6): all strings, written through the API.
func SalesforceAttributeDefs() []ICAttribute {
	out := make([]ICAttribute, len(salesforceAttrs))
	for i, n := range salesforceAttrs {
		out[i] = ICAttribute{Name: n, FullName: "custom_attributes." + n, DataType: "string", APIWritable: true, Custom: true}
	}
	return out
}

// SFOwner is the Salesforce User owning a Lead or Contact.
type SFOwner struct {
	ID    string
	Name  string
	Email string
	Role  string // the User's role name (UserRole.Name); empty if none
}

// SFRecord is the Lead or Contact an Intercom contact is mapped to, as F3.6
// shows it.
type SFRecord struct {
	Object string // "Lead" or "Contact"
	ID     string
	Status string // Lead Status; Contacts have none
	Title  string
	Owner  SFOwner
}

// SalesforceAttributes returns the SALESFORCE_* custom attribute values for
// an Intercom contact mapped to r. Every attribute is present; empty values
// are nil so that stale values (a Lead's status after conversion to a
// Contact) are cleared.
func SalesforceAttributes(r SFRecord) map[string]any {
	v := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	return map[string]any{
		AttrSalesforceStatus:     v(r.Status),
		AttrSalesforceTitle:      v(r.Title),
		AttrSalesforceOwnerID:    v(r.Owner.ID),
		AttrSalesforceOwnerName:  v(r.Owner.Name),
		AttrSalesforceOwnerEmail: v(r.Owner.Email),
		AttrSalesforceOwnerRole:  v(r.Owner.Role),
		AttrSalesforceID:         v(r.ID),
		AttrSalesforceObjectType: v(r.Object),
	}
}

// ChangedAttributes returns the entries of next that differ from the
// contact's current custom attributes (prev), i.e. what to write; nil when
// nothing changed, so an unchanged record costs no Intercom call.
func ChangedAttributes(prev, next map[string]any) map[string]any {
	var out map[string]any
	for k, v := range next {
		if HashValue(prev[k]) != HashValue(v) {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	return out
}

// DataEvent is an Intercom data event to record on the contact (POST
// /events). Metadata stays within Intercom's limit of 10 flat keys.
type DataEvent struct {
	Name      string
	CreatedAt int64 // Unix seconds
	Metadata  map[string]string
}

// SalesforceEvents returns the data events to record when the SALESFORCE_*
// values of a contact go from prev (its current custom attributes) to next
// (from [SalesforceAttributes]): SALESFORCE_CHANGE_OBJECT_TYPE when the
// object type changes (a Lead converted to a Contact) and
// SALESFORCE_CHANGE_STATUS when the status changes. Events fire only for
// contacts ferry had already enriched (prev has a SALESFORCE_ID), so the
// initial sync of thousands of contacts records no events.
func SalesforceEvents(prev, next map[string]any, at time.Time) []DataEvent {
	if str(prev[AttrSalesforceID]) == "" {
		return nil
	}
	var out []DataEvent
	for _, e := range []struct{ name, attr string }{
		{EventChangeObjectType, AttrSalesforceObjectType},
		{EventChangeStatus, AttrSalesforceStatus},
	} {
		from, to := str(prev[e.attr]), str(next[e.attr])
		if from == to {
			continue
		}
		out = append(out, DataEvent{Name: e.name, CreatedAt: at.Unix(), Metadata: map[string]string{
			"from": from, "to": to, "salesforce_id": str(next[AttrSalesforceID]),
		}})
	}
	return out
}

func str(v any) string {
	s, _ := scalarString(v)
	return s
}
