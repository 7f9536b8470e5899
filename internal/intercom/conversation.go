package intercom

import (
	"context"
	"iter"
	"net/http"
	"net/url"
)

// Conversation is an Intercom conversation with its parts.
type Conversation struct {
	Type              string             `json:"type,omitempty"`
	ID                string             `json:"id"`
	CreatedAt         Timestamp          `json:"created_at,omitempty"`
	UpdatedAt         Timestamp          `json:"updated_at,omitempty"`
	WaitingSince      Timestamp          `json:"waiting_since,omitempty"`
	SnoozedUntil      Timestamp          `json:"snoozed_until,omitempty"`
	Title             string             `json:"title,omitempty"`
	Open              bool               `json:"open"`
	State             string             `json:"state,omitempty"`
	Read              bool               `json:"read,omitempty"`
	Priority          string             `json:"priority,omitempty"`
	AdminAssigneeID   FlexString         `json:"admin_assignee_id,omitempty"`
	TeamAssigneeID    FlexString         `json:"team_assignee_id,omitempty"`
	Source            *ConversationPart  `json:"source,omitempty"`
	Contacts          *ConversationRefs  `json:"contacts,omitempty"`
	CustomAttributes  map[string]any     `json:"custom_attributes,omitempty"`
	ConversationParts *ConversationParts `json:"conversation_parts,omitempty"`
}

// Conversation states.
const (
	StateOpen    = "open"
	StateClosed  = "closed"
	StateSnoozed = "snoozed"
)

// ConversationRefs is the "contacts" member of a conversation.
type ConversationRefs struct {
	Contacts []ContactRef `json:"contacts"`
}

// ContactRef identifies a contact inside a conversation.
type ContactRef struct {
	Type       string     `json:"type,omitempty"`
	ID         string     `json:"id"`
	ExternalID FlexString `json:"external_id,omitempty"`
}

// ConversationParts is the "conversation_parts" member of a conversation.
// Intercom returns at most the 500 most recent parts; webhooks carry only
// the part(s) that triggered the notification.
type ConversationParts struct {
	TotalCount int                `json:"total_count"`
	Parts      []ConversationPart `json:"conversation_parts"`
}

