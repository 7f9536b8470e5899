package engine_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
)

// taskSettings turns tasks on with no attribute mappings.
const taskSettings = `{"tasks": {"enabled": true, "relate_opportunities": true}}`

// tasksOf returns the Tasks of a Lead or Contact through the API.
func (b *bundle) tasksOf(whoID string) []salesforce.Record {
	b.t.Helper()
	sf, err := b.mgr.Salesforce(b.ctx, b.connID)
	if err != nil {
		b.t.Fatal(err)
	}
	var out []salesforce.Record
	for r, err := range sf.Query(b.ctx, "SELECT Id, WhoId, WhatId, Subject, Description, Status, Priority, Type, ActivityDate, OwnerId FROM Task WHERE WhoId = '"+whoID+"' ORDER BY CreatedDate") {
		if err != nil {
			b.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// oneTask returns the person's only Task, failing when there is not
// exactly one.
func (b *bundle) oneTask(whoID string) salesforce.Record {
	b.t.Helper()
	ts := b.tasksOf(whoID)
	if len(ts) != 1 {
		b.t.Fatalf("%d Tasks for %s, want 1", len(ts), whoID)
	}
	return ts[0]
}

// mappedLead creates a Lead and an Intercom lead with the same email and
// drains until they are mapped.
func (b *bundle) mappedPerson(object, email string) (icID, sfID string) {
	b.t.Helper()
	sfID = b.newRecord(object, map[string]any{"Email": email})
	role := "lead"
	if object == "Contact" {
		role = "user"
	}
	icID = b.newContact(map[string]any{"email": email, "role": role, "name": "Olivia Smith"})
	b.drain()
	if m, ok := b.mapping(icID); !ok || m.SFID != sfID {
		b.t.Fatalf("%s not mapped to %s: %+v", icID, sfID, m)
	}
	return icID, sfID
}

// startConversation has the contact write in and waits for its webhook.
func (b *bundle) startConversation(contactID, body string) string {
	b.t.Helper()
	mark := b.lastEventID()
	id, err := b.ic.StartConversation(contactID, body)
	if err != nil {
		b.t.Fatal(err)
	}
	b.waitEvent(mark, `"id":"`+id+`"`, "conversation.user.created")
	return id
}

// manage closes, opens or assigns a conversation through the REST API as
// a teammate would, and waits for its webhook.
func (b *bundle) manage(convID string, in intercom.ManageInput, topic string) {
	b.t.Helper()
	b.clock.Advance(time.Minute)
	mark := b.lastEventID()
	if in.AdminID == "" {
		in.AdminID = b.ic.OwnAdminID()
	}
	if _, err := b.icClient().ManageConversation(b.ctx, convID, in); err != nil {
		b.t.Fatal(err)
	}
	b.waitEvent(mark, `"id":"`+convID+`"`, topic)
}

// reply adds a teammate's reply or note through the REST API and waits for
// its webhook.
func (b *bundle) reply(convID string, in intercom.ReplyInput, topic string) {
	b.t.Helper()
	b.clock.Advance(time.Minute)
	mark := b.lastEventID()
	if in.Type == "admin" && in.AdminID == "" {
		in.AdminID = b.ic.OwnAdminID()
	}
	if _, err := b.icClient().Reply(b.ctx, convID, in); err != nil {
		b.t.Fatal(err)
	}
	b.waitEvent(mark, `"id":"`+convID+`"`, topic)
}

// teammate adds a Salesforce User and an Intercom teammate sharing an
// email, and returns both ids.
func (b *bundle) teammate(first, last string) (adminID, userID string) {
	b.t.Helper()
	email := strings.ToLower(first+"."+last) + "@example.com"
	userID = b.sfUser(first, last, email)
	adminID, err := b.ic.AddTeammate(first+" "+last, email)
	if err != nil {
		b.t.Fatal(err)
	}
	return adminID, userID
}

// sfUser adds an active Salesforce User.
func (b *bundle) sfUser(first, last, email string) string {
	b.t.Helper()
	id, err := b.sf.CreateRecord("User", map[string]any{"Username": email, "Email": email, "FirstName": first, "LastName": last,
		"Alias": strings.ToLower(last)[:min(8, len(last))]})
	if err != nil {
		b.t.Fatal(err)
	}
	return id
}

// loginUser is the Salesforce User who connected ferry.
func (b *bundle) loginUser() string {
	sf, err := b.mgr.Salesforce(b.ctx, b.connID)
	if err != nil {
		b.t.Fatal(err)
	}
	who, err := sf.UserInfo(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	return who.UserID
}

// history returns the outcomes and messages of a record's history.
func (b *bundle) historyOf(id string) []store.HistoryEntry {
	hs, err := b.store.ListHistory(b.ctx, b.connID, id, store.Page{Limit: 100})
	if err != nil {
		b.t.Fatal(err)
	}
	return hs
}

func TestConversationLifecycleBecomesOneTask(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: taskSettings})
	jamesAdmin, jamesUser := b.teammate("James", "Chen")
	icID, leadID := b.mappedPerson("Lead", "olivia@example.com")

	// Start: a Task for the Lead, owned by the connecting user (nobody is
	// assigned yet).
	conv := b.startConversation(icID, "<p>Hi! The CSV export is broken 😞</p><p>Since Monday.</p>")
	b.drain()
	task := b.oneTask(leadID)
	day := b.clock.Now().UTC().Format("2006-01-02")
	for field, want := range map[string]string{
		"Subject": "Intercom conversation: Hi! The CSV export is broken 😞", "Status": "Not Started", "Priority": "Normal",
		"Type": "Other", "ActivityDate": day, "OwnerId": b.loginUser(), "WhoId": leadID,
	} {
		if got := task.String(field); got != want {
			t.Errorf("Task %s = %q, want %q", field, got, want)
		}
	}
	desc := task.String("Description")
	if !strings.Contains(desc, "/a/apps/"+b.ic.AppID()+"/conversations/"+conv) || !strings.Contains(desc, "Olivia Smith:\nHi! The CSV export is broken 😞\nSince Monday.") {
		t.Fatalf("Description at start:\n%s", desc)
	}

	// Reply, note, assignment: the owner follows the assignee.
	b.reply(conv, intercom.ReplyInput{MessageType: intercom.MessageComment, Type: "admin", Body: "<p>Looking into it <b>now</b></p>"}, "conversation.admin.replied")
	b.reply(conv, intercom.ReplyInput{MessageType: intercom.MessageNote, Type: "admin", Body: "<p>Known bug #42</p>"}, "conversation.admin.noted")
	b.manage(conv, intercom.ManageInput{MessageType: intercom.ManageAssignment, AssigneeID: jamesAdmin}, "conversation.admin.assigned")
	b.drain()
	if got := b.oneTask(leadID).String("OwnerId"); got != jamesUser {
		t.Fatalf("after reassignment OwnerId = %s, want James's User %s", got, jamesUser)
	}

	// Close: the transcript is updated and the Task completed.
	b.manage(conv, intercom.ManageInput{MessageType: intercom.ManageClose, AdminID: jamesAdmin}, "conversation.admin.closed")
	b.drain()
	task = b.oneTask(leadID)
	desc = task.String("Description")
	for _, want := range []string{"Looking into it now", "(internal note):\nKnown bug #42", "assigned the conversation to James Chen",
		"James Chen closed the conversation"} {
		if !strings.Contains(desc, want) {
			t.Errorf("closed transcript lacks %q:\n%s", want, desc)
		}
	}
	if task.String("Status") != "Completed" {
		t.Fatalf("closed conversation's Task status = %s", task.String("Status"))
	}

	// Reopen and close again: the transcript follows, still one Task.
	b.manage(conv, intercom.ManageInput{MessageType: intercom.ManageOpen, AdminID: jamesAdmin}, "conversation.admin.opened")
	b.drain()
	if desc := b.oneTask(leadID).String("Description"); !strings.Contains(desc, "James Chen reopened the conversation") {
		t.Fatalf("reopened transcript:\n%s", desc)
	}
	b.reply(conv, intercom.ReplyInput{MessageType: intercom.MessageComment, Type: "admin", AdminID: jamesAdmin, Body: "Fixed 🎉"}, "conversation.admin.replied")
	b.manage(conv, intercom.ManageInput{MessageType: intercom.ManageClose, AdminID: jamesAdmin}, "conversation.admin.closed")
	b.drain()
	task = b.oneTask(leadID)
	if desc := task.String("Description"); strings.Count(desc, "closed the conversation") != 2 || !strings.Contains(desc, "Fixed 🎉") {
		t.Fatalf("closed-again transcript:\n%s", desc)
	}
	var created int
	for _, h := range b.historyOf(icID) {
		if h.Outcome == "task_created" {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("history shows %d Task creations, want 1", created)
	}
}

func TestConversationWithSeveralLeadsGetsATaskEach(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: taskSettings})
	l1 := b.newRecord("Lead", map[string]any{"Email": "twin@example.com"})
	l2 := b.newRecord("Lead", map[string]any{"Email": "twin@example.com"})
	icID := b.newContact(map[string]any{"email": "twin@example.com", "role": "lead"})
	b.drain()
	if _, ok := b.mapping(icID); ok {
		t.Fatal("two Leads: no mapping expected (multiple matches)")
	}
	conv := b.startConversation(icID, "Pricing question")
	b.drain()
	for _, lead := range []string{l1, l2} {
		if st := b.oneTask(lead).String("Status"); st != "Not Started" {
			t.Fatalf("Lead %s: a new conversation's Task is %q", lead, st)
		}
	}

	// Closing completes the first Task only; both get the transcript.
	b.manage(conv, intercom.ManageInput{MessageType: intercom.ManageClose}, "conversation.admin.closed")
	b.drain()
	first, second := b.oneTask(l1), b.oneTask(l2)
	if first.String("Status") != "Completed" || second.String("Status") == "Completed" {
		t.Fatalf("statuses after close: %s, %s; want the first Completed only", first.String("Status"), second.String("Status"))
	}
	if !strings.Contains(second.String("Description"), "closed the conversation") {
		t.Fatalf("second Task's transcript not updated:\n%s", second.String("Description"))
	}
}

func TestConversationOfContactRelatesToSingleOpenOpportunity(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: taskSettings})
	acct := b.newRecord("Account", map[string]any{"Name": "Acme"})
	create := func(object string, f map[string]any) string {
		id, err := b.sf.CreateRecord(object, f)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	opp := func(stage string) string {
		return create("Opportunity", map[string]any{"Name": "Deal " + stage, "AccountId": acct, "StageName": stage, "CloseDate": "2027-01-31"})
	}
	role := func(contact, opp string) {
		create("OpportunityContactRole", map[string]any{"OpportunityId": opp, "ContactId": contact, "Role": "Decision Maker"})
	}
	cases := []struct {
		name  string
		email string
		opps  []string // stages of the Opportunities the Contact has a role on
		want  bool
	}{
		{"one open Opportunity: related", "one@example.com", []string{"Prospecting", "Closed Won"}, true},
		{"two open Opportunities: not related", "two@example.com", []string{"Prospecting", "Qualification"}, false},
	}
	for _, c := range cases {
		icID, contactID := b.mappedPerson("Contact", c.email)
		var open []string
		for _, stage := range c.opps {
			id := opp(stage)
			role(contactID, id)
			if !strings.HasPrefix(stage, "Closed") {
				open = append(open, id)
			}
		}
		// The Lead beside the Contact gets no Task: only the Contact does.
		lead := b.newRecord("Lead", map[string]any{"Email": c.email})
		b.startConversation(icID, "Hello")
		b.drain()
		task := b.oneTask(contactID)
		if n := len(b.tasksOf(lead)); n != 0 {
			t.Errorf("%s: the Lead beside the Contact got %d Tasks", c.name, n)
		}
		got := task.String("WhatId")
		if c.want && got != open[0] || !c.want && got != "" {
			t.Errorf("%s: WhatId = %q (open: %v)", c.name, got, open)
		}
	}
}

