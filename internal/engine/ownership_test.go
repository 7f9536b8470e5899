package engine_test

import (
	"strconv"
	"testing"
	"time"
)

const ownershipSettings = `{"ownership": {"enabled": true, "restore_intercom_owner": true}, "tasks": {"enabled": false}}`

// icOwner is a contact's Intercom owner, "" for none.
func (b *bundle) icOwner(id string) string {
	b.t.Helper()
	c := b.icContact(id)
	if s := string(c.OwnerID); s != "0" {
		return s
	}
	return ""
}

// user adds a Salesforce User with no teammate in Intercom.
func (b *bundle) user(last string) string {
	b.t.Helper()
	return b.sfUser("", last, last+"@corp.example")
}

// Every owner rule of F5.2 end to end: the person's Salesforce owners
// decide the Intercom owner when the person is matched.
func TestIntercomOwnerFollowsSalesforceOwnerRules(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: ownershipSettings})
	mariaAdmin, mariaUser := b.teammate("Maria", "Garcia")
	jamesAdmin, jamesUser := b.teammate("James", "Chen")
	nobody := b.user("nobody")
	account := func(owner string) string {
		id, err := b.sf.CreateRecord("Account", map[string]any{"Name": "Acct " + owner, "OwnerId": owner})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	fallback := b.ic.OwnAdminID() // the teammate who connected ferry
	cases := []struct {
		name   string
		object string
		fields map[string]any
		want   string
	}{
		{"the Account owner's teammate", "Contact", map[string]any{"AccountId": account(mariaUser), "OwnerId": jamesUser}, mariaAdmin},
		{"an Account owner without a teammate clears, even with a Contact owner teammate", "Contact",
			map[string]any{"AccountId": account(nobody), "OwnerId": jamesUser}, ""},
		{"no Account: the Contact owner's teammate", "Contact", map[string]any{"OwnerId": jamesUser}, jamesAdmin},
		{"a Lead: the Lead owner's teammate", "Lead", map[string]any{"OwnerId": mariaUser}, mariaAdmin},
		{"no owner with a teammate: the teammate who connected", "Lead", map[string]any{"OwnerId": nobody}, fallback},
	}
	for i, c := range cases {
		email := "owner" + strconv.Itoa(i) + "@example.com"
		c.fields["Email"] = email
		b.newRecord(c.object, c.fields)
		role := "lead"
		if c.object == "Contact" {
			role = "user"
		}
		icID := b.newContact(map[string]any{"email": email, "role": role})
		b.drain()
		if c.want == "" {
			// A teammate sets an owner by hand: cleared again.
			mark := b.lastEventID()
			if err := b.ic.SetContactOwner(icID, mustInt(jamesAdmin)); err != nil {
				t.Fatal(err)
			}
			b.waitEvent(mark, icID, "updated")
			b.drain()
		}
		if got := b.icOwner(icID); got != c.want {
			t.Errorf("%s: Intercom owner = %q, want %q", c.name, got, c.want)
		}
	}
}

func mustInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