// ConversationPart is a message, note or action in a conversation. The
// conversation's "source" (its first message) has the same shape.
type ConversationPart struct {
	Type        string     `json:"type,omitempty"`
	ID          string     `json:"id"`
	PartType    string     `json:"part_type,omitempty"`
	DeliveredAs string     `json:"delivered_as,omitempty"`
	Subject     string     `json:"subject,omitempty"`
	Body        string     `json:"body,omitempty"`
	CreatedAt   Timestamp  `json:"created_at,omitempty"`
	UpdatedAt   Timestamp  `json:"updated_at,omitempty"`
	NotifiedAt  Timestamp  `json:"notified_at,omitempty"`
	AssignedTo  *Author    `json:"assigned_to,omitempty"`
	Author      *Author    `json:"author,omitempty"`
	ExternalID  FlexString `json:"external_id,omitempty"`
	Redacted    bool       `json:"redacted,omitempty"`
	URL         string     `json:"url,omitempty"`
	// Attachments are files attached to the part (images, uploads).
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Attachment is a file attached to a conversation part.
type Attachment struct {
	Type        string `json:"type,omitempty"`
	Name        string `json:"name,omitempty"`
	URL         string `json:"url"`
	ContentType string `json:"content_type,omitempty"`
}

// Author is who wrote a part: an admin, user, lead, bot or team.
type Author struct {
	Type  string     `json:"type,omitempty"`
	ID    FlexString `json:"id,omitempty"`
	Name  string     `json:"name,omitempty"`
	Email string     `json:"email,omitempty"`
}

// ConversationInput starts a conversation on behalf of a contact.
type ConversationInput struct {
	// From is the contact: Type "user", "lead" or "contact" and its id.
	From Ref `json:"from"`
	// Body is the first message.
	Body string `json:"body"`
}

// Message is what Intercom answers when a conversation is created.
type Message struct {
	Type           string    `json:"type,omitempty"`
	ID             string    `json:"id"`
	CreatedAt      Timestamp `json:"created_at,omitempty"`
	Subject        string    `json:"subject,omitempty"`
	Body           string    `json:"body,omitempty"`
	MessageType    string    `json:"message_type,omitempty"`
	ConversationID string    `json:"conversation_id,omitempty"`
}

// CreateConversation starts a conversation from a contact.
func (c *Client) CreateConversation(ctx context.Context, in ConversationInput) (*Message, error) {
	return callFor[Message](ctx, c, request{method: http.MethodPost, route: "/conversations", path: "/conversations", body: in, auth: true})
}

// GetConversation fetches a conversation with up to 500 recent parts.
func (c *Client) GetConversation(ctx context.Context, id string) (*Conversation, error) {
	return callFor[Conversation](ctx, c, request{method: http.MethodGet, route: "/conversations/{id}", path: "/conversations/" + pathEscape(id), auth: true})
}

// ListConversations iterates over all conversations, following cursors.
// Listed conversations carry no parts.
func (c *Client) ListConversations(ctx context.Context, opts ListOptions) iter.Seq2[Conversation, error] {
	return paginate(ctx, false, func(ctx context.Context, cursor string) ([]Conversation, string, error) {
		q := perPageQuery(url.Values{}, opts.PerPage)
		if cursor != "" {
			q.Set("starting_after", cursor)
		}
		var out searchPage[Conversation]
		if err := c.call(ctx, request{method: http.MethodGet, route: "/conversations", path: "/conversations", query: q, auth: true}, &out); err != nil {
			return nil, "", err
		}
		items := out.Conversations
		if len(items) == 0 {
			items = out.Data
		}
		next := ""
		if out.Pages != nil && out.Pages.Next != nil {
			next = out.Pages.Next.StartingAfter
		}
		return items, next, nil
	})
}

// SearchConversations iterates over the conversations matching q.
func (c *Client) SearchConversations(ctx context.Context, q Query, opts SearchOptions) iter.Seq2[Conversation, error] {
	return search[Conversation](ctx, c, "/conversations/search", conversationFields, q, opts)
}

// Reply message types.
const (
	MessageComment = "comment"
	MessageNote    = "note"
)

// ReplyInput is a reply to a conversation: an admin's comment or note
// (Type "admin", AdminID) or a contact's comment (Type "user",
// IntercomUserID).
type ReplyInput struct {
	MessageType    string    `json:"message_type"`
	Type           string    `json:"type"`
	AdminID        string    `json:"admin_id,omitempty"`
	IntercomUserID string    `json:"intercom_user_id,omitempty"`
	Body           string    `json:"body,omitempty"`
	CreatedAt      Timestamp `json:"created_at,omitempty"`
	AttachmentURLs []string  `json:"attachment_urls,omitempty"`
}

// Reply adds a part to a conversation and returns the whole conversation.
// id may be "last" for the contact's most recent conversation.
func (c *Client) Reply(ctx context.Context, id string, in ReplyInput) (*Conversation, error) {
	return callFor[Conversation](ctx, c, request{method: http.MethodPost, route: "/conversations/{id}/reply",
		path: "/conversations/" + pathEscape(id) + "/reply", body: in, auth: true})
}

// AddNote adds an admin's internal note (some HTML allowed).
func (c *Client) AddNote(ctx context.Context, conversationID, adminID, body string) (*Conversation, error) {
	return c.Reply(ctx, conversationID, ReplyInput{MessageType: MessageNote, Type: "admin", AdminID: adminID, Body: body})
}

// Manage message types.
const (
	ManageClose      = "close"
	ManageOpen       = "open"
	ManageSnoozed    = "snoozed"
	ManageAssignment = "assignment"
)

// ManageInput closes, opens, snoozes or assigns a conversation.
type ManageInput struct {
	// MessageType is one of the Manage* constants.
	MessageType string `json:"message_type"`
	// Type is "admin" (or "team" for assignment to a team).
	Type string `json:"type"`
	// AdminID is the acting admin.
	AdminID string `json:"admin_id"`
	// AssigneeID is the admin or team to assign to (assignment only).
	AssigneeID string `json:"assignee_id,omitempty"`
	// SnoozedUntil is when a snoozed conversation reopens (snoozed only).
	SnoozedUntil Timestamp `json:"snoozed_until,omitempty"`
	// Body is an optional message to go with a close or assignment.
	Body string `json:"body,omitempty"`
}

// ManageConversation applies in and returns the conversation.
func (c *Client) ManageConversation(ctx context.Context, id string, in ManageInput) (*Conversation, error) {
	if in.Type == "" {
		in.Type = "admin"
	}
	return callFor[Conversation](ctx, c, request{method: http.MethodPost, route: "/conversations/{id}/parts",
		path: "/conversations/" + pathEscape(id) + "/parts", body: in, auth: true})
}

// AdminMessageInput is an admin starting a conversation with a contact.
type AdminMessageInput struct {
	// MessageType is "inapp" or "email".
	MessageType string
	// Subject is required for email.
	Subject string
	// Body is the message.
	Body string
	// AdminID is the sending admin.
	AdminID string
	// To is the recipient contact: Type "user", "lead" or "contact" and
	// its Intercom id.
	To Ref
}

// CreateAdminMessage sends an admin-initiated message (POST /messages),
// which starts a conversation.
func (c *Client) CreateAdminMessage(ctx context.Context, in AdminMessageInput) (*Message, error) {
	if in.MessageType == "" {
		in.MessageType = "inapp"
	}
	body := map[string]any{
		"message_type": in.MessageType,
		"body":         in.Body,
		"from":         map[string]string{"type": "admin", "id": in.AdminID},
		"to":           map[string]string{"type": in.To.Type, "id": in.To.ID},
	}
	if in.Subject != "" {
		body["subject"] = in.Subject
	}
	return callFor[Message](ctx, c, request{method: http.MethodPost, route: "/messages", path: "/messages", body: body, auth: true})
}