func TestConversationWithoutMatchGetsNoTaskAndHistorySaysSo(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: taskSettings})
	icID := b.newContact(map[string]any{"email": "stranger@example.com", "role": "lead"})
	b.drain()
	b.startConversation(icID, "Who are you?")
	b.drain()
	if n, err := b.countRecords("Task"); err != nil || n != 0 {
		t.Fatalf("%d Tasks (%v), want none", n, err)
	}
	found := false
	for _, h := range b.historyOf(icID) {
		if h.Outcome == "no_task" && strings.Contains(h.Message, "no Lead or Contact") {
			found = true
		}
	}
	if !found {
		t.Fatalf("history does not say why there is no Task: %+v", b.historyOf(icID))
	}
}

func TestHiddenTaskTypeDisablesTasksWithSetupMessage(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: taskSettings, before: func(b *bundle) {
		if err := b.sf.SetFieldHidden("Task", "Type", true); err != nil {
			b.t.Fatal(err)
		}
	}})
	icID, _ := b.mappedPerson("Lead", "hidden@example.com")
	b.startConversation(icID, "Hello")
	b.drain()
	if n, err := b.countRecords("Task"); err != nil || n != 0 {
		t.Fatalf("%d Tasks (%v), want none while Task.Type is hidden", n, err)
	}
	want := "ferry requires these fields in the Salesforce Task object: Type"
	for _, h := range b.historyOf(icID) {
		if h.Outcome == "disabled" && strings.HasPrefix(h.Message, want) && strings.Contains(h.Message, "Set Field-Level Security > Visible") {
			return
		}
	}
	t.Fatalf("no history with %q: %+v", want, b.historyOf(icID))
}

