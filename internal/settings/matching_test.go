package settings

import "testing"

// TestRematchAfter: saving settings re-runs matching when records left
// unmatched may match now, and only then (issue 8 item 10).
func TestRematchAfter(t *testing.T) {
	t.Parallel()
	base := Default()
	withAccounts := Default()
	withAccounts.Identity.Company.Salesforce = "AccountNumber"
	otherAccountField := Default()
	otherAccountField.Identity.Company.Salesforce = "Site"
	externalID := Default()
	externalID.Identity.Person = PersonKey{Intercom: PersonKeyExternalID, Salesforce: "Intercom_User_ID__c"}
	otherField := Default()
	otherField.Identity.Person.Salesforce = "Alt_Email__c"
	spelled := Default()
	spelled.Identity.Person = PersonKey{Salesforce: " email"}
	mapped := withAccounts
	mapped.Mappings = []Mapping{{Object: "lead", Intercom: "phone", Salesforce: "Phone", Direction: "both"}}
	tests := []struct {
		name   string
		before *Document
		after  Document
		want   Rematch
	}{
		{"first settings match people", nil, base, Rematch{People: true}},
		{"first settings with account sync match people and companies", nil, withAccounts, Rematch{People: true, Companies: true}},
		{"account sync turned on matches companies", &base, withAccounts, Rematch{Companies: true}},
		{"another Account field matches companies", &withAccounts, otherAccountField, Rematch{Companies: true}},
		{"account sync turned off matches nothing", &withAccounts, base, Rematch{}},
		{"another person key matches people", &base, externalID, Rematch{People: true}},
		{"another Salesforce key field matches people", &base, otherField, Rematch{People: true}},
		{"the default key spelled differently is no change", &base, spelled, Rematch{}},
		{"new attribute mappings match nothing", &withAccounts, mapped, Rematch{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := RematchAfter(tt.before, tt.after); got != tt.want {
				t.Errorf("RematchAfter = %+v, want %+v", got, tt.want)
			}
		})
	}
}
