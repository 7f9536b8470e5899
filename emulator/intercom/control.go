package intercom

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The control surface (/__emulator/…) does what the Messenger or the inbox
// UI would do, plus test knobs. It needs no authentication. Each endpoint
// has a Go method of the same meaning for in-process tests.

// Usage is what the emulator has served and sent.
type Usage struct {
	APICalls       int64      `json:"api_calls"`       // authorized REST calls
	WebhooksSent   int64      `json:"webhooks_sent"`   // deliveries answered 2xx
	WebhooksFailed int64      `json:"webhooks_failed"` // deliveries given up on (after the retry, on 410, or dropped on a full queue)
	Inbox          InboxStats `json:"inbox"`           // Canvas Kit requests sent, canvases shown and refused
}

// Usage reports API calls and webhook deliveries so far.
func (s *Server) Usage() Usage {
	return Usage{APICalls: s.calls.Load(), WebhooksSent: s.hooks.sent.Load(), WebhooksFailed: s.hooks.failed.Load(),
		Inbox: s.InboxStats()}
}

func messengerInput(attrs map[string]any) (contactInput, *httpError) {
	raw, err := json.Marshal(attrs)
	if err != nil {
		return contactInput{}, errf(http.StatusBadRequest, "bad_request", "attributes are not JSON: %v", err)
	}
	var m map[string]json.RawMessage
	json.Unmarshal(raw, &m)
	return parseContactInput(&fields{m: m}, true)
}

