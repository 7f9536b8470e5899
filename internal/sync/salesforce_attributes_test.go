package sync

import (
	"reflect"
	"testing"
	"time"
)

func TestSalesforceAttributes(t *testing.T) {
	t.Parallel()
	owner := SFOwner{ID: "0051", Name: "Sam Seller", Email: "sam@corp.example", Role: "AE"}
	lead := SFRecord{Object: "Lead", ID: "00Q1", Status: "Open", Title: "CTO", Owner: owner}
	got := SalesforceAttributes(lead)
	want := map[string]any{
		"SALESFORCE_STATUS": "Open", "SALESFORCE_TITLE": "CTO", "SALESFORCE_OWNER_ID": "0051",
		"SALESFORCE_OWNER_NAME": "Sam Seller", "SALESFORCE_OWNER_EMAIL": "sam@corp.example",
		"SALESFORCE_OWNER_ROLE": "AE", "SALESFORCE_ID": "00Q1", "SALESFORCE_OBJECT_TYPE": "Lead",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SalesforceAttributes(lead) =\n%v\nwant\n%v", got, want)
	}
	contact := SalesforceAttributes(SFRecord{Object: "Contact", ID: "0031", Owner: SFOwner{ID: "0051", Name: "Sam Seller"}})
	if contact[AttrSalesforceStatus] != nil || contact[AttrSalesforceOwnerRole] != nil || len(contact) != 8 {
		t.Errorf("contact attributes = %v; want all 8 keys, empty ones nil", contact)
	}
	defs := SalesforceAttributeDefs()
	if len(defs) != 8 || defs[0].FullName != "custom_attributes.SALESFORCE_STATUS" || defs[0].DataType != "string" {
		t.Errorf("defs = %+v", defs)
	}
	for _, d := range defs {
		if _, ok := got[d.Name]; !ok {
			t.Errorf("def %s has no value in SalesforceAttributes", d.Name)
		}
	}
}

func TestChangedAttributes(t *testing.T) {
	t.Parallel()
	prev := map[string]any{"SALESFORCE_STATUS": "Open", "SALESFORCE_TITLE": "CTO", "SALESFORCE_ROLE": nil}
	next := map[string]any{"SALESFORCE_STATUS": "Working", "SALESFORCE_TITLE": "CTO", "SALESFORCE_ROLE": "", "SALESFORCE_ID": "00Q1"}
	want := map[string]any{"SALESFORCE_STATUS": "Working", "SALESFORCE_ID": "00Q1"}
	if got := ChangedAttributes(prev, next); !reflect.DeepEqual(got, want) {
		t.Errorf("ChangedAttributes = %v, want %v", got, want)
	}
	if got := ChangedAttributes(next, next); got != nil {
		t.Errorf("ChangedAttributes(same) = %v, want nil", got)
	}
}

func TestSalesforceEvents(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	lead := SalesforceAttributes(SFRecord{Object: "Lead", ID: "00Q1", Status: "Open"})
	working := SalesforceAttributes(SFRecord{Object: "Lead", ID: "00Q1", Status: "Working"})
	contact := SalesforceAttributes(SFRecord{Object: "Contact", ID: "0031"})
	tests := []struct {
		name       string
		prev, next map[string]any
		want       []DataEvent
	}{
		{"first enrichment records nothing", map[string]any{}, lead, nil},
		{"no change", lead, lead, nil},
		{"status change", lead, working, []DataEvent{{EventChangeStatus, now.Unix(), map[string]string{"from": "Open", "to": "Working", "salesforce_id": "00Q1"}}}},
		{"conversion changes object type and status", working, contact, []DataEvent{
			{EventChangeObjectType, now.Unix(), map[string]string{"from": "Lead", "to": "Contact", "salesforce_id": "0031"}},
			{EventChangeStatus, now.Unix(), map[string]string{"from": "Working", "to": "", "salesforce_id": "0031"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := SalesforceEvents(tt.prev, tt.next, now); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SalesforceEvents =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}
