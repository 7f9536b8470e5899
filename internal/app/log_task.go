package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
	part := req.PartID
	if part == "" {
		part = "all"
		// The conversation Task ferry keeps for this person (F6.1) is
		// the whole conversation already: a second one would only
		// duplicate it.
		kept, err := a.store.ListConversationTasks(ctx, connID, []string{conv.ID})
		if err != nil {
			return TaskResult{}, err
		}
		for _, t := range kept {
			if t.WhoID == m.SFID && t.TaskID != "" {
				return TaskResult{TaskID: t.TaskID, WhoID: m.SFID, Existed: true, Kept: true, URL: link(t.TaskID)}, nil
			}
		}
	}
	key := "task:" + conv.ID + ":" + part + ":" + m.SFID
	id, existed, err := a.once(ctx, connID, key, func() (string, error) {
		sf, err := a.inboxSalesforce(ctx, connID)
		if err != nil {
			return "", err
		}
		return sf.Create(connection.WithPurpose(ctx, connection.PurposeInbox), "Task", map[string]any{
			"WhoId": m.SFID, "Subject": subject, "Description": tr.Render(sync.TaskDescriptionLimit),
			"Status": "Completed", "ActivityDate": a.now().UTC().Format("2006-01-02")})
	}, nil)
	if err != nil {
		return TaskResult{}, err
	}
	r := TaskResult{TaskID: id, WhoID: m.SFID, Existed: existed, URL: link(id)}
	a.log.InfoContext(ctx, "conversation logged to Salesforce", "connection", connID, "conversation", conv.ID,
		"part", req.PartID, "task", id, "existed", existed)
	return r, nil
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
