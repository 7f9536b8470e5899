package connection

import (
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/sync"
)

// SalesforceFields adapts a describe to the fields the sync rules and the
// settings validation work with. Fields hidden from the connected user are
// already absent from the describe; inactive picklist values are left out.
func SalesforceFields(d *salesforce.SObjectDescribe) []sync.SFField {
	out := make([]sync.SFField, 0, len(d.Fields))
	for _, f := range d.Fields {
		var values []string
		for _, v := range f.PicklistValues {
			if v.Active {
				values = append(values, v.Value)
			}
		}
		out = append(out, sync.SFField{
			Object: d.Name, Name: f.Name, Type: f.Type, Createable: f.Createable, Updateable: f.Updateable,
			Nillable: f.Nillable, PicklistValues: values, RestrictedPicklist: f.RestrictedPicklist,
			Length: f.Length, Precision: f.Precision, Scale: f.Scale, ExternalID: f.ExternalID, Unique: f.Unique,
		})
	}
	return out
}

// IntercomAttributes adapts Intercom data attributes to the sync rules'
// form, leaving archived ones out.
func IntercomAttributes(attrs []intercom.DataAttribute) []sync.ICAttribute {
	out := make([]sync.ICAttribute, 0, len(attrs))
	for _, a := range attrs {
		if a.Archived {
			continue
		}
		out = append(out, sync.ICAttribute{Name: a.Name, FullName: AttributeName(a), DataType: a.DataType, Options: a.Options,
			APIWritable: a.APIWritable, Custom: a.Custom})
	}
	return out
}

// AttributeName is how mappings name an Intercom attribute: "phone", or
// "custom_attributes.job_title" for a custom one.
func AttributeName(a intercom.DataAttribute) string {
	switch {
	case a.FullName != "":
		return a.FullName
	case a.Custom:
		return "custom_attributes." + a.Name
	}
	return a.Name
}