// MessengerCreateContact creates a contact as if a visitor signed up in the
// Messenger (role "lead" unless attrs say "user"); it fires
// contact.lead.created or contact.user.created. attrs take the JSON field
// names of POST /contacts plus location and utm_*/referrer.
func (s *Server) MessengerCreateContact(attrs map[string]any) (string, error) {
	in, herr := messengerInput(attrs)
	if herr != nil {
		return "", fmt.Errorf("intercom: messenger create: %w", herr)
	}
	if in.role == nil {
		in.role = ptr("lead")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.createContactLocked(&in)
	if herr != nil {
		return "", fmt.Errorf("intercom: messenger create: %w", herr)
	}
	return c.id, nil
}

// MessengerUpdateContact changes a contact's attributes as the contact would
// from the Messenger: it fires contact.{role}.updated, contact.email.updated
// when the email changes and contact.lead.signed_up when a lead becomes a
// user.
func (s *Server) MessengerUpdateContact(id string, attrs map[string]any) error {
	in, herr := messengerInput(attrs)
	if herr != nil {
		return fmt.Errorf("intercom: messenger update: %w", herr)
	}
	if _, herr := s.updateContact(id, &in); herr != nil {
		return fmt.Errorf("intercom: messenger update %s: %w", id, herr)
	}
	return nil
}

// SetContactOwner changes a contact's owner as a teammate would in the
// inbox (0 clears it); it fires contact.{role}.updated.
func (s *Server) SetContactOwner(id string, ownerID int64) error {
	in := contactInput{ownerID: &ownerID}
	if ownerID == 0 {
		in = contactInput{ownerNull: true}
	}
	if _, herr := s.updateContact(id, &in); herr != nil {
		return fmt.Errorf("intercom: set owner of %s: %w", id, herr)
	}
	return nil
}

// AddTeammate adds a teammate (admin) to the workspace, as an owner
// inviting a colleague would, and returns its id.
func (s *Server) AddTeammate(name, email string) (string, error) {
	if strings.TrimSpace(name) == "" || !strings.Contains(email, "@") {
		return "", fmt.Errorf("intercom: add teammate: a name and an email are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.st.admins {
		if strings.EqualFold(a.Email, email) {
			return "", fmt.Errorf("intercom: add teammate: %s is already a teammate", email)
		}
	}
	s.st.nextAdminID++
	a := &admin{ID: strconv.FormatInt(992000000+s.st.nextAdminID, 10), Name: name, Email: email}
	s.addAdminLocked(a)
	return a.ID, nil
}

// SetTeammateEmail changes a teammate's email, as the teammate would in
// their profile.
func (s *Server) SetTeammateEmail(id, email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.adminByID[id]
	if a == nil {
		return fmt.Errorf("intercom: set teammate email: admin %s not found", id)
	}
	a.Email = email
	return nil
}

// StartConversation has a contact write in from the Messenger; it fires
// conversation.user.created and returns the conversation id.
func (s *Server) StartConversation(contactID, body string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.liveContactLocked(contactID)
	if herr != nil {
		return "", fmt.Errorf("intercom: start conversation: %w", herr)
	}
	return s.startConversationLocked(c, body).id, nil
}

// UserReply has the conversation's (first) contact reply; it fires
// conversation.user.replied.
func (s *Server) UserReply(conversationID, body string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.conversationLocked(conversationID)
	if herr != nil {
		return fmt.Errorf("intercom: user reply: %w", herr)
	}
	ct := s.st.contacts[c.contactIDs[0]]
	if ct == nil {
		return fmt.Errorf("intercom: user reply: conversation %s has no live contact", conversationID)
	}
	s.userReplyLocked(c, ct, body, nil)
	return nil
}

// AssignConversation assigns a conversation to an admin or team as a
// teammate would in the inbox (byAdmin "" means the app's own admin); it
// fires conversation.admin.assigned.
func (s *Server) AssignConversation(conversationID string, assigneeID int64, byAdmin string) error {
	return s.manageAs(conversationID, byAdmin, "assignment", strconv.FormatInt(assigneeID, 10))
}

// CloseConversation closes a conversation as a teammate would in the inbox
// (byAdmin "" means the app's own admin); it fires
// conversation.admin.closed.
func (s *Server) CloseConversation(conversationID, byAdmin string) error {
	return s.manageAs(conversationID, byAdmin, "close", "")
}

// ReopenConversation reopens a conversation as a teammate would; it fires
// conversation.admin.opened.
func (s *Server) ReopenConversation(conversationID, byAdmin string) error {
	return s.manageAs(conversationID, byAdmin, "open", "")
}

// manageAs applies a teammate's action (close, open, assignment) as
// POST /conversations/{id}/parts would.
func (s *Server) manageAs(conversationID, byAdmin, messageType, assignee string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if byAdmin == "" {
		byAdmin = s.st.ownAdminID
	}
	a := s.st.adminByID[byAdmin]
	if a == nil {
		return fmt.Errorf("intercom: %s: admin %s not found", messageType, byAdmin)
	}
	c, herr := s.conversationLocked(conversationID)
	if herr != nil {
		return fmt.Errorf("intercom: %s: %w", messageType, herr)
	}
	if herr := s.manageLocked(c, a, messageType, "", assignee, 0); herr != nil {
		return fmt.Errorf("intercom: %s: %w", messageType, herr)
	}
	return nil
}

func (s *Server) controlRoutes() {
	m := s.mux
	m.HandleFunc("POST /__emulator/contacts", withBody(func(attrs map[string]any, r *http.Request) (any, error) {
		id, err := s.MessengerCreateContact(attrs)
		return controlAnswer(err, func() any { return s.contactByID(id) })
	}))
	m.HandleFunc("POST /__emulator/contacts/{id}/attributes", withBody(func(attrs map[string]any, r *http.Request) (any, error) {
		err := s.MessengerUpdateContact(r.PathValue("id"), attrs)
		return controlAnswer(err, func() any { return s.contactByID(r.PathValue("id")) })
	}))
	m.HandleFunc("POST /__emulator/contacts/{id}/owner", withBody(func(body struct {
		OwnerID *int64 `json:"owner_id"`
	}, r *http.Request) (any, error) {
		var owner int64
		if body.OwnerID != nil {
			owner = *body.OwnerID
		}
		err := s.SetContactOwner(r.PathValue("id"), owner)
		return controlAnswer(err, func() any { return s.contactByID(r.PathValue("id")) })
	}))
	m.HandleFunc("POST /__emulator/admins", withBody(func(body struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}, r *http.Request) (any, error) {
		id, err := s.AddTeammate(body.Name, body.Email)
		return controlAnswer(err, func() any {
			s.mu.RLock()
			defer s.mu.RUnlock()
			return s.st.adminByID[id].json()
		})
	}))
	m.HandleFunc("POST /__emulator/conversations", withBody(func(body struct {
		ContactID string `json:"contact_id"`
		Body      string `json:"body"`
	}, r *http.Request) (any, error) {
		id, err := s.StartConversation(body.ContactID, body.Body)
		return controlAnswer(err, func() any { return s.conversationByID(id) })
	}))
	m.HandleFunc("POST /__emulator/conversations/{id}/reply", withBody(func(body struct {
		Body string `json:"body"`
	}, r *http.Request) (any, error) {
		err := s.UserReply(r.PathValue("id"), body.Body)
		return controlAnswer(err, func() any { return s.conversationByID(r.PathValue("id")) })
	}))
	m.HandleFunc("POST /__emulator/conversations/{id}/assign", withBody(func(body struct {
		AssigneeID json.Number `json:"assignee_id"`
		AdminID    string      `json:"admin_id"`
	}, r *http.Request) (any, error) {
		id, _ := body.AssigneeID.Int64()
		err := s.AssignConversation(r.PathValue("id"), id, body.AdminID)
		return controlAnswer(err, func() any { return s.conversationByID(r.PathValue("id")) })
	}))
	for path, fn := range map[string]func(string, string) error{"close": s.CloseConversation, "open": s.ReopenConversation} {
		m.HandleFunc("POST /__emulator/conversations/{id}/"+path, withBody(func(body struct {
			AdminID string `json:"admin_id"`
		}, r *http.Request) (any, error) {
			err := fn(r.PathValue("id"), body.AdminID)
			return controlAnswer(err, func() any { return s.conversationByID(r.PathValue("id")) })
		}))
	}
	m.HandleFunc("POST /__emulator/tokens/revoke", withBody(func(body struct {
		Token string `json:"token"`
	}, r *http.Request) (any, error) {
		return map[string]bool{"revoked": s.RevokeToken(body.Token)}, nil
	}))
	m.HandleFunc("POST /__emulator/companies/enabled", withBody(func(body struct {
		Enabled bool `json:"enabled"`
	}, r *http.Request) (any, error) {
		s.SetCompaniesEnabled(body.Enabled)
		return map[string]bool{"enabled": body.Enabled}, nil
	}))
	m.HandleFunc("POST /__emulator/rate-limit", withBody(func(body struct {
		PerMinute int `json:"per_minute"`
	}, r *http.Request) (any, error) {
		if body.PerMinute < 1 {
			return nil, errf(http.StatusBadRequest, "parameter_invalid", "per_minute must be a positive integer")
		}
		s.SetRateLimit(body.PerMinute)
		return map[string]int{"per_minute": body.PerMinute, "per_10_seconds": max(body.PerMinute/6, 1)}, nil
	}))
	m.HandleFunc("POST /__emulator/faults", withBody(func(f Faults, r *http.Request) (any, error) {
		if f.ErrorRate < 0 || f.ErrorRate > 1 || f.LatencyMS < 0 || (f.ErrorStatus != 0 && (f.ErrorStatus < 400 || f.ErrorStatus > 599)) {
			return nil, errf(http.StatusBadRequest, "parameter_invalid", "error_rate must be in [0,1], latency_ms >= 0, error_status 4xx or 5xx")
		}
		s.SetFaults(f)
		return f, nil
	}))
	m.HandleFunc("POST /__emulator/webhooks", withBody(func(body struct {
		URL string `json:"url"`
	}, r *http.Request) (any, error) {
		if body.URL == "" {
			return nil, errf(http.StatusBadRequest, "parameter_not_found", "url is required")
		}
		s.AddWebhook(body.URL)
		return map[string]any{"subscriptions": s.hooks.subscribers()}, nil
	}))
	m.HandleFunc("POST /__emulator/webhooks/ping", apiFunc(func(r *http.Request) (any, error) {
		s.Ping()
		return map[string]bool{"queued": true}, nil
	}).serve)
	m.HandleFunc("GET /__emulator/usage", apiFunc(func(r *http.Request) (any, error) {
		return s.Usage(), nil
	}).serve)
}

// withBody adapts fn to a handler that first decodes the JSON body into an
// In (an empty body leaves it zero) and answers as an apiFunc.
func withBody[In any](fn func(in In, r *http.Request) (any, error)) http.HandlerFunc {
	return apiFunc(func(r *http.Request) (any, error) {
		var in In
		if err := decodeInto(r, &in); err != nil {
			return nil, err
		}
		return fn(in, r)
	}).serve
}

// controlAnswer answers a control call: the error as an Intercom error body
// (a plain error as parameter_invalid), else the affected object.
func controlAnswer(err error, result func() any) (any, error) {
	if err == nil {
		return result(), nil
	}
	if he, ok := errors.AsType[*httpError](err); ok {
		return nil, &httpError{status: he.status, apiError: apiError{Code: he.Code, Message: err.Error(), Field: he.Field}}
	}
	return nil, errf(http.StatusBadRequest, "parameter_invalid", "%s", err.Error())
}

func (s *Server) contactByID(id string) any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c := s.st.contacts[id]; c != nil {
		return s.contactJSON(c, false)
	}
	return nil
}

func (s *Server) conversationByID(id string) any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c := s.st.conversations[id]; c != nil {
		return s.conversationJSON(c, c.parts)
	}
	return nil
}
