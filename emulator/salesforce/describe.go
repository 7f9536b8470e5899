package salesforce

import (
	"net/http"
)

// fieldDescribe is one field of a describe result; keys are in Salesforce's
// (alphabetical) order.
type fieldDescribe struct {
	Aggregatable       bool               `json:"aggregatable"`
	AutoNumber         bool               `json:"autoNumber"`
	ByteLength         int                `json:"byteLength"`
	Calculated         bool               `json:"calculated"`
	CalculatedFormula  any                `json:"calculatedFormula"`
	CascadeDelete      bool               `json:"cascadeDelete"`
	CaseSensitive      bool               `json:"caseSensitive"`
	CompoundFieldName  any                `json:"compoundFieldName"`
	ControllerName     any                `json:"controllerName"`
	Createable         bool               `json:"createable"`
	Custom             bool               `json:"custom"`
	DefaultValue       any                `json:"defaultValue"`
	DefaultValueForm   any                `json:"defaultValueFormula"`
	DefaultedOnCreate  bool               `json:"defaultedOnCreate"`
	DependentPicklist  bool               `json:"dependentPicklist"`
	DeprecatedHidden   bool               `json:"deprecatedAndHidden"`
	Digits             int                `json:"digits"`
	Encrypted          bool               `json:"encrypted"`
	ExternalID         bool               `json:"externalId"`
	ExtraTypeInfo      any                `json:"extraTypeInfo"`
	Filterable         bool               `json:"filterable"`
	Groupable          bool               `json:"groupable"`
	HTMLFormatted      bool               `json:"htmlFormatted"`
	IDLookup           bool               `json:"idLookup"`
	InlineHelpText     any                `json:"inlineHelpText"`
	Label              string             `json:"label"`
	Length             int                `json:"length"`
	Name               string             `json:"name"`
	NameField          bool               `json:"nameField"`
	NamePointing       bool               `json:"namePointing"`
	Nillable           bool               `json:"nillable"`
	Permissionable     bool               `json:"permissionable"`
	PicklistValues     []picklistDescribe `json:"picklistValues"`
	PolymorphicFK      bool               `json:"polymorphicForeignKey"`
	Precision          int                `json:"precision"`
	ReferenceTarget    any                `json:"referenceTargetField"`
	ReferenceTo        []string           `json:"referenceTo"`
	RelationshipName   *string            `json:"relationshipName"`
	RelationshipOrder  any                `json:"relationshipOrder"`
	RestrictedDelete   bool               `json:"restrictedDelete"`
	RestrictedPicklist bool               `json:"restrictedPicklist"`
	Scale              int                `json:"scale"`
	SoapType           string             `json:"soapType"`
	Sortable           bool               `json:"sortable"`
	Type               string             `json:"type"`
	Unique             bool               `json:"unique"`
	Updateable         bool               `json:"updateable"`
	WriteRequiresRead  bool               `json:"writeRequiresMasterRead"`
}

type picklistDescribe struct {
	Active       bool    `json:"active"`
	DefaultValue bool    `json:"defaultValue"`
	Label        string  `json:"label"`
	ValidFor     *string `json:"validFor"`
	Value        string  `json:"value"`
}

type childRelationship struct {
	CascadeDelete       bool     `json:"cascadeDelete"`
	ChildSObject        string   `json:"childSObject"`
	DeprecatedAndHidden bool     `json:"deprecatedAndHidden"`
	Field               string   `json:"field"`
	JunctionIDListNames []string `json:"junctionIdListNames"`
	JunctionReferenceTo []string `json:"junctionReferenceTo"`
	RelationshipName    *string  `json:"relationshipName"`
	RestrictedDelete    bool     `json:"restrictedDelete"`
}

