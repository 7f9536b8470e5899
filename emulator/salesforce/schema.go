package salesforce

import (
	"sort"
	"strings"
)

// Field types as Salesforce's describe names them.
const (
	typeID        = "id"
	typeString    = "string"
	typeEmail     = "email"
	typePhone     = "phone"
	typeURL       = "url"
	typeTextarea  = "textarea"
	typePicklist  = "picklist"
	typeReference = "reference"
	typeBoolean   = "boolean"
	typeDate      = "date"
	typeDatetime  = "datetime"
	typeCurrency  = "currency"
	typeDouble    = "double"
	typePercent   = "percent"
	typeInt       = "int"
)

// soapTypes maps a describe type to its soapType.
var soapTypes = map[string]string{
	typeID: "tns:ID", typeString: "xsd:string", typeEmail: "xsd:string", typePhone: "xsd:string",
	typeURL: "xsd:string", typeTextarea: "xsd:string", typePicklist: "xsd:string",
	typeReference: "tns:ID", typeBoolean: "xsd:boolean", typeDate: "xsd:date",
	typeDatetime: "xsd:dateTime", typeCurrency: "xsd:double", typeDouble: "xsd:double",
	typePercent: "xsd:double", typeInt: "xsd:int",
}

// picklistValue is one entry of a picklist field.
type picklistValue struct {
	Value        string
	Label        string
	DefaultValue bool
	Active       bool
}

// fieldDef is one field of an object. The schema is data: every behaviour
// (validation, describe, queries) reads these flags instead of special cases.
type fieldDef struct {
	Name               string
	Label              string
	Type               string
	Length             int
	Precision          int
	Scale              int
	Digits             int
	Createable         bool
	Updateable         bool
	Nillable           bool
	DefaultedOnCreate  bool
	DefaultValue       any // applied on create when the field is absent
	Unique             bool
	ExternalID         bool
	IDLookup           bool
	Custom             bool
	Calculated         bool
	AutoNumber         bool
	NameField          bool
	CaseSensitive      bool
	CascadeDelete      bool
	HTMLFormatted      bool
	Picklist           []picklistValue
	RestrictedPicklist bool
	ReferenceTo        []string
	RelationshipName   string
	// Hidden is field-level security: the API user cannot see the field.
	Hidden bool
	// ReadOnly is field-level security too: the API user can read the
	// field but not write it (describe says createable and updateable
	// false; writes are INVALID_FIELD_FOR_INSERT_UPDATE).
	ReadOnly bool
}

// apiCreateable and apiUpdateable are what the API user may do with the
// field: its own flags narrowed by field-level security.
func (f *fieldDef) apiCreateable() bool { return f.Createable && !f.ReadOnly }
func (f *fieldDef) apiUpdateable() bool { return f.Updateable && !f.ReadOnly }

// required reports whether a create must supply the field.
func (f *fieldDef) required() bool {
	return f.Createable && !f.Nillable && !f.DefaultedOnCreate && f.Type != typeBoolean
}

// indexed reports whether equality lookups on the field use an index.
func (f *fieldDef) indexed() bool {
	return f.Type == typeEmail || f.ExternalID || f.Unique
}

// hasPicklistValue reports whether v is an active value (case-sensitive, as
// Salesforce compares restricted picklists).
func (f *fieldDef) hasPicklistValue(v string) bool {
	for _, p := range f.Picklist {
		if p.Active && p.Value == v {
			return true
		}
	}
	return false
}

// objectDef is one sObject type.
type objectDef struct {
	Name        string
	Label       string
	LabelPlural string
	KeyPrefix   string
	Fields      []*fieldDef
	byName      map[string]*fieldDef // lower-case name
	byRel       map[string]*fieldDef // lower-case relationship name
	// nameFields make up the compound Name (FirstName LastName) when set.
	compoundName bool
}

func (o *objectDef) index() {
	o.byName = make(map[string]*fieldDef, len(o.Fields))
	o.byRel = make(map[string]*fieldDef)
	for _, f := range o.Fields {
		o.byName[strings.ToLower(f.Name)] = f
		if f.RelationshipName != "" {
			o.byRel[strings.ToLower(f.RelationshipName)] = f
		}
	}
}

// field returns the field named name (case-insensitive), visible or not.
func (o *objectDef) field(name string) *fieldDef {
	return o.byName[strings.ToLower(name)]
}

// visibleField returns the field unless it is unknown or hidden by
// field-level security.
func (o *objectDef) visibleField(name string) *fieldDef {
	f := o.byName[strings.ToLower(name)]
	if f == nil || f.Hidden {
		return nil
	}
	return f
}

