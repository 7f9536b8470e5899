package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/store"
)

// tasksOn returns the Salesforce Tasks on a Lead or Contact.
func (in *inbox) tasksOn(who string) []map[string]any { return in.recordsWhere("Task", "WhoId", who) }

// addNote adds a note to a conversation as the workspace's first teammate,
// through Intercom's API, and returns the note's part id.
func (in *inbox) addNote(t *testing.T, conv, body string) string {
	t.Helper()
	ctx := t.Context()
	ic, err := in.manager.Intercom(ctx, in.connID)
	if err != nil {
		t.Fatal(err)
	}
	admins, err := ic.ListAdmins(ctx)
	if err != nil || len(admins) == 0 {
		t.Fatalf("admins: %v %v", admins, err)
	}
	full, err := ic.AddNote(ctx, conv, string(admins[0].ID), body)
	if err != nil {
		t.Fatal(err)
	}
	note := ""
	for _, p := range full.ConversationParts.Parts {
		if p.PartType == "note" {
			note = p.ID
		}
	}
	if note == "" {
		t.Fatal("the note has no part")
	}
	return note
}

func TestLogToSalesforce(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	ctx := t.Context()
	c := in.icContact(t, "Lola Logger", "lola@logs.example", "", "")
	contact := in.create(t, "Contact", map[string]any{"FirstName": "Lola", "LastName": "Logger", "Email": "lola@logs.example"})
	if err := in.store.InTx(ctx, func(tx store.Tx) error {
		_, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: in.connID, Kind: store.MappingPerson, IntercomID: c.ID,
			IntercomRole: store.RoleLead, SFObject: store.SalesforceObject("Contact"), SFID: contact, MatchKey: "email:lola@logs.example"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	conv, err := in.ic.StartConversation(c.ID, "<p>My rocket will not start</p>")
	if err != nil {
		t.Fatal(err)
	}
	if err := in.ic.UserReply(conv, "<p>It beeps twice</p>"); err != nil {
		t.Fatal(err)
	}
	note := in.addNote(t, conv, "<p>Known firmware bug</p>")

	// From the inbox app: Log to Salesforce asks what to log, the whole
	// conversation first, then each message and note.
	logBody := func(component string, part string) []byte {
		return in.canvasBody("contact", contactOf(c), map[string]any{"component_id": component,
			"conversation": map[string]any{"type": "conversation", "id": conv}, "input_values": map[string]any{"log_part": part}})
	}
	mustContain(t, in.canvas(t, "/canvas/initialize", logBody("", "")), "Log to Salesforce")
	mustContain(t, in.canvas(t, "/canvas/submit", logBody("log_conversation", "")), "What to log",
		`{"id":"all","text":"The whole conversation","type":"option"}`, `"text":"Lola Logger: My rocket will not start"`,
		`"text":"Lola Logger: It beeps twice"`, `{"id":"`+note+`","text":"Note by `, `: Known firmware bug","type":"option"}`, `"value":"all"`)
	if n := len(in.tasksOn(contact)); n != 0 {
		t.Fatalf("opening the log form made %d Tasks", n)
	}
	// The whole conversation, once.
	body := logBody("submit_log", "all")
	mustContain(t, in.canvas(t, "/canvas/submit", body), "Conversation logged to Salesforce", "Salesforce Contact")
	// The logged Task is the conversation's Task now (F6.1): a second
	// click links it.
	mustContain(t, in.canvas(t, "/canvas/submit", body), "already in Salesforce: ferry keeps it as [a Task](", "Nothing new was created")
	tasks := in.tasksOn(contact)
	if len(tasks) != 1 {
		t.Fatalf("%d Tasks after two clicks, want 1", len(tasks))
	}
	desc, _ := tasks[0]["Description"].(string)
	if tasks[0]["Status"] != "Completed" || !strings.Contains(tasks[0]["Subject"].(string), "My rocket will not start") ||
		!strings.Contains(desc, "It beeps twice") || !strings.Contains(desc, "Known firmware bug") {
		t.Fatalf("Task %v", tasks[0])
	}

	// From the API: the note alone.
	req := `{"conversation_id":"` + conv + `","part_id":"` + note + `"}`
	res := in.admin(t, http.MethodPost, "/api/v1/tasks", req)
	if res.status != http.StatusCreated {
		t.Fatalf("log a note: %d %s", res.status, res.body)
	}
	var out struct {
		ID    string `json:"salesforce_id"`
		WhoID string `json:"who_id"`
	}
	if err := json.Unmarshal(res.body, &out); err != nil || out.WhoID != contact {
		t.Fatalf("answer %s", res.body)
	}
	if res := in.admin(t, http.MethodPost, "/api/v1/tasks", req); res.status != http.StatusOK {
		t.Fatalf("log the note again: %d %s, want 200", res.status, res.body)
	}
	if n := len(in.tasksOn(contact)); n != 2 {
		t.Fatalf("%d Tasks, want 2 (the conversation and the note)", n)
	}
	rec, _ := in.sf.Record("Task", out.ID)
	if d, _ := rec["Description"].(string); !strings.Contains(d, "Known firmware bug") || strings.Contains(d, "It beeps twice") {
		t.Fatalf("the note's Task holds more than the note: %q", d)
	}
	// The same note from the inbox app: already logged by the API.
	mustContain(t, in.canvas(t, "/canvas/submit", logBody("submit_log", note)), "This message was already logged")
	if n := len(in.tasksOn(contact)); n != 2 {
		t.Fatalf("%d Tasks, want 2 (the conversation and the note)", n)
	}

	// Someone not in Salesforce, a part not in the conversation.
	stranger := in.icContact(t, "No Body", "nobody@logs.example", "", "")
	conv2, err := in.ic.StartConversation(stranger.ID, "<p>hi</p>")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body, want string
		status           int
	}{
		{"not in Salesforce", `{"conversation_id":"` + conv2 + `"}`, "Create their Lead first", http.StatusBadRequest},
		{"unknown part", `{"conversation_id":"` + conv + `","part_id":"999999"}`, "not in this conversation", http.StatusNotFound},
		{"unknown conversation", `{"conversation_id":"404404"}`, "no longer in Intercom", http.StatusNotFound},
	} {
		res := in.admin(t, http.MethodPost, "/api/v1/tasks", tc.body)
		if res.status != tc.status || !strings.Contains(string(res.body), tc.want) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, res.status, res.body, tc.status, tc.want)
		}
	}
}

