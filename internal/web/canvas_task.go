package web

import (
	"context"
	"strings"

	"github.com/ferrysync/ferry/internal/app"
)

// logAll is the log form's option for the whole conversation.
const logAll = "all"

// logPartsShown bounds the messages and notes offered: a dropdown takes
// at most 10 options, one of them the whole conversation.
const logPartsShown = 9

// logFormCanvas asks what to log: the whole conversation, or one of its
// latest messages or notes alone (F6.2).
func (s *Server) logFormCanvas(ctx context.Context, req *canvasRequest) canvas {
	conn, err := s.app.InboxConnection(ctx, req.WorkspaceID)
	if err != nil {
		return s.inboxFailure(ctx, err)
	}
	parts, err := s.app.LoggableParts(ctx, conn.ID, string(req.Conversation.ID))
	if err != nil {
		return s.inboxFailure(ctx, err)
	}
	options := []component{{"type": "option", "id": logAll, "text": "The whole conversation"}}
	for _, p := range parts[max(0, len(parts)-logPartsShown):] {
		who := p.Author
		if p.Note {
			who = "Note by " + who
		}
		options = append(options, component{"type": "option", "id": p.ID, "text": clipTo(who+": "+strings.Join(strings.Fields(p.Text), " "), 80)})
	}
	cs := []component{text("Log to Salesforce", "header"),
		component{"type": "dropdown", "id": componentLogPart, "label": "What to log", "options": options, "value": logAll},
		text("It becomes a completed Task on this person's Salesforce record.", "muted"),
		button(componentSubmitLog, "Log", "primary", submitAction()),
		button(componentRefresh, "Cancel", "secondary", submitAction())}
	return canvas{Content: canvasContent{Components: cs}, StoredData: map[string]string{storedContactKey: req.person().IntercomID}}
}

// logConversationCanvas logs the open conversation, or the message or note
// chosen, as a completed Task on the person's Lead or Contact (F6.2) and
// shows the person again with what happened.
func (s *Server) logConversationCanvas(ctx context.Context, req *canvasRequest) canvas {
	conn, err := s.app.InboxConnection(ctx, req.WorkspaceID)
	if err != nil {
		return s.inboxFailure(ctx, err)
	}
	part := req.input(componentLogPart)
	if part == logAll {
		part = ""
	}
	res, err := s.app.LogToSalesforce(ctx, conn.ID, app.TaskRequest{ConversationID: string(req.Conversation.ID),
		PartID: part, IntercomID: req.person().IntercomID})
	if err != nil {
		return s.inboxFailure(ctx, err)
	}
	what := "Conversation"
	if part != "" {
		what = "Message"
	}
	note := what + " logged to Salesforce as " + mdLink("a completed Task", res.URL) + "."
	switch {
	case res.Kept:
		note = "This conversation is already in Salesforce: ferry keeps it as " + mdLink("a Task", res.URL) +
			" on this person. Nothing new was created."
	case res.Existed && part != "":
		note = "This message was already logged to Salesforce; nothing new was created."
	case res.Existed:
		note = "This conversation was already logged to Salesforce; nothing new was created."
	}
	c := s.inboxCanvas(ctx, req, "")
	c.Content.Components = append([]component{text(note, "muted")}, c.Content.Components...)
	return c
}