func (o *objectDef) addField(f *fieldDef) {
	o.Fields = append(o.Fields, f)
	o.index()
}

// schema is the org's object table.
type schema struct {
	objects  map[string]*objectDef // lower-case name
	byPrefix map[string]*objectDef
}

func (s *schema) object(name string) *objectDef { return s.objects[strings.ToLower(name)] }

func (s *schema) names() []string {
	out := make([]string, 0, len(s.objects))
	for _, o := range s.objects {
		out = append(out, o.Name)
	}
	sort.Strings(out)
	return out
}

// Helpers that keep the object table below readable.

func fID() *fieldDef {
	return &fieldDef{Name: "Id", Label: "Record ID", Type: typeID, Length: 18, IDLookup: true, DefaultedOnCreate: true, CaseSensitive: false}
}

func fStr(name, label string, length int) *fieldDef {
	return &fieldDef{Name: name, Label: label, Type: typeString, Length: length, Createable: true, Updateable: true, Nillable: true}
}

func fReq(f *fieldDef) *fieldDef { f.Nillable = false; return f }

func fRO(f *fieldDef) *fieldDef { f.Createable = false; f.Updateable = false; return f }

func fCreateOnly(f *fieldDef) *fieldDef { f.Updateable = false; return f }

func fTyped(typ, name, label string) *fieldDef {
	f := &fieldDef{Name: name, Label: label, Type: typ, Createable: true, Updateable: true, Nillable: true}
	switch typ {
	case typeEmail, typeURL, typePhone:
		f.Length = map[string]int{typeEmail: 80, typeURL: 255, typePhone: 40}[typ]
	case typeTextarea:
		f.Length = 32000
	case typeCurrency:
		f.Precision, f.Scale = 18, 2
	case typeDouble, typePercent:
		f.Precision, f.Scale = 18, 0
	case typeInt:
		f.Digits = 9
	case typeBoolean:
		f.Nillable = false
		f.DefaultedOnCreate = true
		f.DefaultValue = false
	}
	return f
}

func fPick(name, label string, restricted bool, def string, values ...string) *fieldDef {
	f := &fieldDef{Name: name, Label: label, Type: typePicklist, Length: 255, Createable: true, Updateable: true, Nillable: true, RestrictedPicklist: restricted}
	for _, v := range values {
		f.Picklist = append(f.Picklist, picklistValue{Value: v, Label: v, Active: true, DefaultValue: v == def})
	}
	if def != "" {
		f.DefaultedOnCreate = true
		f.DefaultValue = def
		f.Nillable = false
	}
	return f
}

func fRef(name, label, rel string, to ...string) *fieldDef {
	return &fieldDef{Name: name, Label: label, Type: typeReference, Length: 18, Createable: true, Updateable: true, Nillable: true, ReferenceTo: to, RelationshipName: rel}
}

// fOwner is OwnerId: defaulted to the calling user on create.
func fOwner() *fieldDef {
	f := fRef("OwnerId", "Owner ID", "Owner", "User")
	f.Nillable = false
	f.DefaultedOnCreate = true
	return f
}

// auditFields are the system fields every object carries.
func auditFields() []*fieldDef {
	dt := func(name, label string) *fieldDef {
		f := fRO(fTyped(typeDatetime, name, label))
		f.Nillable, f.DefaultedOnCreate = false, true
		return f
	}
	ref := func(name, label, rel string) *fieldDef {
		f := fRO(fRef(name, label, rel, "User"))
		f.Nillable, f.DefaultedOnCreate = false, true
		return f
	}
	isDel := fRO(fTyped(typeBoolean, "IsDeleted", "Deleted"))
	return []*fieldDef{
		isDel,
		dt("CreatedDate", "Created Date"), ref("CreatedById", "Created By ID", "CreatedBy"),
		dt("LastModifiedDate", "Last Modified Date"), ref("LastModifiedById", "Last Modified By ID", "LastModifiedBy"),
		dt("SystemModstamp", "System Modstamp"),
	}
}

func nameField(f *fieldDef) *fieldDef { f.NameField = true; return f }