func TestTasksOffCreatesNoTask(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: `{"tasks": {"enabled": false}}`})
	icID, _ := b.mappedPerson("Lead", "off@example.com")
	b.startConversation(icID, "Hello")
	b.drain()
	if n, err := b.countRecords("Task"); err != nil || n != 0 {
		t.Fatalf("%d Tasks (%v) with tasks.enabled off", n, err)
	}
}

func TestLongTranscriptWithImagesAndEmojisKeepsNewest(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: taskSettings})
	icID, leadID := b.mappedPerson("Lead", "chatty@example.com")
	conv := b.startConversation(icID, "<p>First message</p>")
	b.drain()
	// About 100 KB of replies with images and emojis.
	total := 0
	for i := 0; total < 100_000; i++ {
		body := fmt.Sprintf("<p>Reply %d: %s</p>", i, strings.Repeat("the export 🚀 still fails ", 40))
		total += len(body)
		in := intercom.ReplyInput{MessageType: intercom.MessageComment, Type: "user", IntercomUserID: icID, Body: body,
			AttachmentURLs: []string{fmt.Sprintf("https://downloads.example.com/screenshot-%d.png", i)}}
		if _, err := b.icClient().Reply(b.ctx, conv, in); err != nil {
			t.Fatal(err)
		}
	}
	b.reply(conv, intercom.ReplyInput{MessageType: intercom.MessageComment, Type: "admin", Body: `<p>Last one 👍 <img src="https://downloads.example.com/fix.png"></p>`}, "conversation.admin.replied")
	b.manage(conv, intercom.ManageInput{MessageType: intercom.ManageClose}, "conversation.admin.closed")
	b.drain()
	desc := b.oneTask(leadID).String("Description")
	// Salesforce counts UTF-16 code units: an emoji counts two.
	if n := len(utf16.Encode([]rune(desc))); n > 32000 || n < 30000 {
		t.Fatalf("Description has %d characters, want just under 32,000", n)
	}
	for _, want := range []string{"Earlier parts of this conversation are not shown here; read them in Intercom: http", "Last one 👍",
		"https://downloads.example.com/fix.png", "closed the conversation", "🚀", ".png"} {
		if !strings.Contains(desc, want) {
			t.Errorf("Description lacks %q", want)
		}
	}
	if strings.Contains(desc, "First message") {
		t.Error("the oldest part was kept instead of the newest")
	}
}

