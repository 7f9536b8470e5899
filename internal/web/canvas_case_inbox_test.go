package web_test

import (
	"strings"
	"sync"
	"testing"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

// caseThroughInbox has a Salesforce Contact write in through the Intercom
// emulator's inbox and opens the New Case form beside the conversation.
func (in *inbox) caseThroughInbox(t *testing.T, email string) (contact, conv string) {
	t.Helper()
	contact = in.create(t, "Contact", map[string]any{"FirstName": "Ivy", "LastName": "Inbox", "Email": email})
	_, conv = in.writesIn(t, map[string]any{"role": "user", "name": "Ivy Inbox", "email": email})
	says(t, in.open(t, conv), "Salesforce Contact", `"id":"new_case"`)
	says(t, in.click(t, conv, icemu.InboxClick{ComponentID: "new_case"}), "New Case", `"id":"submit_case"`)
	return contact, conv
}

// F6.4 through the Intercom emulator's inbox: the form's defaults are sent
// back as the inbox sends them, the Case is made and the conversation gets
// the note.
func TestInboxNewCase(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	in.throughInbox(t, "")
	contact, conv := in.caseThroughInbox(t, "ivy@inbox.example")
	v := in.click(t, conv, icemu.InboxClick{ComponentID: "submit_case", InputValues: map[string]any{"case_Subject": "Through the inbox"}})
	says(t, v, "created in Salesforce", "Open cases (1)", "Through the inbox")
	cases := in.recordsWhere("Case", "ContactId", contact)
	if len(cases) != 1 || cases[0]["Priority"] != "Medium" {
		t.Fatalf("Cases %v, want one with the form's default priority", cases)
	}
	if notes := in.notes(t, conv); len(notes) != 1 || !strings.Contains(notes[0], cases[0]["CaseNumber"].(string)) {
		t.Fatalf("notes %q", notes)
	}
	in.allValid(t)
}

// F6.4: two ferry instances on one PostgreSQL database behind one address
// take 20 identical New Case submits at once: one Case, one note.
func TestInboxNewCaseTwoInstancesOnPostgres(t *testing.T) {
	t.Parallel()
	in := setupInboxOn(t, storetest.PostgresURL(t))
	served := in.twoInstances(t)
	contact, conv := in.caseThroughInbox(t, "twin.case@inbox.example")
	submit := icemu.InboxClick{ComponentID: "submit_case", InputValues: map[string]any{"case_Subject": "Twenty clicks", "case_Priority": "High"}}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			v, err := in.ic.ClickComponent(t.Context(), conv, "", submit)
			if err != nil || v.Error != "" || !strings.Contains(shown(v.Components()), "Salesforce Contact") {
				t.Errorf("submit: %v %+v", err, v)
			}
		})
	}
	wg.Wait()
	n := len(in.recordsWhere("Case", "ContactId", contact))
	t.Logf("Cases after 20 submits over two instances: %d", n)
	if n != 1 {
		t.Fatalf("20 submits over two instances made %d Cases, want 1", n)
	}
	if notes := in.notes(t, conv); len(notes) != 1 {
		t.Fatalf("%d notes, want 1", len(notes))
	}
	if served[0].Load() == 0 || served[1].Load() == 0 {
		t.Fatalf("the balancer sent %d and %d requests: both instances must serve", served[0].Load(), served[1].Load())
	}
	in.allValid(t)
}
