package intercom

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// userMessageJSON is what POST /conversations returns: the message, not
// the conversation.
type userMessageJSON struct {
	Type           string `json:"type"`
	ID             string `json:"id"`
	CreatedAt      int64  `json:"created_at"`
	Body           string `json:"body"`
	MessageType    string `json:"message_type"`
	ConversationID string `json:"conversation_id"`
}

// startConversationLocked is a contact writing in: it fires
// conversation.user.created.
func (s *Server) startConversationLocked(from *contact, body string) *conversation {
	c := s.newConversationLocked(from, contactAuthor(from), "customer_initiated", "", body)
	from.lastReplied = ptr(c.createdAt)
	s.emitLocked("conversation.user.created", s.conversationJSON(c, []*part{}))
	return c
}

func (s *Server) handleCreateConversation(r *http.Request) (any, error) {
	var body struct {
		From *struct {
			Type string          `json:"type"`
			ID   json.RawMessage `json:"id"`
		} `json:"from"`
		Body string `json:"body"`
	}
	if err := decodeInto(r, &body); err != nil {
		return nil, err
	}
	if body.From == nil || len(body.From.ID) == 0 {
		return nil, errf(http.StatusBadRequest, "parameter_not_found", "from is required")
	}
	switch body.From.Type {
	case "user", "lead", "contact":
	default:
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "from.type must be one of user, lead or contact")
	}
	if strings.TrimSpace(body.Body) == "" {
		return nil, errf(http.StatusBadRequest, "parameter_not_found", "body is required")
	}
	var id string
	json.Unmarshal(body.From.ID, &id)
	s.mu.Lock()
	defer s.mu.Unlock()
	from, herr := s.liveUserLocked(id)
	if herr != nil {
		return nil, herr
	}
	c := s.startConversationLocked(from, body.Body)
	return userMessageJSON{Type: "user_message", ID: c.source.id, CreatedAt: c.createdAt,
		Body: body.Body, MessageType: "inapp", ConversationID: c.id}, nil
}

// handleCreateMessage is POST /messages: an admin starts a conversation
// with a contact (conversation.admin.single.created).
func (s *Server) handleCreateMessage(r *http.Request) (any, error) {
	var body struct {
		MessageType string `json:"message_type"`
		Subject     string `json:"subject"`
		Body        string `json:"body"`
		From        struct {
			Type string          `json:"type"`
			ID   json.RawMessage `json:"id"`
		} `json:"from"`
		To struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"to"`
	}
	if err := decodeInto(r, &body); err != nil {
		return nil, err
	}
	if body.MessageType != "inapp" && body.MessageType != "email" {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "message_type must be inapp or email")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, herr := s.adminLocked(strings.Trim(string(body.From.ID), `"`))
	if herr != nil {
		return nil, herr
	}
	to, herr := s.liveUserLocked(body.To.ID)
	if herr != nil {
		return nil, herr
	}
	c := s.newConversationLocked(to, a.author(), "admin_initiated", body.Subject, body.Body)
	c.adminAssignee = ptr(mustInt(a.ID))
	s.emitLocked("conversation.admin.single.created", s.conversationJSON(c, []*part{}))
	return map[string]any{"type": "admin_message", "id": c.source.id, "created_at": c.createdAt,
		"subject": body.Subject, "body": body.Body, "message_type": body.MessageType, "conversation_id": c.id,
		"owner": a.json()}, nil
}

func mustInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func (s *Server) conversationLocked(id string) (*conversation, *httpError) {
	c := s.st.conversations[id]
	if c == nil {
		return nil, errNotFound()
	}
	return c, nil
}

func (s *Server) handleGetConversation(r *http.Request) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, herr := s.conversationLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	j := s.conversationJSON(c, c.parts)
	if r.URL.Query().Get("display_as") == "plaintext" {
		for i := range j.ConversationParts.ConversationParts {
			p := &j.ConversationParts.ConversationParts[i]
			if p.Body != nil {
				p.Body = ptr(stripTags(*p.Body))
			}
		}
	}
	return j, nil
}

