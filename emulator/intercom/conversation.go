package intercom

import (
	"strconv"
)

// conversation is an inbox conversation with its parts.
type conversation struct {
	seq           int64
	id            string
	createdAt     int64
	updatedAt     int64
	waitingSince  *int64
	snoozedUntil  *int64
	title         *string
	state         string // open, closed, snoozed
	read          bool
	priority      string
	adminAssignee *int64
	teamAssignee  *int64
	source        convSource
	contactIDs    []string
	parts         []*part
	firstReply    *int64
}

type convSource struct {
	id          string
	deliveredAs string // customer_initiated, admin_initiated
	subject     string
	body        string
	author      authorJSON
}

// part is one conversation part: comment, note, assignment, close, open,
// snoozed.
type part struct {
	id         string
	partType   string
	body       *string
	createdAt  int64
	assignedTo map[string]any
	author     authorJSON
	attachURLs []string
}

type authorJSON struct {
	ID    string  `json:"id"`
	Type  string  `json:"type"`
	Name  *string `json:"name"`
	Email *string `json:"email"`
}

type attachmentJSON struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
}

type partJSON struct {
	Type        string           `json:"type"`
	ID          string           `json:"id"`
	PartType    string           `json:"part_type"`
	Body        *string          `json:"body"`
	CreatedAt   int64            `json:"created_at"`
	UpdatedAt   int64            `json:"updated_at"`
	NotifiedAt  int64            `json:"notified_at"`
	AssignedTo  map[string]any   `json:"assigned_to"`
	Author      authorJSON       `json:"author"`
	Attachments []attachmentJSON `json:"attachments"`
	ExternalID  *string          `json:"external_id"`
	Redacted    bool             `json:"redacted"`
}

type conversationJSON struct {
	Type                string         `json:"type"`
	ID                  string         `json:"id"`
	CreatedAt           int64          `json:"created_at"`
	UpdatedAt           int64          `json:"updated_at"`
	WaitingSince        *int64         `json:"waiting_since"`
	SnoozedUntil        *int64         `json:"snoozed_until"`
	Title               *string        `json:"title"`
	Open                bool           `json:"open"`
	State               string         `json:"state"`
	Read                bool           `json:"read"`
	Priority            string         `json:"priority"`
	AdminAssigneeID     *int64         `json:"admin_assignee_id"`
	TeamAssigneeID      *int64         `json:"team_assignee_id"`
	Source              map[string]any `json:"source"`
	Contacts            map[string]any `json:"contacts"`
	FirstContactReply   map[string]any `json:"first_contact_reply"`
	Tags                tagListJSON    `json:"tags"`
	SLAApplied          any            `json:"sla_applied"`
	Statistics          any            `json:"statistics"`
	ConversationRating  any            `json:"conversation_rating"`
	Teammates           any            `json:"teammates"`
	CustomAttributes    map[string]any `json:"custom_attributes"`
	Topics              map[string]any `json:"topics"`
	Ticket              any            `json:"ticket"`
	LinkedObjects       map[string]any `json:"linked_objects"`
	AIAgent             any            `json:"ai_agent"`
	AIAgentParticipated bool           `json:"ai_agent_participated"`
	ConversationParts   *partListJSON  `json:"conversation_parts,omitempty"`
}

type partListJSON struct {
	Type              string     `json:"type"`
	TotalCount        int        `json:"total_count"`
	ConversationParts []partJSON `json:"conversation_parts"`
}

func (p *part) json() partJSON {
	j := partJSON{Type: "conversation_part", ID: p.id, PartType: p.partType, Body: p.body, CreatedAt: p.createdAt,
		UpdatedAt: p.createdAt, NotifiedAt: p.createdAt, AssignedTo: p.assignedTo, Author: p.author,
		Attachments: []attachmentJSON{}}
	for _, u := range p.attachURLs {
		j.Attachments = append(j.Attachments, attachmentJSON{Type: "upload", Name: lastSegment(u), URL: u, ContentType: "image/png"})
	}
	return j
}