func TestDuplicateConversationWebhooksMakeOneTask(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: taskSettings})
	icID, leadID := b.mappedPerson("Lead", "dup@example.com")
	conv := b.startConversation(icID, "Hello twice")
	// The same notification delivered again under new notification ids
	// (Intercom's own redeliveries keep the id and are dropped on
	// arrival), before and after the first drain.
	redeliver := func() {
		evs, err := b.store.ListPendingWebhookEvents(b.ctx, b.connID, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var payload string
		for id := int64(1); ; id++ {
			ev, err := b.store.GetWebhookEvent(b.ctx, id)
			if err != nil {
				break
			}
			if ev.Topic == "conversation.user.created" && strings.Contains(ev.Payload, conv) {
				payload = ev.Payload
			}
		}
		_ = evs
		if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
			for i := range 3 {
				if _, _, err := tx.InsertWebhookEvent(b.ctx, store.WebhookEvent{ConnectionID: b.connID,
					NotificationID: fmt.Sprintf("notif_dup_%d_%d", time.Now().UnixNano(), i), Topic: "conversation.user.created", Payload: payload}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	redeliver()
	b.drain()
	redeliver()
	b.drain()
	b.oneTask(leadID)
}

func TestTaskCreatedBeforeCrashIsFoundNotCreatedAgain(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: taskSettings})
	icID, leadID := b.mappedPerson("Lead", "crash@example.com")
	conv := b.startConversation(icID, "Hello")
	// A previous process wrote its "creating" row and sent the create,
	// then died before its commit: the Task exists, the row still says
	// "creating", the event is unprocessed.
	if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
		return tx.PutConversationTasks(b.ctx, []store.ConversationTask{{ConnectionID: b.connID, ConversationID: conv,
			WhoID: leadID, IntercomID: icID, State: store.TaskCreating}})
	}); err != nil {
		t.Fatal(err)
	}
	url := "http://" + strings.TrimPrefix(strings.TrimPrefix(b.icClient().BaseURL(), "http://"), "https://")
	existing, err := b.sf.CreateRecord("Task", map[string]any{"WhoId": leadID, "Subject": "Intercom conversation: Hello",
		"Description": "Intercom conversation: " + url + "/a/apps/" + b.ic.AppID() + "/conversations/" + conv + "\n\n[…] Olivia:\nHello\n"})
	if err != nil {
		t.Fatal(err)
	}
	b.drain()
	if got := b.oneTask(leadID).String("Id"); got != existing {
		t.Fatalf("Task %s, want the one created before the crash %s", got, existing)
	}
	rows, err := b.store.ListConversationTasks(b.ctx, b.connID, []string{conv})
	if err != nil || len(rows) != 1 || rows[0].TaskID != existing || rows[0].State != store.TaskOpen {
		t.Fatalf("rows = %+v (%v)", rows, err)
	}

	// A "creating" row whose create never reached Salesforce: created now.
	conv2 := b.startConversation(icID, "Second")
	if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
		return tx.PutConversationTasks(b.ctx, []store.ConversationTask{{ConnectionID: b.connID, ConversationID: conv2,
			WhoID: leadID, IntercomID: icID, State: store.TaskCreating}})
	}); err != nil {
		t.Fatal(err)
	}
	b.drain()
	if n := len(b.tasksOf(leadID)); n != 2 {
		t.Fatalf("%d Tasks, want 2 (one per conversation)", n)
	}
}

