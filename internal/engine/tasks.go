package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/setupcheck"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// Conversations become Salesforce Tasks (F6.1–F6.3). Conversation webhooks
// are drained in leased batches like contact changes (drain.go), so many
// conversations closing together become a few sObject Collections calls.
//
// One Task per conversation and person, whatever happens: before a create
// is sent its row is committed in state "creating"; a row found in that
// state later (a crash or a lost answer between the create and the
// commit) is resolved by finding the Task whose Description names the
// conversation before anything is created again. Webhook redeliveries are
// dropped by notification id, and a connection's events are drained by one
// owner at a time, so two instances never work on one conversation at once.
// A teammate's Log to Salesforce of the whole conversation (F6.2) claims the
// same row (store.ClaimConversationTasks) before creating its Task: whichever
// claims first makes the conversation's one Task, and the other leaves it be.

// taskTopics are the webhook topics the Task drain takes.
var taskTopics = jobs.DrainConversations.Topics()

// Operations named in the sync errors of Tasks.
const (
	opCreateTask = "create_task"
	opUpdateTask = "update_task"
)

// taskObject names Task entries in a person's history.
const taskObject = "task"

// drainTasksOnce claims one batch of conversation events and processes it.
func (e *Engine) drainTasksOnce(ctx context.Context, conn store.Connection) (int, error) {
	return e.drainRound(ctx, conn, taskTopics, (*batch).processConversations)
}

// convWork is one conversation in a drain round: its latest webhook item,
// what happened to it, and its Tasks.
type convWork struct {
	id   string
	item *intercom.Conversation
	// full is the conversation with its parts, read when a transcript is
	// written.
	full                              *intercom.Conversation
	started, closed, opened, assigned bool
	tasks                             []store.ConversationTask
}

// contactIDs are the conversation's people.
func (w *convWork) contactIDs() []string {
	if w.item.Contacts == nil {
		return nil
	}
	var ids []string
	for _, c := range w.item.Contacts.Contacts {
		ids = append(ids, c.ID)
	}
	return ids
}

// needsTargets: the conversation has no Task yet and started, closed,
// reopened or was assigned in this round. Replies and notes alone create
// none (a conversation from before ferry gets its Task when it closes), so
// a person who matches nothing is not looked up again at every message.
func (w *convWork) needsTargets() bool {
	return len(w.tasks) == 0 && (w.started || w.closed || w.opened || w.assigned)
}

// assignee is the teammate the conversation is assigned to, "" for none.
func (w *convWork) assignee() string {
	c := w.item
	if w.full != nil {
		c = w.full
	}
	if id := string(c.AdminAssigneeID); id != "" && id != "0" {
		return id
	}
	return ""
}