// newSchema builds the standard objects the emulated org has.
func newSchema() *schema {
	calcName := func(length int) *fieldDef {
		f := nameField(fRO(fStr("Name", "Full Name", length)))
		f.Calculated = true
		return f
	}
	objs := []*objectDef{
		{Name: "UserRole", Label: "Role", LabelPlural: "Roles", KeyPrefix: "00E", Fields: []*fieldDef{
			fID(), nameField(fReq(fStr("Name", "Name", 80))), fRef("ParentRoleId", "Parent Role ID", "", "UserRole"),
		}},
		{Name: "User", Label: "User", LabelPlural: "Users", KeyPrefix: "005", compoundName: true, Fields: []*fieldDef{
			fID(),
			func() *fieldDef {
				f := fReq(fStr("Username", "Username", 80))
				f.Unique = true
				f.IDLookup = true
				return f
			}(),
			fReq(fTyped(typeEmail, "Email", "Email")),
			fStr("FirstName", "First Name", 40), fReq(fStr("LastName", "Last Name", 80)), calcName(121),
			fReq(fStr("Alias", "Alias", 8)), fStr("Title", "Title", 80), fStr("Department", "Department", 80),
			fTyped(typePhone, "Phone", "Phone"), fRef("UserRoleId", "Role ID", "UserRole", "UserRole"),
			func() *fieldDef { f := fTyped(typeBoolean, "IsActive", "Active"); f.DefaultValue = true; return f }(),
			fPick("TimeZoneSidKey", "Time Zone", true, "America/Los_Angeles", "America/Los_Angeles", "America/New_York", "Europe/London", "Europe/Paris", "Europe/Berlin", "Asia/Tokyo", "GMT"),
			// ProfileId is required in Salesforce; here it defaults to the
			// Standard User profile (seedProfiles sets the default).
			func() *fieldDef {
				f := fRef("ProfileId", "Profile ID", "Profile", "Profile")
				f.Nillable, f.DefaultedOnCreate = false, true
				return f
			}(),
		}},
		// Permissions: a profile owns one permission set; a user's profile
		// and extra permission sets are PermissionSetAssignments; object
		// access is ObjectPermissions rows on permission sets.
		{Name: "Profile", Label: "Profile", LabelPlural: "Profiles", KeyPrefix: "00e", Fields: []*fieldDef{
			fID(), nameField(fReq(fStr("Name", "Name", 255))),
		}},
		{Name: "PermissionSet", Label: "Permission Set", LabelPlural: "Permission Sets", KeyPrefix: "0PS", Fields: []*fieldDef{
			fID(), nameField(fReq(fStr("Name", "Name", 80))), fReq(fStr("Label", "Label", 80)),
			fRO(fTyped(typeBoolean, "IsOwnedByProfile", "Is Owned By Profile")),
			fRO(fRef("ProfileId", "Profile ID", "Profile", "Profile")),
		}},
		{Name: "PermissionSetAssignment", Label: "Permission Set Assignment", LabelPlural: "Permission Set Assignments", KeyPrefix: "0Pa", Fields: []*fieldDef{
			fID(),
			fReq(fRef("AssigneeId", "Assignee ID", "Assignee", "User")),
			fReq(fRef("PermissionSetId", "Permission Set ID", "PermissionSet", "PermissionSet")),
		}},
		{Name: "ObjectPermissions", Label: "Object Permissions", LabelPlural: "Object Permissions", KeyPrefix: "110", Fields: []*fieldDef{
			fID(),
			fCreateOnly(fReq(fRef("ParentId", "Parent ID", "Parent", "PermissionSet"))),
			fCreateOnly(fReq(fStr("SobjectType", "Sobject Type Name", 40))),
			fTyped(typeBoolean, "PermissionsRead", "Read"), fTyped(typeBoolean, "PermissionsCreate", "Create"),
			fTyped(typeBoolean, "PermissionsEdit", "Edit"), fTyped(typeBoolean, "PermissionsDelete", "Delete"),
			fTyped(typeBoolean, "PermissionsViewAllRecords", "View All"), fTyped(typeBoolean, "PermissionsModifyAllRecords", "Modify All"),
		}},
		// AssignmentRule is read-only through the API; rules and their
		// entries are set up through the control surface.
		{Name: "AssignmentRule", Label: "Assignment Rule", LabelPlural: "Assignment Rules", KeyPrefix: "01Q", Fields: []*fieldDef{
			fID(), nameField(fRO(fStr("Name", "Name", 120))), fRO(fStr("SobjectType", "Sobject Type", 40)),
			fRO(fTyped(typeBoolean, "Active", "Active")),
		}},
		{Name: "Account", Label: "Account", LabelPlural: "Accounts", KeyPrefix: "001", Fields: []*fieldDef{
			fID(), nameField(fReq(fStr("Name", "Account Name", 255))), fStr("AccountNumber", "Account Number", 40), fStr("Site", "Account Site", 80),
			fPick("Type", "Account Type", false, "", "Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Installation Partner", "Technology Partner", "Other"),
			fPick("Industry", "Industry", false, "", "Agriculture", "Banking", "Consulting", "Education", "Energy", "Finance", "Healthcare", "Manufacturing", "Media", "Retail", "Technology", "Other"),
			fTyped(typeURL, "Website", "Website"), fTyped(typePhone, "Phone", "Account Phone"),
			fStr("BillingCity", "Billing City", 40), fStr("BillingCountry", "Billing Country", 80),
			fTyped(typeInt, "NumberOfEmployees", "Employees"), fTyped(typeCurrency, "AnnualRevenue", "Annual Revenue"),
			fTyped(typeTextarea, "Description", "Account Description"), fOwner(),
		}},
		{Name: "Contact", Label: "Contact", LabelPlural: "Contacts", KeyPrefix: "003", compoundName: true, Fields: []*fieldDef{
			fID(), fRef("AccountId", "Account ID", "Account", "Account"),
			fPick("Salutation", "Salutation", false, "", "Mr.", "Ms.", "Mrs.", "Dr.", "Prof."),
			fStr("FirstName", "First Name", 40), fReq(fStr("LastName", "Last Name", 80)), calcName(121),
			fTyped(typeEmail, "Email", "Email"), fTyped(typePhone, "Phone", "Business Phone"), fTyped(typePhone, "MobilePhone", "Mobile Phone"),
			fStr("Title", "Title", 128), fStr("Department", "Department", 80),
			fPick("LeadSource", "Lead Source", false, "", "Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"),
			fStr("MailingCity", "Mailing City", 40), fStr("MailingCountry", "Mailing Country", 80),
			fTyped(typeTextarea, "Description", "Contact Description"), fTyped(typeBoolean, "HasOptedOutOfEmail", "Email Opt Out"), fOwner(),
		}},
		{Name: "Lead", Label: "Lead", LabelPlural: "Leads", KeyPrefix: "00Q", compoundName: true, Fields: []*fieldDef{
			fID(),
			fPick("Salutation", "Salutation", false, "", "Mr.", "Ms.", "Mrs.", "Dr.", "Prof."),
			fStr("FirstName", "First Name", 40), fReq(fStr("LastName", "Last Name", 80)), calcName(121),
			fStr("Title", "Title", 128), fReq(fStr("Company", "Company", 255)),
			fTyped(typeEmail, "Email", "Email"), fTyped(typePhone, "Phone", "Phone"), fTyped(typePhone, "MobilePhone", "Mobile Phone"),
			fTyped(typeURL, "Website", "Website"), fStr("City", "City", 40), fStr("Country", "Country", 80),
			fPick("LeadSource", "Lead Source", false, "", "Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"),
			fPick("Status", "Status", true, "Open - Not Contacted", "Open - Not Contacted", "Working - Contacted", "Closed - Converted", "Closed - Not Converted"),
			fPick("Industry", "Industry", false, "", "Agriculture", "Banking", "Consulting", "Education", "Energy", "Finance", "Healthcare", "Manufacturing", "Media", "Retail", "Technology", "Other"),
			fPick("Rating", "Rating", false, "", "Hot", "Warm", "Cold"),
			fTyped(typeInt, "NumberOfEmployees", "Employees"), fTyped(typeTextarea, "Description", "Description"),
			fTyped(typeBoolean, "HasOptedOutOfEmail", "Email Opt Out"), fOwner(),
			fRO(fTyped(typeBoolean, "IsConverted", "Converted")),
			fRO(fTyped(typeDate, "ConvertedDate", "Converted Date")),
			fRO(fRef("ConvertedAccountId", "Converted Account ID", "ConvertedAccount", "Account")),
			fRO(fRef("ConvertedContactId", "Converted Contact ID", "ConvertedContact", "Contact")),
			fRO(fRef("ConvertedOpportunityId", "Converted Opportunity ID", "ConvertedOpportunity", "Opportunity")),
			fRO(fTyped(typeBoolean, "IsUnreadByOwner", "Unread By Owner")),
		}},
		{Name: "Opportunity", Label: "Opportunity", LabelPlural: "Opportunities", KeyPrefix: "006", Fields: []*fieldDef{
			fID(), fRef("AccountId", "Account ID", "Account", "Account"), nameField(fReq(fStr("Name", "Name", 120))),
			fTyped(typeTextarea, "Description", "Description"),
			fReq(fPick("StageName", "Stage", true, "", "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost")),
			fTyped(typeCurrency, "Amount", "Amount"), fTyped(typePercent, "Probability", "Probability (%)"),
			fReq(fTyped(typeDate, "CloseDate", "Close Date")),
			fPick("Type", "Opportunity Type", false, "", "Existing Customer - Upgrade", "Existing Customer - Replacement", "Existing Customer - Downgrade", "New Customer"),
			fPick("LeadSource", "Lead Source", false, "", "Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"),
			fRO(fTyped(typeBoolean, "IsClosed", "Closed")), fRO(fTyped(typeBoolean, "IsWon", "Won")), fOwner(),
		}},
		{Name: "OpportunityContactRole", Label: "Opportunity Contact Role", LabelPlural: "Opportunity Contact Role", KeyPrefix: "00K", Fields: []*fieldDef{
			fID(), fCreateOnly(fReq(fRef("OpportunityId", "Opportunity ID", "Opportunity", "Opportunity"))),
			fReq(fRef("ContactId", "Contact ID", "Contact", "Contact")),
			fPick("Role", "Role", false, "", "Business User", "Decision Maker", "Economic Buyer", "Economic Decision Maker", "Evaluator", "Executive Sponsor", "Influencer", "Technical Buyer", "Other"),
			fTyped(typeBoolean, "IsPrimary", "Primary"),
		}},
		{Name: "Task", Label: "Task", LabelPlural: "Tasks", KeyPrefix: "00T", Fields: []*fieldDef{
			fID(), fRef("WhoId", "Name ID", "Who", "Contact", "Lead"),
			fRef("WhatId", "Related To ID", "What", "Account", "Opportunity", "Case"),
			fStr("Subject", "Subject", 255), fTyped(typeDate, "ActivityDate", "Due Date Only"),
			fPick("Status", "Status", true, "Not Started", "Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"),
			fPick("Priority", "Priority", true, "Normal", "High", "Normal", "Low"),
			fPick("Type", "Type", false, "", "Call", "Email", "Meeting", "Other"),
			fCreateOnly(fPick("TaskSubtype", "Task Subtype", true, "", "Task", "Email", "Call")),
			fTyped(typeTextarea, "Description", "Comments"),
			fRO(fTyped(typeBoolean, "IsClosed", "Closed")),
			fRO(fRef("AccountId", "Account ID", "Account", "Account")), fOwner(),
		}},
		{Name: "Case", Label: "Case", LabelPlural: "Cases", KeyPrefix: "500", Fields: []*fieldDef{
			fID(),
			func() *fieldDef {
				f := nameField(fRO(fStr("CaseNumber", "Case Number", 30)))
				f.AutoNumber, f.DefaultedOnCreate, f.Nillable, f.IDLookup = true, true, false, true
				return f
			}(),
			fRef("ContactId", "Contact ID", "Contact", "Contact"), fRef("AccountId", "Account ID", "Account", "Account"),
			fStr("SuppliedName", "Web Name", 80), fTyped(typeEmail, "SuppliedEmail", "Web Email"), fStr("SuppliedCompany", "Web Company", 80),
			fPick("Type", "Case Type", false, "", "Mechanical", "Electrical", "Electronic", "Structural", "Other", "Question", "Problem", "Feature Request"),
			fPick("Status", "Status", true, "New", "New", "Working", "Escalated", "Closed"),
			fPick("Reason", "Case Reason", false, "", "Installation", "Equipment Complexity", "Performance", "Breakdown", "Equipment Design", "Feedback", "Other"),
			fPick("Origin", "Case Origin", false, "", "Phone", "Email", "Web", "Chat"),
			fStr("Subject", "Subject", 255),
			fPick("Priority", "Priority", true, "Medium", "High", "Medium", "Low"),
			fTyped(typeTextarea, "Description", "Description"),
			fRO(fTyped(typeBoolean, "IsClosed", "Closed")), fRO(fTyped(typeDatetime, "ClosedDate", "Closed Date")), fOwner(),
		}},
	}
	s := &schema{objects: map[string]*objectDef{}, byPrefix: map[string]*objectDef{}}
	for _, o := range objs {
		o.Fields = append(o.Fields, auditFields()...)
		o.index()
		s.objects[strings.ToLower(o.Name)] = o
		s.byPrefix[o.KeyPrefix] = o
	}
	// The default Task subtype is "Task".
	t := s.object("Task").field("TaskSubtype")
	t.DefaultedOnCreate, t.DefaultValue = true, "Task"
	t.Picklist[0].DefaultValue = true
	return s
}
