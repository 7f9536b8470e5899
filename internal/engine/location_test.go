package engine_test

import "testing"

// TestLocationAndUTM: the person's country code reaches Salesforce as the
// country name its picklists accept, and UTM parameters map to Lead fields
// (F3.7).
func TestLocationAndUTM(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: `{"mappings": [
		{"object": "lead", "intercom": "location.country_code", "salesforce": "Country", "direction": "to_salesforce"},
		{"object": "lead", "intercom": "utm_source", "salesforce": "Utm_Source__c", "direction": "to_salesforce"}]}`,
		before: func(b *bundle) {
			if err := b.sf.AddField(sfTextField("Lead", "Utm_Source__c")); err != nil {
				b.t.Fatal(err)
			}
		}})
	lead := b.newRecord("Lead", map[string]any{"Email": "geo@example.com"})
	b.newContact(map[string]any{"email": "geo@example.com",
		"location": map[string]any{"country_code": "DE", "continent_code": "EU"}, "utm_source": "newsletter"})
	b.drain()
	if got := b.sfField("Lead", lead, "Country"); got != "Germany" {
		t.Errorf("Lead.Country = %v, want Germany", got)
	}
	if got := b.sfField("Lead", lead, "Utm_Source__c"); got != "newsletter" {
		t.Errorf("Lead.Utm_Source__c = %v, want newsletter", got)
	}
}
