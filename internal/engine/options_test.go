package engine_test

import (
	"slices"
	"testing"
)

// TestListOptions: a Salesforce picklist value missing from the Intercom
// list attribute it maps to is added to the list before the value is
// written (F3.2).
func TestListOptions(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: `{"mappings": [
		{"object": "user", "intercom": "custom_attributes.plan", "salesforce": "Plan__c", "direction": "both"}]}`,
		before: func(b *bundle) {
			if err := b.ic.CustomAttribute("contact", "plan", "string", "Gold"); err != nil {
				b.t.Fatal(err)
			}
			if err := b.sf.AddField(sfField("Contact", "Plan__c", "Gold", "Silver")); err != nil {
				b.t.Fatal(err)
			}
		}})
	sfID := b.newRecord("Contact", map[string]any{"Email": "opt@example.com", "Plan__c": "Gold"})
	id := b.newContact(map[string]any{"email": "opt@example.com", "role": "user"})
	b.drain()
	b.poll()
	b.updateRecord("Contact", sfID, map[string]any{"Plan__c": "Silver"})
	b.poll()
	if got := b.icContact(id).CustomAttributes["plan"]; got != "Silver" {
		t.Errorf("plan = %v, want Silver", got)
	}
	attrs, err := b.icClient().ListDataAttributes(b.ctx, "contact", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attrs {
		if a.Name == "plan" && !slices.Contains(a.Options, "Silver") {
			t.Errorf("plan options = %v; Silver was not added", a.Options)
		}
	}
}