// sobjectDescribe holds the keys shared by describe global entries and the
// full describe.
type sobjectDescribe struct {
	Activateable        bool                `json:"activateable"`
	ChildRelationships  []childRelationship `json:"childRelationships,omitempty"`
	Createable          bool                `json:"createable"`
	Custom              bool                `json:"custom"`
	CustomSetting       bool                `json:"customSetting"`
	Deletable           bool                `json:"deletable"`
	DeprecatedAndHidden bool                `json:"deprecatedAndHidden"`
	FeedEnabled         bool                `json:"feedEnabled"`
	Fields              []fieldDescribe     `json:"fields,omitempty"`
	HasSubtypes         bool                `json:"hasSubtypes"`
	IsInterface         bool                `json:"isInterface"`
	IsSubtype           bool                `json:"isSubtype"`
	KeyPrefix           string              `json:"keyPrefix"`
	Label               string              `json:"label"`
	LabelPlural         string              `json:"labelPlural"`
	Layoutable          bool                `json:"layoutable"`
	Mergeable           bool                `json:"mergeable"`
	MruEnabled          bool                `json:"mruEnabled"`
	Name                string              `json:"name"`
	Queryable           bool                `json:"queryable"`
	RecordTypeInfos     *[]any              `json:"recordTypeInfos,omitempty"`
	Replicateable       bool                `json:"replicateable"`
	Retrieveable        bool                `json:"retrieveable"`
	Searchable          bool                `json:"searchable"`
	Triggerable         bool                `json:"triggerable"`
	Undeletable         bool                `json:"undeletable"`
	Updateable          bool                `json:"updateable"`
	URLs                map[string]string   `json:"urls"`
}

// childRelNames names the child relationships worth listing.
var childRelNames = map[string]string{
	"Contact.AccountId": "Contacts", "Opportunity.AccountId": "Opportunities", "Case.AccountId": "Cases",
	"Case.ContactId": "Cases", "Task.WhatId": "Tasks", "Task.WhoId": "Tasks",
	"OpportunityContactRole.OpportunityId": "OpportunityContactRoles", "OpportunityContactRole.ContactId": "OpportunityContactRoles",
	"User.UserRoleId": "Users",
}

