package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// TaskRequest asks to log a conversation, or one of its messages or notes,
// to Salesforce as a completed Task (F6.2).
type TaskRequest struct {
	ConversationID string `json:"conversation_id"`
	// PartID is the one message or note to log; "" logs the whole
	// conversation.
	PartID string `json:"part_id,omitempty"`
	// IntercomID is the person whose Lead or Contact gets the Task;
	// default the conversation's first contact.
	IntercomID string `json:"intercom_contact_id,omitempty"`
}

// TaskResult is the Task of a TaskRequest.
type TaskResult struct {
	TaskID string `json:"salesforce_id"`
	// WhoID is the Lead or Contact the Task is on.
	WhoID string `json:"who_id"`
	// Existed says the same request logged it before, or (Kept) that
	// ferry already keeps the conversation as a Task on the person.
	Existed bool `json:"existed"`
	// Kept says the Task is the one ferry keeps for the conversation
	// (conversation Tasks): logging the whole conversation again would
	// only duplicate it.
	Kept bool   `json:"kept,omitempty"`
	URL  string `json:"url,omitempty"`
}

// LogToSalesforce logs a conversation, or one message or note of it, as a
// completed Task on the person's Lead or Contact (F6.2), with the same
// transcript as conversation Tasks, in the inbox lane of the API budget.
// The same request twice logs it once.
func (a *App) LogToSalesforce(ctx context.Context, connID int64, req TaskRequest) (TaskResult, error) {
	c, err := a.Connection(ctx, connID)
	if err != nil {
		return TaskResult{}, err
	}
	if req.ConversationID == "" {
		return TaskResult{}, errorf(Invalid, "Name the Intercom conversation to log.")
	}
	ic, err := a.manager.Intercom(ctx, connID)
	if err != nil {
		return TaskResult{}, err
	}
	conv, err := readConversation(ctx, ic, req.ConversationID)
	if err != nil {
		return TaskResult{}, err
	}
	person := req.IntercomID
	if person == "" && conv.Contacts != nil && len(conv.Contacts.Contacts) > 0 {
		person = conv.Contacts.Contacts[0].ID
	}
	m, err := a.store.GetMappingByIntercomID(ctx, connID, person)
	if errors.Is(err, store.ErrNotFound) || err == nil && m.Kind != store.MappingPerson {
		// Not mapped yet (matched by email but not synced so far): the
		// one Contact or Lead with the person's email, as the inbox shows.
		m.SFID, err = a.unmappedPerson(ctx, connID, ic, person)
	}
	if err != nil {
		return TaskResult{}, err
	}

	tr := transcriptOf(ctx, ic, c.IntercomWorkspaceID, conv)
	subject := sync.TaskSubject(engine.FirstMessage(conv))
	if req.PartID != "" {
		var one []sync.TranscriptPart
		for _, p := range tr.Parts {
			if p.ID == req.PartID {
				one = append(one, p)
			}
		}
		if len(one) == 0 {
			return TaskResult{}, errorf(NotFound, "That message or note is not in this conversation.")
		}
		tr.Parts = one
		subject = sync.TaskSubject(one[0].Body)
	}
	link := func(id string) string {
		if base := strings.TrimRight(c.SalesforceInstanceURL, "/"); base != "" {
			return base + "/" + id
		}
		return ""
	}
	create := func() (string, error) {
		sf, err := a.inboxSalesforce(ctx, connID)
		if err != nil {
			return "", err
		}
		return sf.Create(connection.WithPurpose(ctx, connection.PurposeInbox), "Task", map[string]any{
			"WhoId": m.SFID, "Subject": subject, "Description": tr.Render(sync.TaskDescriptionLimit),
			"Status": "Completed", "ActivityDate": a.now().UTC().Format("2006-01-02")})
	}
	var r TaskResult
	if req.PartID == "" {
		// The whole conversation is the conversation's Task (F6.1):
		// one per conversation and person, whoever makes it first.
		row := store.ConversationTask{ConnectionID: connID, ConversationID: conv.ID, WhoID: m.SFID, IntercomID: person}
		if r, err = a.logConversation(ctx, row, tr.URL, create); err != nil {
			return TaskResult{}, err
		}
		r.URL = link(r.TaskID)
	} else {
		key := "task:" + conv.ID + ":" + req.PartID + ":" + m.SFID
		id, existed, err := a.once(ctx, connID, key, create, nil)
		if err != nil {
			return TaskResult{}, err
		}
		r = TaskResult{TaskID: id, WhoID: m.SFID, Existed: existed, URL: link(id)}
	}
	a.log.InfoContext(ctx, "conversation logged to Salesforce", "connection", connID, "conversation", conv.ID,
		"part", req.PartID, "task", r.TaskID, "existed", r.Existed)
	return r, nil
}

