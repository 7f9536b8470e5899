package sync

// Side is one of the two systems ferry keeps in sync.
type Side string

// The two sides.
const (
	Intercom   Side = "intercom"
	Salesforce Side = "salesforce"
)

// Other returns the opposite side.
func (s Side) Other() Side {
	if s == Intercom {
		return Salesforce
	}
	return Intercom
}

// Object is the kind of record a mapping applies to, named from the Intercom
// side as in the settings document: "lead", "user" or "company".
type Object string

// The mapped objects. Intercom leads and users are both contacts in
// Intercom's data model; in Salesforce they are Leads and Contacts.
const (
	ObjectLead    Object = "lead"
	ObjectUser    Object = "user"
	ObjectCompany Object = "company"
)

// SObject returns the Salesforce object an [Object] maps to: Lead, Contact or
// Account, or "" for an unknown object.
func (o Object) SObject() string {
	switch o {
	case ObjectLead:
		return "Lead"
	case ObjectUser:
		return "Contact"
	case ObjectCompany:
		return "Account"
	}
	return ""
}

// IntercomModel returns the Intercom data-attribute model of an [Object]:
// "contact" for leads and users, "company" for companies.
func (o Object) IntercomModel() string {
	switch o {
	case ObjectLead, ObjectUser:
		return "contact"
	case ObjectCompany:
		return "company"
	}
	return ""
}

// ObjectForSObject returns the mapping set that applies to a Salesforce
// record: Lead → "lead", Contact → "user", Account → "company". An Intercom
// user matched to a Lead (F2.1) is therefore synced with the lead mappings,
// because those are the ones naming Lead fields.
func ObjectForSObject(sobject string) (Object, bool) {
	switch sobject {
	case "Lead":
		return ObjectLead, true
	case "Contact":
		return ObjectUser, true
	case "Account":
		return ObjectCompany, true
	}
	return "", false
}

// Direction says which way a mapped attribute flows.
type Direction string

// The directions of the settings document.
const (
	DirToSalesforce Direction = "to_salesforce"
	DirToIntercom   Direction = "to_intercom"
	DirBoth         Direction = "both"
)

// Valid reports whether d is one of the three directions.
func (d Direction) Valid() bool {
	return d == DirToSalesforce || d == DirToIntercom || d == DirBoth
}

// Allows reports whether a change made on side from may flow to the other
// side under direction d.
func (d Direction) Allows(from Side) bool {
	switch d {
	case DirBoth:
		return true
	case DirToSalesforce:
		return from == Intercom
	case DirToIntercom:
		return from == Salesforce
	}
	return false
}

// SFField is the part of a Salesforce describe field result ferry needs.
// Object is the sObject the field belongs to ("Lead"); it names the field in
// error messages.
type SFField struct {
	Object             string
	Name               string
	Type               string // describe type: string, textarea, email, phone, url, picklist, int, double, currency, percent, boolean, date, datetime, …
	Createable         bool
	Updateable         bool
	Nillable           bool
	PicklistValues     []string // active picklist values, in describe order
	RestrictedPicklist bool
	Length             int // maximum characters for text types; 0 means unknown
	Precision          int // total digits for numeric types; 0 means unknown
	Scale              int // digits after the decimal point for numeric types
	ExternalID         bool
	Unique             bool
}

// Ref names the field as admins see it in messages: "Lead.Phone".
func (f SFField) Ref() string {
	if f.Object == "" {
		return f.Name
	}
	return f.Object + "." + f.Name
}

// ICAttribute is the part of an Intercom data attribute ferry needs.
// FullName is how mappings and the REST API name it: "phone", "name",
// "custom_attributes.job_title". Name is the short name ("job_title").
type ICAttribute struct {
	Name        string
	FullName    string
	DataType    string   // string, integer, float, boolean, date (datetime is treated as date)
	Options     []string // non-empty for list attributes
	APIWritable bool
	Custom      bool
}

// IsList reports whether the attribute is an Intercom list attribute.
func (a ICAttribute) IsList() bool { return len(a.Options) > 0 }

// Mapping is one attribute mapping bound to the live schema: the Intercom
// attribute and Salesforce field it connects, and its direction. The
// settings package builds these from the settings document (settings.Bind).
type Mapping struct {
	Object    Object
	Attribute ICAttribute
	Field     SFField
	Direction Direction
}

// Key identifies the mapping within its object; field state is stored under
// it.
func (m Mapping) Key() string {
	return m.Attribute.FullName + "=" + m.Field.Name
}
