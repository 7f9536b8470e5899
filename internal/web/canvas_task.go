package web

import (
	"context"

	"github.com/ferrysync/ferry/internal/app"
)

// logConversationCanvas logs the open conversation as a completed Task on
// the person's Lead or Contact (F6.2) and shows the person again with what
// happened.
func (s *Server) logConversationCanvas(ctx context.Context, req *canvasRequest) canvas {
	conn, err := s.app.InboxConnection(ctx, req.WorkspaceID)
	if err != nil {
		return s.inboxFailure(ctx, err)
	}
	res, err := s.app.LogToSalesforce(ctx, conn.ID, app.TaskRequest{ConversationID: string(req.Conversation.ID),
		IntercomID: req.person().IntercomID})
	if err != nil {
		return s.inboxFailure(ctx, err)
	}
	note := "Conversation logged to Salesforce as " + mdLink("a completed Task", res.URL) + "."
	switch {
	case res.Kept:
		note = "This conversation is already in Salesforce: ferry keeps it as " + mdLink("a Task", res.URL) +
			" on this person. Nothing new was created."
	case res.Existed:
		note = "This conversation was already logged to Salesforce; nothing new was created."
	}
	c := s.inboxCanvas(ctx, req, "")
	c.Content.Components = append([]component{text(note, "muted")}, c.Content.Components...)
	return c
}