// logConversation makes the Task of a whole conversation for one person
// (F6.2) unless the conversation has one: it claims the conversation's
// Task row (store.ClaimConversationTasks), the same claim ferry's
// conversation Tasks make (F6.1), so whichever comes first creates the one
// Task and the other answers it, Kept. A claim still being created by the
// other is waited for a while; one left by a crash is taken over, after
// looking for the Task it may have created. A failed create drops the
// claim, so a retry may try again.
func (a *App) logConversation(ctx context.Context, row store.ConversationTask, url string, create func() (string, error)) (TaskResult, error) {
	row.State = store.TaskLogging
	deadline := a.now().Add(actionWait)
	for {
		var won []bool
		if err := a.store.InTx(ctx, func(tx store.Tx) (err error) {
			won, err = tx.ClaimConversationTasks(ctx, []store.ConversationTask{row})
			return err
		}); err != nil {
			return TaskResult{}, err
		}
		if won[0] {
			break
		}
		kept, err := a.store.ListConversationTasks(ctx, row.ConnectionID, []string{row.ConversationID})
		if err != nil {
			return TaskResult{}, err
		}
		i := slices.IndexFunc(kept, func(t store.ConversationTask) bool { return t.WhoID == row.WhoID })
		switch {
		case i < 0:
			continue // dropped by a failed create meanwhile: claim afresh
		case kept[i].TaskID != "":
			return TaskResult{TaskID: kept[i].TaskID, WhoID: row.WhoID, Existed: true, Kept: true}, nil
		case kept[i].State == store.TaskLogging && time.Since(kept[i].UpdatedAt) > store.LoggingTimeout:
			stale := time.Now().Add(-store.LoggingTimeout)
			var took bool
			if err := a.store.InTx(ctx, func(tx store.Tx) (err error) {
				took, err = tx.SetConversationTaskIf(ctx, row, store.TaskLogging, stale)
				return err
			}); err != nil {
				return TaskResult{}, err
			}
			if !took {
				continue
			}
			sf, err := a.inboxSalesforce(ctx, row.ConnectionID)
			if err != nil {
				return TaskResult{}, err
			}
			found, err := engine.FindConversationTask(connection.WithPurpose(ctx, connection.PurposeInbox), sf, row.WhoID, url, kept[i].CreatedAt)
			if err != nil {
				return TaskResult{}, err
			}
			if found != "" {
				return a.finishLogged(ctx, row, found, true)
			}
			return a.createLogged(ctx, row, create)
		case a.now().After(deadline):
			return TaskResult{}, errorf(Conflict, "This conversation is being logged to Salesforce right now. Wait a moment and reload the app.")
		}
		select {
		case <-ctx.Done():
			return TaskResult{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return a.createLogged(ctx, row, create)
}

// createLogged creates the Task of a conversation whose row the caller
// claimed, and records it; a failed create drops the claim.
func (a *App) createLogged(ctx context.Context, row store.ConversationTask, create func() (string, error)) (TaskResult, error) {
	id, err := create()
	if err != nil {
		if derr := a.store.InTx(context.WithoutCancel(ctx), func(tx store.Tx) error {
			_, err := tx.DropConversationTaskIf(ctx, row, store.TaskLogging)
			return err
		}); derr != nil {
			a.log.WarnContext(ctx, "drop the claim of a failed Log to Salesforce", "conversation", row.ConversationID, "error", derr)
		}
		return TaskResult{}, err
	}
	return a.finishLogged(ctx, row, id, false)
}

// finishLogged records the Task of a conversation logged from the inbox as
// the conversation's Task: completed, as it was created.
func (a *App) finishLogged(ctx context.Context, row store.ConversationTask, id string, existed bool) (TaskResult, error) {
	done := row
	done.TaskID, done.State = id, store.TaskCompleted
	if err := a.store.InTx(context.WithoutCancel(ctx), func(tx store.Tx) error {
		// Only while still claimed: had ferry taken the claim over, it
		// finds this Task by its Description and keeps it.
		_, err := tx.SetConversationTaskIf(ctx, done, store.TaskLogging, time.Time{})
		return err
	}); err != nil {
		return TaskResult{}, err
	}
	return TaskResult{TaskID: id, WhoID: row.WhoID, Existed: existed}, nil
}

// LoggablePart is a message or note a teammate can log alone (F6.2).
type LoggablePart struct {
	ID string `json:"id"`
	// Note says it is a teammates' note, not a message.
	Note   bool   `json:"note"`
	Author string `json:"author"`
	// Text is the body as plain text.
	Text string `json:"text"`
}

// LoggableParts lists a conversation's messages and notes, oldest first,
// for a teammate to log one alone. It reads Intercom only.
func (a *App) LoggableParts(ctx context.Context, connID int64, conversationID string) ([]LoggablePart, error) {
	c, err := a.Connection(ctx, connID)
	if err != nil {
		return nil, err
	}
	ic, err := a.manager.Intercom(ctx, connID)
	if err != nil {
		return nil, err
	}
	conv, err := readConversation(ctx, ic, conversationID)
	if err != nil {
		return nil, err
	}
	var out []LoggablePart
	for _, p := range transcriptOf(ctx, ic, c.IntercomWorkspaceID, conv).Parts {
		if p.ID == "" || p.Kind != sync.PartMessage && p.Kind != sync.PartNote {
			continue
		}
		out = append(out, LoggablePart{ID: p.ID, Note: p.Kind == sync.PartNote, Author: p.Author, Text: sync.HTMLText(p.Body)})
	}
	return out, nil
}

// readConversation reads a conversation; one Intercom no longer has is a
// NotFound error that says so.
func readConversation(ctx context.Context, ic *intercom.Client, id string) (*intercom.Conversation, error) {
	conv, err := ic.GetConversation(ctx, id)
	if intercom.IsNotFound(err) {
		return nil, errorf(NotFound, "This conversation is no longer in Intercom.")
	} else if err != nil {
		return nil, fmt.Errorf("read Intercom conversation %s: %w", id, err)
	}
	return conv, nil
}

// transcriptOf is a conversation's transcript as conversation Tasks hold
// it, teammates named.
func transcriptOf(ctx context.Context, ic *intercom.Client, workspaceID string, conv *intercom.Conversation) sync.Transcript {
	names := map[string]string{}
	if admins, err := ic.ListAdmins(ctx); err == nil {
		for _, ad := range admins {
			names[string(ad.ID)] = strings.TrimSpace(ad.Name)
		}
	}
	return engine.ConversationTranscript(conv, sync.ConversationURL(ic.BaseURL(), workspaceID, conv.ID),
		func(id string) string { return names[id] })
}

// unmappedPerson finds the Salesforce record of an Intercom contact ferry
// has not mapped: the one Contact or unconverted Lead with its email, in one
// inbox-lane call. None or several are Invalid errors that say so.
func (a *App) unmappedPerson(ctx context.Context, connID int64, ic *intercom.Client, intercomID string) (string, error) {
	notYet := errorf(Invalid, "This person is not in Salesforce yet. Create their Lead first, then log the conversation.")
	if intercomID == "" {
		return "", notYet
	}
	ct, err := ic.GetContact(ctx, intercomID)
	if intercom.IsNotFound(err) {
		return "", errorf(NotFound, "This person is no longer in Intercom (deleted or merged). Reload the conversation.")
	} else if err != nil {
		return "", fmt.Errorf("read Intercom contact %s: %w", intercomID, err)
	}
	if strings.TrimSpace(ct.Email) == "" {
		return "", notYet
	}
	sf, err := a.inboxSalesforce(ctx, connID)
	if err != nil {
		return "", err
	}
	var calls int
	var contacts, leads []struct {
		ID string `json:"Id"`
	}
	email := salesforce.QuoteSOQL(strings.TrimSpace(ct.Email))
	if err := inboxQueries(ctx, sf, &calls, []inboxQuery{
		{"contacts", "SELECT Id FROM Contact WHERE Email = " + email + " LIMIT 2", &contacts},
		{"leads", "SELECT Id FROM Lead WHERE Email = " + email + " AND IsConverted = false LIMIT 2", &leads},
	}); err != nil {
		return "", err
	}
	switch found := append(contacts, leads...); len(found) {
	case 0:
		return "", notYet
	case 1:
		return found[0].ID, nil
	}
	return "", errorf(Invalid, "Several Salesforce records have this person's email, so ferry cannot tell which one to log to. Log it on the right one in Salesforce.")
}