func lastSegment(u string) string {
	for i := len(u) - 1; i >= 0; i-- {
		if u[i] == '/' {
			return u[i+1:]
		}
	}
	return u
}

// conversationJSON renders c. parts nil omits conversation_parts (list
// views); otherwise the given parts are embedded (the whole history for
// GET, the triggering parts for webhooks).
func (s *Server) conversationJSON(c *conversation, parts []*part) conversationJSON {
	contacts := make([]map[string]any, 0, len(c.contactIDs))
	for _, id := range c.contactIDs {
		ref := map[string]any{"type": "contact", "id": id, "external_id": nil}
		if ct := s.st.contacts[id]; ct != nil {
			ref["external_id"] = ct.externalID
		}
		contacts = append(contacts, ref)
	}
	j := conversationJSON{Type: "conversation", ID: c.id, CreatedAt: c.createdAt, UpdatedAt: c.updatedAt,
		WaitingSince: c.waitingSince, SnoozedUntil: c.snoozedUntil, Title: c.title, Open: c.state != "closed",
		State: c.state, Read: c.read, Priority: c.priority, AdminAssigneeID: c.adminAssignee, TeamAssigneeID: c.teamAssignee,
		Source: map[string]any{"type": "conversation", "id": c.source.id, "delivered_as": c.source.deliveredAs,
			"subject": c.source.subject, "body": c.source.body, "author": c.source.author, "attachments": []any{},
			"url": nil, "redacted": false},
		Contacts:         map[string]any{"type": "contact.list", "contacts": contacts},
		Tags:             tagListJSON{Type: "tag.list", Tags: []any{}},
		CustomAttributes: map[string]any{}, Topics: map[string]any{},
		LinkedObjects: map[string]any{"type": "list", "data": []any{}, "total_count": 0, "has_more": false},
	}
	if c.firstReply != nil {
		j.FirstContactReply = map[string]any{"created_at": *c.firstReply, "type": "conversation", "url": nil}
	}
	if parts != nil {
		if len(parts) > 500 { // Intercom returns the 500 most recent parts
			parts = parts[len(parts)-500:]
		}
		pl := &partListJSON{Type: "conversation_part.list", TotalCount: len(parts), ConversationParts: []partJSON{}}
		for _, p := range parts {
			pl.ConversationParts = append(pl.ConversationParts, p.json())
		}
		j.ConversationParts = pl
	}
	return j
}

// contactAuthorLocked is a contact as a conversation author.
func contactAuthor(c *contact) authorJSON {
	return authorJSON{ID: c.id, Type: c.role, Name: c.name, Email: c.email}
}

func (a *admin) author() authorJSON {
	return authorJSON{ID: a.ID, Type: "admin", Name: ptr(a.Name), Email: ptr(a.Email)}
}

func (s *Server) newConversationLocked(from *contact, author authorJSON, deliveredAs, subject, body string) *conversation {
	now := s.now().Unix()
	s.st.nextConvID++
	c := &conversation{seq: s.st.sequence(), id: strconv.FormatInt(s.st.nextConvID, 10), createdAt: now, updatedAt: now,
		state: "open", priority: "not_priority", contactIDs: []string{from.id}, parts: []*part{},
		source: convSource{id: s.nextPartIDLocked(), deliveredAs: deliveredAs, subject: subject, body: body, author: author}}
	if deliveredAs == "customer_initiated" {
		c.waitingSince = ptr(now)
		c.firstReply = ptr(now)
	}
	s.st.conversations[c.id] = c
	s.st.convOrder = append(s.st.convOrder, c)
	return c
}

func (s *Server) nextPartIDLocked() string {
	s.st.nextPartID++
	return strconv.FormatInt(s.st.nextPartID, 10)
}

func (s *Server) addPartLocked(c *conversation, p *part) *part {
	p.id = s.nextPartIDLocked()
	p.createdAt = s.now().Unix()
	c.parts = append(c.parts, p)
	c.updatedAt = p.createdAt
	return p
}