// Log to Salesforce on a conversation ferry already keeps as a Task on the
// person (conversation Tasks, F6.1) creates no second Task for the whole
// conversation and links the kept one; a single note is still logged
// (F6.2).
func TestLogToSalesforceKeptConversationTask(t *testing.T) {
	t.Parallel()
	in := setupInbox(t)
	ctx := t.Context()
	c := in.icContact(t, "Kit Kept", "kit@kept.example", "", "")
	contact := in.create(t, "Contact", map[string]any{"FirstName": "Kit", "LastName": "Kept", "Email": "kit@kept.example"})
	conv, err := in.ic.StartConversation(c.ID, "<p>Where is my order?</p>")
	if err != nil {
		t.Fatal(err)
	}
	kept := in.create(t, "Task", map[string]any{"WhoId": contact, "Subject": "Intercom conversation: Where is my order?", "Status": "Not Started"})
	if err := in.store.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.UpsertMapping(ctx, store.Mapping{ConnectionID: in.connID, Kind: store.MappingPerson, IntercomID: c.ID,
			IntercomRole: store.RoleLead, SFObject: store.SalesforceObject("Contact"), SFID: contact, MatchKey: "email:kit@kept.example"}); err != nil {
			return err
		}
		return tx.PutConversationTasks(ctx, []store.ConversationTask{{ConnectionID: in.connID, ConversationID: conv, WhoID: contact,
			IntercomID: c.ID, TaskID: kept, State: store.TaskOpen}})
	}); err != nil {
		t.Fatal(err)
	}

	body := in.canvasBody("contact", contactOf(c), map[string]any{"component_id": "submit_log",
		"conversation": map[string]any{"type": "conversation", "id": conv}, "input_values": map[string]any{"log_part": "all"}})
	mustContain(t, in.canvas(t, "/canvas/submit", body), "already in Salesforce: ferry keeps it as [a Task](", "/"+kept+")",
		"Nothing new was created")
	res := in.admin(t, http.MethodPost, "/api/v1/tasks", `{"conversation_id":"`+conv+`"}`)
	if res.status != http.StatusOK || !strings.Contains(string(res.body), `"kept":true`) || !strings.Contains(string(res.body), kept) {
		t.Fatalf("the API logging a kept conversation: %d %s, want 200 with the kept Task", res.status, res.body)
	}
	if n := len(in.tasksOn(contact)); n != 1 {
		t.Fatalf("%d Tasks on the Contact, want only the kept one", n)
	}

	// A note alone is still logged, from the inbox app.
	note := in.addNote(t, conv, "<p>Shipped on Monday</p>")
	body = in.canvasBody("contact", contactOf(c), map[string]any{"component_id": "submit_log",
		"conversation": map[string]any{"type": "conversation", "id": conv}, "input_values": map[string]any{"log_part": note}})
	mustContain(t, in.canvas(t, "/canvas/submit", body), "Message logged to Salesforce as [a completed Task](")
	if n := len(in.tasksOn(contact)); n != 2 {
		t.Fatalf("%d Tasks on the Contact, want the kept one and the note's", n)
	}
}
