package engine_test

import (
	"testing"

	sfemu "github.com/ferrysync/ferry/emulator/salesforce"
)

// TestSyncUpdatesNeverReassignOwners: with an active Lead assignment rule in
// the org, a value synced from Intercom updates the Lead and leaves its owner
// alone. Salesforce runs active assignment rules on REST updates unless told
// not to, so every write path (a blind write, a conditional one for a
// both-way field) must say so (F3.4, F5).
func TestSyncUpdatesNeverReassignOwners(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"to_salesforce", "both"} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{settings: `{"mappings": [
				{"object": "lead", "intercom": "phone", "salesforce": "Phone", "direction": "` + dir + `"}]}`})
			owner := b.user("Owner")
			queue := b.user("Queue")
			if _, err := b.sf.AddAssignmentRule(sfemu.AssignmentRuleSpec{Object: "Lead", Name: "Everything to the queue", Active: true,
				Entries: []sfemu.RuleEntry{{OwnerID: queue}}}); err != nil {
				t.Fatal(err)
			}
			lead := b.newRecord("Lead", map[string]any{"Email": "kept@example.com", "Phone": "1", "OwnerId": owner})
			if got := b.sfField("Lead", lead, "OwnerId"); got != owner {
				t.Fatalf("premise: a Lead created in Salesforce's UI is owned by %v, want %s", got, owner)
			}
			id := b.newContact(map[string]any{"email": "kept@example.com"})
			b.drain()
			b.updateContact(id, map[string]any{"phone": "+1 555 0199"})
			b.drain()
			if got := b.sfField("Lead", lead, "Phone"); got != "+1 555 0199" {
				t.Fatalf("Lead.Phone = %v, want the Intercom phone", got)
			}
			if got := b.sfField("Lead", lead, "OwnerId"); got != owner {
				t.Fatalf("Lead.OwnerId = %v after a synced phone, want %s (the assignment rule ran)", got, owner)
			}
		})
	}
}