// processConversations turns a batch of conversation events into Task
// creates and updates.
func (b *batch) processConversations(ctx context.Context, evs []store.WebhookEvent) error {
	works := map[string]*convWork{}
	var order []string
	for _, ev := range evs {
		pe, err := intercom.ParseEvent([]byte(ev.Payload))
		if err == nil && pe.ItemErr != nil {
			err = pe.ItemErr
		}
		if err == nil && pe.Conversation == nil && pe.Topic != "conversation.deleted" && pe.Kind == intercom.KindConversation {
			err = errors.New("conversation event without a conversation")
		}
		if err != nil {
			b.ops.errors = append(b.ops.errors, store.SyncError{ConnectionID: b.conn.ID, Object: "webhook", RecordID: ev.NotificationID,
				Operation: opWebhook, Code: "UNREADABLE_EVENT", Message: err.Error(), RequestBody: ev.Payload})
			continue
		}
		if pe.Conversation == nil || pe.Topic == "conversation.deleted" {
			continue
		}
		w := works[pe.Conversation.ID]
		if w == nil {
			w = &convWork{id: pe.Conversation.ID}
			works[w.id] = w
			order = append(order, w.id)
		}
		w.item = pe.Conversation
		switch pe.Topic {
		case "conversation.user.created", "conversation.admin.single.created":
			w.started = true
		case "conversation.admin.closed":
			w.closed = true
		case "conversation.admin.opened", "conversation.admin.unsnoozed":
			w.opened = true
		case "conversation.admin.assigned", "conversation.admin.open.assigned":
			w.assigned = true
		}
		if pe.Conversation.ConversationParts != nil {
			for _, p := range pe.Conversation.ConversationParts.Parts {
				if p.PartType == "close" {
					w.closed = true
				}
			}
		}
	}
	if len(works) == 0 {
		return nil
	}
	if b.c.doc.Ownership.AssignConversations {
		if err := b.assignToOwners(ctx, works, order); err != nil {
			return b.stop(err)
		}
	}
	if !b.c.doc.Tasks.Enabled {
		return nil
	}
	task, problem := b.taskSchema()
	if problem != "" {
		for _, id := range order {
			w := works[id]
			if w.started || w.closed {
				for _, c := range w.contactIDs() {
					b.history(taskObject, c, "", store.OriginIntercom, "Tasks need the Task fields ferry writes", "disabled", problem, nil)
				}
			}
		}
		return nil
	}

	rows, err := b.e.store.ListConversationTasks(ctx, b.conn.ID, order)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if w := works[r.ConversationID]; w != nil {
			w.tasks = append(w.tasks, r)
		}
	}
	dir, err := b.directory(ctx, false)
	if err != nil {
		return b.stop(err)
	}
	if b.staleDirectory(dir, works) {
		if dir, err = b.directory(ctx, true); err != nil {
			return b.stop(err)
		}
	}

	// Who gets a Task: for conversations without Tasks yet.
	targets, err := b.taskTargets(ctx, works, order)
	if err != nil {
		return b.stop(err)
	}
	// A Task found in state "creating" may exist: find it before creating.
	if err := b.recoverTasks(ctx, works, order); err != nil {
		return b.stop(err)
	}
	// Transcripts: read the whole conversation where one is written.
	for _, id := range order {
		w := works[id]
		if len(targets[id]) > 0 || w.closed || w.opened || hasState(w.tasks, store.TaskCreating) {
			full, err := b.ic.GetConversation(ctx, id)
			if err != nil {
				var ae *intercom.APIError
				if errors.As(err, &ae) && ae.StatusCode == 404 {
					continue // deleted meanwhile: nothing to log
				}
				return b.stop(fmt.Errorf("engine: read conversation %s: %w", id, err))
			}
			w.full = full
		}
	}
	whats, err := b.relatedOpportunities(ctx, works, targets)
	if err != nil {
		return b.stop(err)
	}
	return b.writeTasks(ctx, task, dir, works, order, targets, whats)
}

// hasState reports whether any Task is in state s.
func hasState(ts []store.ConversationTask, s store.ConversationTaskState) bool {
	return slices.ContainsFunc(ts, func(t store.ConversationTask) bool { return t.State == s })
}

// staleDirectory reports a teammate met in the batch that the directory
// does not know (added or changed since it was read).
func (b *batch) staleDirectory(dir *directory, works map[string]*convWork) bool {
	for _, w := range works {
		if a := w.assignee(); a != "" {
			if _, ok := dir.admins[a]; !ok {
				return true
			}
		}
	}
	return false
}

// taskSchema returns Task's fields as the connection's setup check read
// them, and why Tasks cannot run, in the check's own words with its fix
// (F1.4): a hidden or missing Task field disables them instead of failing
// conversation by conversation.
func (b *batch) taskSchema() (map[string]sync.SFField, string) {
	fields := map[string]sync.SFField{}
	for _, f := range b.c.catalog.Salesforce["Task"] {
		fields[f.Name] = f
	}
	if ok, _ := b.c.setup.Feature(setupcheck.Tasks); ok {
		return fields, ""
	}
	var why []string
	for _, p := range b.c.setup.Problems {
		if slices.Contains(p.Features, setupcheck.Tasks) {
			why = append(why, p.Message+". Fix: "+p.Fix+".")
		}
	}
	return fields, strings.Join(why, " ")
}