func TestRelateOpportunitiesOffLeavesTaskUnrelated(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: `{"tasks": {"enabled": true, "relate_opportunities": false}}`})
	acct, err := b.sf.CreateRecord("Account", map[string]any{"Name": "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	icID, contactID := b.mappedPerson("Contact", "solo@example.com")
	opp, err := b.sf.CreateRecord("Opportunity", map[string]any{"Name": "Deal", "AccountId": acct, "StageName": "Prospecting", "CloseDate": "2027-01-31"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.sf.CreateRecord("OpportunityContactRole", map[string]any{"OpportunityId": opp, "ContactId": contactID}); err != nil {
		t.Fatal(err)
	}
	b.startConversation(icID, "Hello")
	b.drain()
	if got := b.oneTask(contactID).String("WhatId"); got != "" {
		t.Fatalf("WhatId = %q with relate_opportunities off", got)
	}
}

// A reply to a conversation ferry has no Task for (one from before ferry
// connected, or before tasks were turned on) creates none and looks
// nobody up; its close does.
func TestReplyAloneCreatesNoTaskCloseDoes(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{settings: `{"tasks": {"enabled": false}}`})
	icID, leadID := b.mappedPerson("Lead", "late@example.com")
	conv := b.startConversation(icID, "Hello from before")
	b.drain()
	if err := b.store.InTx(b.ctx, func(tx store.Tx) error {
		cur, err := tx.GetSettings(b.ctx, b.connID)
		if err != nil {
			return err
		}
		_, err = tx.PutSettings(b.ctx, b.connID, []byte(taskSettings), cur.Version)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b.reply(conv, intercom.ReplyInput{MessageType: intercom.MessageComment, Type: "admin", Body: "On it"}, "conversation.admin.replied")
	b.drain()
	if n := len(b.tasksOf(leadID)); n != 0 {
		t.Fatalf("%d Tasks after a reply alone, want none", n)
	}
	b.manage(conv, intercom.ManageInput{MessageType: intercom.ManageClose}, "conversation.admin.closed")
	b.drain()
	task := b.oneTask(leadID)
	if task.String("Status") != "Completed" || !strings.Contains(task.String("Description"), "Hello from before") {
		t.Fatalf("Task at close: %s\n%s", task.String("Status"), task.String("Description"))
	}
}
