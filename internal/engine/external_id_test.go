package engine_test

import (
	"testing"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
)

// TestExternalIDKey: with the person key set to Intercom external_id ↔ a
// chosen Salesforce field, matching uses it in both directions and ignores
// emails (F2.1).
func TestExternalIDKey(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{
		settings: `{"identity": {"person": {"intercom": "external_id", "salesforce": "App_User_ID__c"}},
			"mappings": [{"object": "user", "intercom": "phone", "salesforce": "Phone", "direction": "both"}]}`,
		before: func(b *bundle) {
			for _, obj := range []string{"Lead", "Contact"} {
				if err := b.sf.AddField(sfemu.FieldSpec{Object: obj, Name: "App_User_ID__c", Type: "string", Length: 40, ExternalID: true}); err != nil {
					b.t.Fatal(err)
				}
			}
		}})
	// Same email, different key: no match.
	b.newRecord("Contact", map[string]any{"Email": "same@example.com", "App_User_ID__c": "other"})
	byKey := b.newRecord("Contact", map[string]any{"Email": "different@example.com", "App_User_ID__c": "u-1", "Phone": "42"})
	id := b.newContact(map[string]any{"email": "same@example.com", "external_id": "u-1", "role": "user"})
	b.drain()
	if m, ok := b.mapping(id); !ok || m.SFID != byKey {
		t.Fatalf("mapping = %+v, %v; want the Contact with App_User_ID__c u-1 (%s)", m, ok, byKey)
	}
	if got := b.icContact(id).Phone; got != "42" {
		t.Errorf("phone = %q, want 42 (F3.4)", got)
	}

	// Reverse direction: a Contact created with the key of an unmapped user.
	other := b.newContact(map[string]any{"email": "x@example.com", "external_id": "u-2", "role": "user"})
	b.drain()
	sfID := b.newRecord("Contact", map[string]any{"App_User_ID__c": "u-2"})
	b.poll()
	if m, ok := b.mapping(other); !ok || m.SFID != sfID {
		t.Errorf("mapping after the poll = %+v, %v; want %s", m, ok, sfID)
	}
}