// taskTargets finds the Leads and Contacts of conversations that have no
// Task yet (F6.1): the mapped record, else every record the person's key
// matches by the rules of sync.TaskTargets. People who match nothing get a
// history entry saying so.
func (b *batch) taskTargets(ctx context.Context, works map[string]*convWork, order []string) (map[string][]taskTarget, error) {
	out := map[string][]taskTarget{}
	var ids []string
	for _, id := range order {
		if w := works[id]; w.needsTargets() {
			ids = append(ids, w.contactIDs()...)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	mappings, err := b.e.store.ListMappingsByIntercomIDs(ctx, b.conn.ID, ids)
	if err != nil {
		return nil, err
	}
	key, _ := b.c.personKey()
	people := map[string]sync.ICPerson{}
	var keys []string
	for _, id := range order {
		w := works[id]
		if !w.needsTargets() {
			continue
		}
		for _, cid := range w.contactIDs() {
			if _, ok := mappings[cid]; ok {
				continue
			}
			if _, ok := people[cid]; ok {
				continue
			}
			p := sync.ICPerson{ID: cid}
			src := w.item.Source
			if key == sync.KeyEmail && src != nil && src.Author != nil && string(src.Author.ID) == cid && src.Author.Email != "" {
				p.Email, p.Role = src.Author.Email, src.Author.Type
			} else {
				c, err := b.ic.GetContact(ctx, cid)
				if err != nil {
					var ae *intercom.APIError
					if errors.As(err, &ae) && ae.StatusCode == 404 {
						continue
					}
					return nil, fmt.Errorf("engine: read contact %s: %w", cid, err)
				}
				p.Email, p.Role, p.ExternalID = c.Email, c.Role, string(c.ExternalID)
			}
			people[cid] = p
			if k := icKey(p, key); k != "" {
				keys = append(keys, k)
			}
		}
	}
	// A key too long for any query cannot match anyone: like a key
	// nobody has, it finds no Lead or Contact.
	found, _, err := b.lookupPeople(ctx, uniq(keys))
	if err != nil {
		return nil, err
	}
	for _, id := range order {
		w := works[id]
		if !w.needsTargets() {
			continue
		}
		for _, cid := range w.contactIDs() {
			if m, ok := mappings[cid]; ok {
				out[id] = append(out[id], taskTarget{icID: cid, object: string(m.SFObject), sfID: m.SFID})
				continue
			}
			p, ok := people[cid]
			if !ok {
				continue
			}
			got, reason := sync.TaskTargets(p, key, sfPeople(found[icKey(p, key)]))
			if len(got) == 0 {
				b.history(taskObject, cid, "", store.OriginIntercom, "a conversation's Task is for the matching Lead or Contact",
					"no_task", fmt.Sprintf("conversation %s: %s", id, reason), nil)
				continue
			}
			for _, g := range got {
				out[id] = append(out[id], taskTarget{icID: cid, object: g.Object, sfID: g.ID})
			}
		}
	}
	return out, nil
}

// icKey is a person's normalized match key.
func icKey(p sync.ICPerson, key sync.PersonKey) string {
	if key == sync.KeyExternalID {
		return strings.TrimSpace(p.ExternalID)
	}
	return sync.NormalizeEmail(p.Email)
}

// taskTarget is one Lead or Contact that gets a conversation's Task.
type taskTarget struct {
	icID   string
	object string
	sfID   string
}

// recoverTasks resolves Tasks left in state "creating": the Task whose
// Description names the conversation is the one created before the crash;
// none means the create never happened and it is sent again.
func (b *batch) recoverTasks(ctx context.Context, works map[string]*convWork, order []string) error {
	// A teammate's claim left by a crash is taken over and resolved like
	// the engine's own: the Task may have been created before it.
	stale := time.Now().Add(-store.LoggingTimeout)
	for _, id := range order {
		for i, t := range works[id].tasks {
			if t.State != store.TaskLogging || !t.UpdatedAt.Before(stale) {
				continue
			}
			var took bool
			if err := b.e.store.InTx(ctx, func(tx store.Tx) (err error) {
				took, err = tx.SetConversationTaskIf(ctx, store.ConversationTask{ConnectionID: t.ConnectionID,
					ConversationID: t.ConversationID, WhoID: t.WhoID, IntercomID: t.IntercomID, State: store.TaskCreating},
					store.TaskLogging, stale)
				return err
			}); err != nil {
				return err
			}
			if took {
				works[id].tasks[i].State = store.TaskCreating
			}
		}
	}
	var whos []string
	since := time.Time{}
	for _, id := range order {
		for _, t := range works[id].tasks {
			if t.State == store.TaskCreating {
				whos = append(whos, t.WhoID)
				if since.IsZero() || t.CreatedAt.Before(since) {
					since = t.CreatedAt
				}
			}
		}
	}
	if len(whos) == 0 {
		return nil
	}
	type found struct{ id, who, desc string }
	var tasks []found
	// Clocks differ: look a while before the row was written.
	after := since.Add(-10 * time.Minute).UTC().Format("2006-01-02T15:04:05Z")
	build := func(list string) string {
		return fmt.Sprintf("SELECT Id, WhoId, Description FROM Task WHERE WhoId IN %s AND CreatedDate >= %s", list, after)
	}
	if err := b.queryIDs(ctx, uniq(whos), "WhoId", build, func(r salesforce.Record) {
		tasks = append(tasks, found{r.String("Id"), r.String("WhoId"), r.String("Description")})
	}); err != nil {
		return err
	}
	for _, id := range order {
		w := works[id]
		head := transcriptHead(b.conversationURL(id))
		for i, t := range w.tasks {
			if t.State != store.TaskCreating {
				continue
			}
			for _, f := range tasks {
				if f.who == t.WhoID && strings.HasPrefix(f.desc, head) {
					w.tasks[i].TaskID, w.tasks[i].State = f.id, store.TaskOpen
					b.ops.convTasks = append(b.ops.convTasks, w.tasks[i])
					b.history(taskObject, t.IntercomID, f.id, store.OriginFerry, "one Task per conversation and person",
						"recovered", "the Task created before an interruption was found; none created again", nil)
					break
				}
			}
		}
	}
	return nil
}

// transcriptHead is how every Task Description ferry writes begins: it
// names the conversation, and finds the Task again after a crash.
func transcriptHead(url string) string { return "Intercom conversation: " + url + "\n" }

// conversationURL links a conversation in the Intercom inbox.
func (b *batch) conversationURL(id string) string {
	return sync.ConversationURL(b.ic.BaseURL(), b.conn.IntercomWorkspaceID, id)
}

// relatedOpportunities finds the Opportunity each new Contact Task is
// related to (F6.3), when the settings ask for it.
func (b *batch) relatedOpportunities(ctx context.Context, works map[string]*convWork, targets map[string][]taskTarget) (map[string]string, error) {
	out := map[string]string{}
	if !b.c.doc.Tasks.RelateOpportunities {
		return out, nil
	}
	var contacts []string
	for _, ts := range targets {
		for _, t := range ts {
			if t.object == "Contact" {
				contacts = append(contacts, t.sfID)
			}
		}
	}
	if len(contacts) == 0 {
		return out, nil
	}
	roles := map[string][]sync.OpportunityRole{}
	build := func(list string) string {
		return "SELECT ContactId, OpportunityId, Opportunity.IsClosed FROM OpportunityContactRole WHERE ContactId IN " + list
	}
	if err := b.queryIDs(ctx, uniq(contacts), "ContactId", build, func(r salesforce.Record) {
		c := r.String("ContactId")
		roles[c] = append(roles[c], sync.OpportunityRole{OpportunityID: r.String("OpportunityId"), Closed: r.Bool("Opportunity.IsClosed")})
	}); err != nil {
		return nil, err
	}
	for _, c := range uniq(contacts) {
		if opp, _ := sync.RelatedOpportunity(roles[c]); opp != "" {
			out[c] = opp
		}
	}
	return out, nil
}

// transcript renders a conversation for a Task's Description.
func (b *batch) transcript(dir *directory, c *intercom.Conversation) string {
	return ConversationTranscript(c, b.conversationURL(c.ID), dir.adminName).Render(sync.TaskDescriptionLimit)
}

// ConversationTranscript is a conversation as its Task shows it (F6.1):
// its first message and every message, note and assignment, each part
// named by its Intercom id so that one can be logged alone (F6.2).
// adminName names a teammate by admin id ("" when unknown).
func ConversationTranscript(c *intercom.Conversation, url string, adminName func(id string) string) sync.Transcript {
	tr := sync.Transcript{URL: url}
	author := func(a *intercom.Author) string {
		if a == nil {
			return ""
		}
		switch {
		case a.Name != "":
			return a.Name
		case a.Email != "":
			return a.Email
		case a.Type == "admin":
			return adminName(string(a.ID))
		}
		return a.Type
	}
	attachments := func(as []intercom.Attachment) []string {
		var out []string
		for _, a := range as {
			if a.URL != "" {
				out = append(out, a.URL)
			}
		}
		return out
	}
	if s := c.Source; s != nil {
		tr.Parts = append(tr.Parts, sync.TranscriptPart{ID: s.ID, Kind: sync.PartMessage, Author: author(s.Author), At: c.CreatedAt.Time(),
			Body: s.Body, Attachments: attachments(s.Attachments)})
	}
	if c.ConversationParts != nil {
		for _, p := range c.ConversationParts.Parts {
			kind := sync.PartKindOf(p.PartType)
			if kind == "" {
				if strings.TrimSpace(p.Body) == "" {
					continue
				}
				kind = sync.PartMessage
			}
			tp := sync.TranscriptPart{ID: p.ID, Kind: kind, Author: author(p.Author), At: p.CreatedAt.Time(), Body: p.Body,
				Attachments: attachments(p.Attachments)}
			if kind == sync.PartAssignment && p.AssignedTo != nil {
				switch p.AssignedTo.Type {
				case "admin":
					tp.AssignedTo = adminName(string(p.AssignedTo.ID))
				case "team":
					tp.AssignedTo = "team " + string(p.AssignedTo.ID)
				}
			}
			tr.Parts = append(tr.Parts, tp)
		}
	}
	return tr
}

// taskType is the Type conversation Tasks get: the settings' value when the
// org's picklist has it, else "Other", else the picklist's first value.
func taskType(task map[string]sync.SFField, want string) string {
	if want != "" && slices.Contains(task["Type"].PicklistValues, want) {
		return want
	}
	return picklistValue(task, "Type", "Other")
}

// picklistValue is preferred when the picklist has it, else its first
// active value ("" for none).
func picklistValue(task map[string]sync.SFField, field, preferred string) string {
	vals := task[field].PicklistValues
	if slices.Contains(vals, preferred) {
		return preferred
	}
	if len(vals) > 0 {
		return vals[0]
	}
	return ""
}

// taskWrite is one Task create or update in a round.
type taskWrite struct {
	w   *convWork
	row store.ConversationTask
	rec map[string]any
	// claim: a new Task, whose row is claimed before it is created.
	claim bool
}

// writeTasks creates the new Tasks and updates the existing ones of the
// round, in sObject Collections calls of up to BatchSize records.
func (b *batch) writeTasks(ctx context.Context, task map[string]sync.SFField, dir *directory, works map[string]*convWork,
	order []string, targets map[string][]taskTarget, whats map[string]string) error {
	openStatus := picklistValue(task, "Status", "Not Started")
	doneStatus := "Completed"
	typ := taskType(task, b.c.doc.Tasks.Type)
	priority := picklistValue(task, "Priority", "Normal")
	var creates, updates []*taskWrite
	for _, id := range order {
		w := works[id]
		if w.full == nil && (len(targets[id]) > 0 || hasState(w.tasks, store.TaskCreating)) {
			continue // deleted in Intercom
		}
		owner := sync.TaskOwner(dir.userOfAdmin(w.assignee()), dir.sfUser)
		closed := w.closed || w.full != nil && w.full.State == intercom.StateClosed
		completeFirst := closed && !hasState(w.tasks, store.TaskCompleted)
		var desc string
		if w.full != nil {
			desc = b.transcript(dir, w.full)
		}
		newRow := func(t store.ConversationTask) *taskWrite {
			c := w.full
			rec := map[string]any{"WhoId": t.WhoID, "Subject": sync.TaskSubject(FirstMessage(c)), "Description": desc,
				"ActivityDate": c.CreatedAt.Time().UTC().Format("2006-01-02"), "OwnerId": owner}
			for k, v := range map[string]string{"Status": openStatus, "Priority": priority, "Type": typ} {
				if v != "" {
					rec[k] = v
				}
			}
			if _, ok := task["WhatId"]; ok && whats[t.WhoID] != "" {
				rec["WhatId"] = whats[t.WhoID]
			}
			t.State, t.OwnerID = store.TaskCreating, owner
			return &taskWrite{w: w, row: t, rec: rec}
		}
		// New Tasks, and those whose create is to be sent again.
		for _, t := range targets[id] {
			row := store.ConversationTask{ConnectionID: b.conn.ID, ConversationID: id, WhoID: t.sfID, IntercomID: t.icID}
			c := newRow(row)
			c.claim = true
			creates = append(creates, c)
		}
		for _, t := range w.tasks {
			if t.State == store.TaskCreating {
				creates = append(creates, newRow(t))
			}
		}
		created := slices.ContainsFunc(w.tasks, func(t store.ConversationTask) bool { return t.TaskID != "" && t.State != store.TaskCreating })
		if completeFirst && len(creates) > 0 && creates[len(creates)-1].w == w && !created {
			// Created closed: the first of them is completed at once.
			for _, c := range creates {
				if c.w == w {
					c.rec["Status"], c.row.State = doneStatus, store.TaskCompleted
					break
				}
			}
			completeFirst = false
		}
		// Existing Tasks: transcript on close and reopen, owner on
		// reassignment, the first completed on the first close.
		for _, t := range w.tasks {
			if t.State == store.TaskCreating || t.TaskID == "" {
				continue
			}
			rec := map[string]any{"Id": t.TaskID}
			if (w.closed || w.opened) && desc != "" {
				rec["Description"] = desc
			}
			if owner != t.OwnerID && owner != "" {
				rec["OwnerId"], t.OwnerID = owner, owner
			}
			if completeFirst {
				rec["Status"], t.State = doneStatus, store.TaskCompleted
				completeFirst = false
			}
			if len(rec) > 1 {
				updates = append(updates, &taskWrite{w: w, row: t, rec: rec})
			}
		}
	}
	creates, err := b.claimTasks(ctx, creates)
	if err != nil {
		return err
	}
	b.sendTasks(ctx, creates, true)
	b.sendTasks(ctx, updates, false)
	return nil
}

// claimTasks commits the rows of the Tasks about to be created, in state
// "creating", before any create is sent: a crash after it leaves a row that
// finds the Task instead of creating a second one. New Tasks are claimed
// (store.ClaimConversationTasks): one a teammate's Log to Salesforce claimed
// since the conversation's rows were read is left to it and not created.
// It returns the creates to send.
func (b *batch) claimTasks(ctx context.Context, creates []*taskWrite) ([]*taskWrite, error) {
	if len(creates) == 0 {
		return nil, nil
	}
	var fresh, again []store.ConversationTask
	for _, c := range creates {
		row := c.row
		row.State = store.TaskCreating
		if c.claim {
			fresh = append(fresh, row)
		} else {
			again = append(again, row)
		}
	}
	var won []bool
	if err := b.e.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if won, err = tx.ClaimConversationTasks(ctx, fresh); err != nil {
			return err
		}
		return tx.PutConversationTasks(ctx, again)
	}); err != nil {
		return nil, err
	}
	out := creates[:0]
	i := 0
	for _, c := range creates {
		if c.claim {
			ok := won[i]
			i++
			if !ok {
				b.history(taskObject, c.row.IntercomID, "", store.OriginFerry, "one Task per conversation and person", "skipped",
					"conversation "+c.row.ConversationID+": a teammate logged it to Salesforce first; that Task is the conversation's", nil)
				continue
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// FindConversationTask looks for the Task of a conversation on a Lead or
// Contact created since a time: the one whose Description names the
// conversation's link, as every transcript ferry writes begins. A claim
// left by a crash is resolved with it before a Task is created again.
// "" when there is none.
func FindConversationTask(ctx context.Context, sf *salesforce.Client, whoID, conversationURL string, since time.Time) (string, error) {
	// Clocks differ: look a while before the claim was written.
	after := since.Add(-10 * time.Minute).UTC().Format("2006-01-02T15:04:05Z")
	soql := fmt.Sprintf("SELECT Id, Description FROM Task WHERE WhoId = %s AND CreatedDate >= %s",
		salesforce.QuoteSOQL(whoID), after)
	head := transcriptHead(conversationURL)
	for r, err := range sf.Query(ctx, soql) {
		if err != nil {
			return "", fmt.Errorf("engine: look for the Task of a conversation: %w", err)
		}
		if strings.HasPrefix(r.String("Description"), head) {
			return r.String("Id"), nil
		}
	}
	return "", nil
}

// FirstMessage is a conversation's first message (its subject when the
// message has no body).
func FirstMessage(c *intercom.Conversation) string {
	if c == nil || c.Source == nil {
		return ""
	}
	if c.Source.Body == "" {
		return c.Source.Subject
	}
	return c.Source.Body
}

// sendTasks sends creates or updates in Collections calls and records each
// outcome: the rows, history, and sync errors for refused records.
func (b *batch) sendTasks(ctx context.Context, ws []*taskWrite, create bool) {
	size := b.e.opts.BatchSize
	for start := 0; start < len(ws); start += size {
		chunk := ws[start:min(start+size, len(ws))]
		if b.failed != nil {
			return
		}
		if err := b.e.checkBudget(ctx, b.conn.ID, b.c, b.sf, b.lane, 1); err != nil {
			var bu *errBudget
			if errors.As(err, &bu) {
				b.budget = bu
			}
			b.fail(&batchError{kind: transient, err: err})
			return
		}
		recs := make([]map[string]any, len(chunk))
		for i, w := range chunk {
			recs[i] = w.rec
		}
		var results []salesforce.Result
		var err error
		if create {
			results, err = b.sf.CreateMany(ctx, "Task", recs, false)
		} else {
			results, err = b.sf.UpdateMany(ctx, "Task", recs, false)
		}
		for i, w := range chunk {
			rerr := err
			if i < len(results) {
				rerr = results[i].Err()
			}
			if rerr != nil {
				if ce := classifySF(rerr); ce.kind != permanent {
					b.fail(ce)
					continue
				}
				b.taskError(w, create, rerr)
				continue
			}
			row := w.row
			if create {
				row.TaskID = results[i].ID
				if row.State == store.TaskCreating {
					row.State = store.TaskOpen
				}
			}
			b.ops.convTasks = append(b.ops.convTasks, row)
			b.taskHistory(w, create, row)
		}
	}
}

// taskHistory records a Task write in the person's history (F8.3).
func (b *batch) taskHistory(w *taskWrite, create bool, row store.ConversationTask) {
	changes := map[string]any{}
	for k, v := range w.rec {
		if k == "Description" {
			v = fmt.Sprintf("transcript, %d characters", len([]rune(v.(string))))
		}
		changes[k] = v
	}
	rule, outcome := "a conversation became a Task", "task_created"
	if !create {
		rule, outcome = "the conversation's Task follows it: transcript on close and reopen, owner on reassignment", "task_updated"
	}
	b.history(taskObject, row.IntercomID, row.TaskID, store.OriginIntercom, rule, outcome, "conversation "+row.ConversationID,
		map[string]any{"salesforce": changes})
}

// taskError records a Task Salesforce refused: a sync error (retried by
// the conversation's next event) and a history entry.
func (b *batch) taskError(w *taskWrite, create bool, err error) {
	code, msg := sfErrorCode(err)
	op := opUpdateTask
	if create {
		op = opCreateTask
		if code == salesforce.CodeInvalidField || code == salesforce.CodeInvalidFieldForInsertUpdate {
			b.e.invalidate(b.conn.ID)
		}
	}
	b.ops.errors = append(b.ops.errors, store.SyncError{ConnectionID: b.conn.ID, Object: "Task", RecordID: w.row.IntercomID,
		Operation: op, Code: code, Message: msg,
		Details: fmt.Sprintf(`{"conversation_id":%q,"who_id":%q,"task_id":%q}`, w.row.ConversationID, w.row.WhoID, w.row.TaskID)})
	b.history(taskObject, w.row.IntercomID, w.row.TaskID, store.OriginIntercom, "a conversation became a Task", "error",
		fmt.Sprintf("conversation %s: %s: %s", w.row.ConversationID, code, msg), nil)
}