func (s *Server) describeObject(o *objectDef, version string, full bool) sobjectDescribe {
	base := "/services/data/" + version + "/sobjects/" + o.Name
	d := sobjectDescribe{
		Createable: true, Deletable: true, KeyPrefix: o.KeyPrefix, Label: o.Label, LabelPlural: o.LabelPlural,
		Layoutable: true, Mergeable: o.Name == "Account" || o.Name == "Contact" || o.Name == "Lead",
		MruEnabled: true, Name: o.Name, Queryable: true, Replicateable: true, Retrieveable: true,
		Searchable: true, Triggerable: true, Undeletable: true, Updateable: true,
		URLs: map[string]string{"sobject": base, "describe": base + "/describe", "rowTemplate": base + "/{ID}"},
	}
	if !full {
		return d
	}
	d.URLs["layouts"] = base + "/describe/layouts"
	d.URLs["compactLayouts"] = base + "/describe/compactLayouts"
	d.URLs["listviews"] = base + "/listviews"
	d.URLs["quickActions"] = base + "/quickActions"
	d.URLs["defaultValues"] = base + "/defaultValues?recordTypeId&fields"
	d.RecordTypeInfos = &[]any{}
	d.Fields = []fieldDescribe{}
	for _, f := range o.Fields {
		if !f.Hidden {
			d.Fields = append(d.Fields, describeField(f))
		}
	}
	d.ChildRelationships = []childRelationship{}
	for _, name := range s.schema.names() {
		child := s.schema.object(name)
		for _, f := range child.Fields {
			rel, ok := childRelNames[child.Name+"."+f.Name]
			if !ok || f.Hidden || !contains(f.ReferenceTo, o.Name) {
				continue
			}
			d.ChildRelationships = append(d.ChildRelationships, childRelationship{
				CascadeDelete: child.Name == "OpportunityContactRole", ChildSObject: child.Name, Field: f.Name,
				JunctionIDListNames: []string{}, JunctionReferenceTo: []string{}, RelationshipName: &rel,
			})
		}
	}
	return d
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func describeField(f *fieldDef) fieldDescribe {
	d := fieldDescribe{
		AutoNumber: f.AutoNumber, Calculated: f.Calculated, CascadeDelete: f.CascadeDelete,
		CaseSensitive: f.CaseSensitive, Createable: f.apiCreateable(), Custom: f.Custom,
		DefaultedOnCreate: f.DefaultedOnCreate, Digits: f.Digits, ExternalID: f.ExternalID,
		HTMLFormatted: f.HTMLFormatted, IDLookup: f.IDLookup || f.ExternalID || f.Type == typeEmail, Label: f.Label,
		Length: f.Length, Name: f.Name, NameField: f.NameField, Nillable: f.Nillable,
		Permissionable: f.Nillable && !f.Calculated && f.Createable, PicklistValues: []picklistDescribe{},
		Precision: f.Precision, ReferenceTo: []string{}, RestrictedPicklist: f.RestrictedPicklist,
		Scale: f.Scale, SoapType: soapTypes[f.Type], Type: f.Type, Unique: f.Unique, Updateable: f.apiUpdateable(),
		Filterable: f.Type != typeTextarea, Sortable: f.Type != typeTextarea,
		Groupable:    f.Type != typeTextarea && f.Type != typeDatetime && f.Type != typeDouble && f.Type != typeCurrency && f.Type != typePercent,
		Aggregatable: f.Type != typeTextarea,
	}
	switch f.Type {
	case typeID, typeReference:
		d.ByteLength = 18
	case typeString, typeEmail, typePhone, typeURL, typeTextarea, typePicklist:
		d.ByteLength = f.Length * 3
	}
	if f.Type == typeBoolean {
		d.DefaultValue = f.DefaultValue == true
	} else if f.Type == typePicklist {
		d.DefaultValue = nil
	}
	for _, p := range f.Picklist {
		d.PicklistValues = append(d.PicklistValues, picklistDescribe{Active: p.Active, DefaultValue: p.DefaultValue, Label: p.Label, Value: p.Value})
	}
	if f.Type == typeReference {
		d.ReferenceTo = append(d.ReferenceTo, f.ReferenceTo...)
		d.PolymorphicFK = len(f.ReferenceTo) > 1
		d.NamePointing = len(f.ReferenceTo) > 1
		if f.RelationshipName != "" {
			rel := f.RelationshipName
			d.RelationshipName = &rel
		}
	}
	return d
}

func (s *Server) handleDescribeGlobal(w http.ResponseWriter, r *http.Request) {
	type global struct {
		Encoding     string            `json:"encoding"`
		MaxBatchSize int               `json:"maxBatchSize"`
		Sobjects     []sobjectDescribe `json:"sobjects"`
	}
	out := global{Encoding: "UTF-8", MaxBatchSize: 200, Sobjects: []sobjectDescribe{}}
	_ = s.withTxn(r.Context(), false, func(tx *txn) error {
		for _, name := range s.schema.names() {
			out.Sobjects = append(out.Sobjects, s.describeObject(s.schema.object(name), apiVersion(r), false))
		}
		return nil
	})
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleDescribe(w http.ResponseWriter, r *http.Request) {
	var out sobjectDescribe
	err := s.withTxn(r.Context(), false, func(tx *txn) error {
		o := s.schema.object(r.PathValue("object"))
		if o == nil {
			return errNotFound()
		}
		out = s.describeObject(o, apiVersion(r), true)
		return nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// handleObjectInfo is GET …/sobjects/{object}: basic info and recent items.
func (s *Server) handleObjectInfo(w http.ResponseWriter, r *http.Request) {
	type info struct {
		ObjectDescribe sobjectDescribe `json:"objectDescribe"`
		RecentItems    []any           `json:"recentItems"`
	}
	var out info
	err := s.withTxn(r.Context(), false, func(tx *txn) error {
		o := s.schema.object(r.PathValue("object"))
		if o == nil {
			return errNotFound()
		}
		out = info{ObjectDescribe: s.describeObject(o, apiVersion(r), false), RecentItems: []any{}}
		return nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
