package engine_test

import (
	"slices"
	"testing"

	"github.com/ferrysync/ferry/internal/intercom"
)

// TestListOptions: a Salesforce picklist value missing from the Intercom
// list attribute it maps to is added to the list before the value is
// written (F3.2).
func TestListOptions(t *testing.T) {
	t.Parallel()
	b := setupPlan(t, "Gold", "Silver")
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

// TestListOptionsNeverRemoved: Salesforce values Silver, then Bronze, each
// added to the Intercom list in its own round, leave every option there —
// the one ferry added before and the one added in Intercom meanwhile — not
// the cached list plus the newest value (issue 8 item 9, F3.2).
func TestListOptionsNeverRemoved(t *testing.T) {
	t.Parallel()
	b := setupPlan(t, "Gold", "Silver", "Bronze")
	sfID := b.newRecord("Contact", map[string]any{"Email": "opts@example.com", "Plan__c": "Gold"})
	id := b.newContact(map[string]any{"email": "opts@example.com", "role": "user"})
	b.drain()
	b.poll()

	planAttr := func() intercom.DataAttribute {
		attrs, err := b.icClient().ListDataAttributes(b.ctx, "contact", false)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range attrs {
			if a.Name == "plan" {
				return a
			}
		}
		t.Fatal("no plan attribute")
		return intercom.DataAttribute{}
	}
	b.updateRecord("Contact", sfID, map[string]any{"Plan__c": "Silver"})
	b.poll()
	// An admin adds an option in Intercom while ferry runs.
	a := planAttr()
	if _, err := b.icClient().UpdateDataAttribute(b.ctx, a.ID.String(), intercom.DataAttributeInput{Options: append(slices.Clone(a.Options), "Platinum")}); err != nil {
		t.Fatal(err)
	}
	b.updateRecord("Contact", sfID, map[string]any{"Plan__c": "Bronze"})
	b.poll()
	if got := b.icContact(id).CustomAttributes["plan"]; got != "Bronze" {
		t.Errorf("plan = %v, want Bronze", got)
	}
	got := planAttr().Options
	for _, want := range []string{"Gold", "Silver", "Platinum", "Bronze"} {
		if !slices.Contains(got, want) {
			t.Errorf("plan options = %v; %s was removed or never added", got, want)
		}
	}
}

// setupPlan maps the Intercom list attribute plan (options: Gold) to the
// Contact picklist Plan__c with values.
func setupPlan(t *testing.T, values ...string) *bundle {
	return setup(t, setupOpts{settings: `{"mappings": [
		{"object": "user", "intercom": "custom_attributes.plan", "salesforce": "Plan__c", "direction": "both"}]}`,
		before: func(b *bundle) {
			if err := b.ic.CustomAttribute("contact", "plan", "string", "Gold"); err != nil {
				b.t.Fatal(err)
			}
			if err := b.sf.AddField(sfField("Contact", "Plan__c", values...)); err != nil {
				b.t.Fatal(err)
			}
		}})
}
