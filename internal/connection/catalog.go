package connection

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

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

// DescribeSalesforce describes objects afresh (not from the client's
// cache: the admin may just have added the field being mapped) and adapts
// them for the sync rules. Objects in optional that the user cannot see
// (404) are left out; any other failure is returned. The engine binds
// settings and the admin API validates them against this one reading. All
// the objects are described in one Composite call (one API call).
func DescribeSalesforce(ctx context.Context, sf *salesforce.Client, objects []string, optional ...string) (map[string][]sync.SFField, error) {
	return DescribeSalesforceWithin(ctx, sf, 0, objects, optional...)
}

// DescribeSalesforceWithin is DescribeSalesforce taking the describes the
// client read within maxAge from its cache (e.g. read with a poll), so
// that a schema refresh costs no call of its own.
func DescribeSalesforceWithin(ctx context.Context, sf *salesforce.Client, maxAge time.Duration, objects []string, optional ...string) (map[string][]sync.SFField, error) {
	out := make(map[string][]sync.SFField, len(objects))
	ds, errs, err := sf.DescribeFresh(ctx, objects, maxAge)
	if err != nil {
		return out, err
	}
	for _, obj := range objects {
		if err := errs[obj]; err != nil {
			if slices.Contains(optional, obj) && errors.Is(err, salesforce.ErrNotFound) {
				continue
			}
			return out, fmt.Errorf("salesforce describe %s: %w", obj, err)
		}
		out[obj] = SalesforceFields(ds[obj])
	}
	return out, nil
}

// IntercomModels are the Intercom data attribute models mappings use.
var IntercomModels = []string{"contact", "company"}

// ListIntercomAttributes reads the contact and company data attributes,
// adapted for the sync rules, and the ids of the custom ones by mapping
// name (to add list options, F3.2).
func ListIntercomAttributes(ctx context.Context, ic *intercom.Client) (map[string][]sync.ICAttribute, map[string]string, error) {
	out := map[string][]sync.ICAttribute{}
	ids := map[string]string{}
	for _, model := range IntercomModels {
		attrs, err := ic.ListDataAttributes(ctx, model, false)
		if err != nil {
			return out, ids, fmt.Errorf("intercom data attributes (%s): %w", model, err)
		}
		out[model] = IntercomAttributes(attrs)
		for _, a := range attrs {
			if a.Custom && a.ID != "" {
				ids[AttributeName(a)] = a.ID.String()
			}
		}
	}
	return out, ids, nil
}