func stripTags(h string) string {
	var b strings.Builder
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

type conversationList struct {
	Type          string             `json:"type"`
	Conversations []conversationJSON `json:"conversations"`
	TotalCount    int                `json:"total_count"`
	Pages         pages              `json:"pages"`
}

func (s *Server) handleListConversations(r *http.Request) (any, error) {
	per, after, pg, err := seqPageParams(r.URL.Query(), 20)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	total := len(s.st.convOrder)
	out := conversationList{Type: "conversation.list", Conversations: []conversationJSON{}, TotalCount: total,
		Pages: pages{Type: "pages", Page: pg, PerPage: per, TotalPages: totalPages(total, per)}}
	for i, c := range s.st.convOrder {
		if c.seq <= after {
			continue
		}
		if len(out.Conversations) == per {
			prev := s.st.convOrder[i-1]
			out.Pages.Next = &pagesNext{Page: pg + 1, StartingAfter: encodeCursor(prev.seq, pg)}
			break
		}
		out.Conversations = append(out.Conversations, s.conversationJSON(c, nil))
	}
	return out, nil
}

func conversationFieldType(field string) string {
	switch field {
	case "id", "state", "priority", "source.author.id", "source.author.email", "source.author.name",
		"source.author.type", "source.body", "source.subject", "source.delivered_as", "source.id", "contact_ids":
		return "string"
	case "open", "read":
		return "boolean"
	case "admin_assignee_id", "team_assignee_id":
		return "integer"
	case "created_at", "updated_at", "waiting_since", "snoozed_until":
		return "date"
	case "tag_ids":
		return "tag"
	}
	return ""
}

func conversationField(c *conversation, field string) any {
	switch field {
	case "id":
		return c.id
	case "state":
		return c.state
	case "priority":
		return c.priority
	case "open":
		return c.state != "closed"
	case "read":
		return c.read
	case "admin_assignee_id":
		return c.adminAssignee
	case "team_assignee_id":
		return c.teamAssignee
	case "created_at":
		return c.createdAt
	case "updated_at":
		return c.updatedAt
	case "waiting_since":
		return c.waitingSince
	case "snoozed_until":
		return c.snoozedUntil
	case "source.author.id":
		return c.source.author.ID
	case "source.author.email":
		return c.source.author.Email
	case "source.author.name":
		return c.source.author.Name
	case "source.author.type":
		return c.source.author.Type
	case "source.body":
		return c.source.body
	case "source.subject":
		return c.source.subject
	case "source.delivered_as":
		return c.source.deliveredAs
	case "source.id":
		return c.source.id
	case "contact_ids":
		return c.contactIDs
	case "tag_ids":
		return []string{}
	}
	return nil
}

func (s *Server) handleSearchConversations(r *http.Request) (any, error) {
	data, herr := readAll(r)
	if herr != nil {
		return nil, herr
	}
	req, herr := parseSearchRequest(data, conversationFieldType)
	if herr != nil {
		return nil, herr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var hits []hit[*conversation]
	for _, c := range s.st.convOrder {
		if !req.query.match(func(f string) any { return conversationField(c, f) }) {
			continue
		}
		var key any
		if req.sortField != "" {
			key = comparable(conversationField(c, req.sortField))
		}
		hits = append(hits, hit[*conversation]{item: c, key: key, seq: c.seq})
	}
	got, next := pageOf(req, hits)
	out := conversationList{Type: "conversation.list", Conversations: make([]conversationJSON, 0, len(got)),
		TotalCount: len(hits), Pages: pages{Type: "pages", Page: req.page, PerPage: req.perPage, TotalPages: totalPages(len(hits), req.perPage)}}
	for _, c := range got {
		out.Conversations = append(out.Conversations, s.conversationJSON(c, nil))
	}
	if next != "" {
		out.Pages.Next = &pagesNext{Page: req.page + 1, StartingAfter: next}
	}
	return out, nil
}

// handleReply is POST /conversations/{id}/reply: an admin comment or note,
// or a contact's comment. The id may be "last" (the contact's latest).
func (s *Server) handleReply(r *http.Request) (any, error) {
	f, err := decodeFields(r)
	if err != nil {
		return nil, err
	}
	messageType, _ := f.str("message_type")
	typ, _ := f.str("type")
	adminID, _ := f.idString("admin_id")
	userID, _ := f.str("intercom_user_id")
	externalID, _ := f.idString("user_id")
	email, _ := f.str("email")
	body, _ := f.str("body")
	var attachments []string
	if raw, ok := f.m["attachment_urls"]; ok && json.Unmarshal(raw, &attachments) != nil {
		f.fail("attachment_urls", "a list of URLs")
	}
	if f.err != nil {
		return nil, f.err
	}
	if len(attachments) > 10 {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "attachment_urls accepts at most 10 URLs")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch typ {
	case "admin":
		if messageType != "comment" && messageType != "note" {
			return nil, errf(http.StatusBadRequest, "parameter_invalid", "message_type must be comment or note")
		}
		a, herr := s.adminLocked(adminID)
		if herr != nil {
			return nil, herr
		}
		c, herr := s.conversationLocked(r.PathValue("id"))
		if herr != nil {
			return nil, herr
		}
		p := s.addPartLocked(c, &part{partType: messageType, body: ptr(body), author: a.author(), attachURLs: attachments})
		topic := "conversation.admin.replied"
		if messageType == "note" {
			topic = "conversation.admin.noted"
		} else {
			c.waitingSince = nil
		}
		s.emitLocked(topic, s.conversationJSON(c, []*part{p}))
		return s.conversationJSON(c, c.parts), nil
	case "user", "lead", "contact":
		if messageType != "comment" {
			return nil, errf(http.StatusBadRequest, "parameter_invalid", "message_type must be comment")
		}
		ct := s.findContactLocked(userID, externalID, email)
		if ct == nil {
			return nil, errf(http.StatusNotFound, "not_found", "User Not Found")
		}
		id := r.PathValue("id")
		if id == "last" {
			id = s.lastConversationLocked(ct)
		}
		c, herr := s.conversationLocked(id)
		if herr != nil {
			return nil, herr
		}
		s.userReplyLocked(c, ct, body, attachments)
		return s.conversationJSON(c, c.parts), nil
	default:
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "type must be admin or user")
	}
}

// userReplyLocked adds a contact's comment, reopening the conversation;
// it fires conversation.user.replied.
func (s *Server) userReplyLocked(c *conversation, ct *contact, body string, attachments []string) {
	p := s.addPartLocked(c, &part{partType: "comment", body: ptr(body), author: contactAuthor(ct), attachURLs: attachments})
	if c.state != "open" {
		c.state, c.snoozedUntil = "open", nil
	}
	if c.waitingSince == nil {
		c.waitingSince = ptr(p.createdAt)
	}
	ct.lastReplied = ptr(p.createdAt)
	s.emitLocked("conversation.user.replied", s.conversationJSON(c, []*part{p}))
}

func (s *Server) findContactLocked(id, externalID, email string) *contact {
	if id != "" {
		if c := s.st.contacts[id]; c != nil && !c.deleted {
			return c
		}
		return nil
	}
	var set map[*contact]struct{}
	if externalID != "" {
		set = s.st.byExternalID[externalID]
	} else if email != "" {
		set = s.st.byEmail[strings.ToLower(email)]
	}
	var best *contact
	for c := range set {
		if !c.deleted && (best == nil || c.seq < best.seq) {
			best = c
		}
	}
	return best
}

func (s *Server) lastConversationLocked(ct *contact) string {
	for i := len(s.st.convOrder) - 1; i >= 0; i-- {
		c := s.st.convOrder[i]
		for _, id := range c.contactIDs {
			if id == ct.id {
				return c.id
			}
		}
	}
	return ""
}

// handleManage is POST /conversations/{id}/parts: close, open, snooze or
// assign.
func (s *Server) handleManage(r *http.Request) (any, error) {
	f, err := decodeFields(r)
	if err != nil {
		return nil, err
	}
	messageType, _ := f.str("message_type")
	adminID, _ := f.idString("admin_id")
	body, _ := f.str("body")
	assignee, _ := f.idString("assignee_id")
	snoozed, _, _ := f.integer("snoozed_until")
	if f.err != nil {
		return nil, f.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, herr := s.adminLocked(adminID)
	if herr != nil {
		return nil, herr
	}
	c, herr := s.conversationLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	if herr := s.manageLocked(c, a, messageType, body, assignee, snoozed); herr != nil {
		return nil, herr
	}
	return s.conversationJSON(c, c.parts), nil
}

// manageLocked applies an admin action and fires its topic.
func (s *Server) manageLocked(c *conversation, a *admin, messageType, body, assignee string, snoozedUntil int64) *httpError {
	var bodyPtr *string
	if body != "" {
		bodyPtr = ptr(body)
	}
	var topic string
	p := &part{body: bodyPtr, author: a.author()}
	switch messageType {
	case "close":
		p.partType, c.state, c.snoozedUntil, c.waitingSince = "close", "closed", nil, nil
		topic = "conversation.admin.closed"
	case "open":
		p.partType, c.state, c.snoozedUntil = "open", "open", nil
		topic = "conversation.admin.opened"
	case "snoozed":
		if snoozedUntil <= s.now().Unix() {
			return errf(http.StatusBadRequest, "parameter_invalid", "snoozed_until must be a Unix timestamp in the future")
		}
		p.partType, c.state, c.snoozedUntil = "snoozed", "snoozed", ptr(snoozedUntil)
		topic = "conversation.admin.snoozed"
	case "assignment":
		id, err := strconv.ParseInt(assignee, 10, 64)
		if err != nil {
			return errf(http.StatusBadRequest, "parameter_invalid", "assignee_id must be an admin or team id")
		}
		ref, herr := s.assignLocked(c, id)
		if herr != nil {
			return herr
		}
		p.partType, p.assignedTo = "assignment", ref
		topic = "conversation.admin.assigned"
	default:
		return errf(http.StatusBadRequest, "parameter_invalid", "message_type must be one of close, open, snoozed or assignment")
	}
	s.addPartLocked(c, p)
	s.emitLocked(topic, s.conversationJSON(c, []*part{p}))
	return nil
}

// assignLocked points the conversation at an admin or a team (0 unassigns).
func (s *Server) assignLocked(c *conversation, id int64) (map[string]any, *httpError) {
	key := strconv.FormatInt(id, 10)
	if id == 0 {
		c.adminAssignee = nil
		return map[string]any{"type": "nobody_admin", "id": "0"}, nil
	}
	if s.st.adminByID[key] != nil {
		c.adminAssignee = ptr(id)
		return map[string]any{"type": "admin", "id": key}, nil
	}
	for _, t := range s.st.teams {
		if t.ID == key {
			c.teamAssignee = ptr(id)
			return map[string]any{"type": "team", "id": key}, nil
		}
	}
	return nil, errf(http.StatusNotFound, "admin_not_found", "Admin or team %d not found", id)
}