// An owner change in Salesforce reaches Intercom at the next poll; an
// owner changed by hand in Intercom is put back, with the reason in
// history, and neither write echoes.
func TestOwnerChangeReachesIntercomAndManualChangeIsRestored(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: ownershipSettings})
	mariaAdmin, mariaUser := b.teammate("Maria", "Garcia")
	jamesAdmin, jamesUser := b.teammate("James", "Chen")
	leadID := b.newRecord("Lead", map[string]any{"Email": "pat@example.com", "OwnerId": jamesUser})
	icID := b.newContact(map[string]any{"email": "pat@example.com", "role": "lead"})
	b.drain()
	if got := b.icOwner(icID); got != jamesAdmin {
		t.Fatalf("owner after matching = %q, want James %s", got, jamesAdmin)
	}
	b.drain() // the owner write's own webhook: an echo, nothing written

	b.updateRecord("Lead", leadID, map[string]any{"OwnerId": mariaUser})
	b.poll()
	if got := b.icOwner(icID); got != mariaAdmin {
		t.Fatalf("owner after the Salesforce change = %q, want Maria %s", got, mariaAdmin)
	}

	// A teammate changes the owner by hand in Intercom: put back.
	b.clock.Advance(2 * time.Second)
	mark := b.lastEventID()
	if err := b.ic.SetContactOwner(icID, mustInt(jamesAdmin)); err != nil {
		t.Fatal(err)
	}
	b.waitEvent(mark, icID, "updated")
	b.drain()
	if got := b.icOwner(icID); got != mariaAdmin {
		t.Fatalf("owner after a change by hand = %q, want Maria %s put back", got, mariaAdmin)
	}
	b.drain()
	b.poll()
	var set, restored int
	for _, h := range b.historyOf(icID) {
		switch h.Outcome {
		case "owner_set":
			set++
		case "owner_restored":
			restored++
			if h.Rule == "" || h.Message == "" {
				t.Errorf("restore without a reason: %+v", h)
			}
		}
	}
	if set != 2 || restored != 1 {
		t.Fatalf("history: %d owner writes and %d restores, want 2 and 1 (no echo)", set, restored)
	}
}

// With ownership.assign_conversations on, a new conversation from a
// mapped person goes to their owner teammate, and its Task follows.
func TestNewConversationAssignedToOwnerTeammate(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: `{"ownership": {"enabled": true, "assign_conversations": true}, "tasks": {"enabled": true}}`})
	mariaAdmin, mariaUser := b.teammate("Maria", "Garcia")
	leadID := b.newRecord("Lead", map[string]any{"Email": "ann@example.com", "OwnerId": mariaUser})
	icID := b.newContact(map[string]any{"email": "ann@example.com", "role": "lead"})
	b.drain()
	if got := b.icOwner(icID); got != mariaAdmin {
		t.Fatalf("owner = %q, want Maria %s", got, mariaAdmin)
	}
	conv := b.startConversation(icID, "Hello")
	b.drain() // assigns; the assignment's webhook follows
	c, err := b.icClient().GetConversation(b.ctx, conv)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.AdminAssigneeID) != mariaAdmin {
		t.Fatalf("conversation assigned to %q, want the owner teammate %s", c.AdminAssigneeID, mariaAdmin)
	}
	b.drain()
	if got := b.oneTask(leadID).String("OwnerId"); got != mariaUser {
		t.Fatalf("Task owner %s, want Maria's User %s", got, mariaUser)
	}
}

// An Account owner change in Salesforce reaches the Intercom owner of its
// Contacts at the next poll, even with account sync off.
func TestAccountOwnerChangeReachesIntercom(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: ownershipSettings})
	mariaAdmin, mariaUser := b.teammate("Maria", "Garcia")
	jamesAdmin, jamesUser := b.teammate("James", "Chen")
	acct, err := b.sf.CreateRecord("Account", map[string]any{"Name": "Acme", "OwnerId": jamesUser})
	if err != nil {
		t.Fatal(err)
	}
	b.newRecord("Contact", map[string]any{"Email": "ceo@acme.example", "AccountId": acct, "OwnerId": mariaUser})
	icID := b.newContact(map[string]any{"email": "ceo@acme.example", "role": "user"})
	b.drain()
	if got := b.icOwner(icID); got != jamesAdmin {
		t.Fatalf("owner = %q, want the Account owner's teammate %s", got, jamesAdmin)
	}
	b.poll() // a first poll starts the Account watermark
	b.updateRecord("Account", acct, map[string]any{"OwnerId": mariaUser})
	b.poll()
	if got := b.icOwner(icID); got != mariaAdmin {
		t.Fatalf("owner after the Account owner changed = %q, want %s", got, mariaAdmin)
	}
}
