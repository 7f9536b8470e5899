package intercom

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// The control surface (/__emulator/…) does what the Messenger or the inbox
// UI would do, plus test knobs. It needs no authentication. Each endpoint
// has a Go method of the same meaning for in-process tests.

// Usage is what the emulator has served and sent.
type Usage struct {
	APICalls       int64 `json:"api_calls"`       // authorized REST calls
	WebhooksSent   int64 `json:"webhooks_sent"`   // deliveries answered 2xx
	WebhooksFailed int64 `json:"webhooks_failed"` // deliveries given up on (after the retry, on 410, or dropped on a full queue)
}

// Usage reports API calls and webhook deliveries so far.
func (s *Server) Usage() Usage {
	return Usage{APICalls: s.calls.Load(), WebhooksSent: s.hooks.sent.Load(), WebhooksFailed: s.hooks.failed.Load()}
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if byAdmin == "" {
		byAdmin = s.st.ownAdminID
	}
	a := s.st.adminByID[byAdmin]
	if a == nil {
		return fmt.Errorf("intercom: assign: admin %s not found", byAdmin)
	}
	c, herr := s.conversationLocked(conversationID)
	if herr != nil {
		return fmt.Errorf("intercom: assign: %w", herr)
	}
	if herr := s.manageLocked(c, a, "assignment", "", strconv.FormatInt(assigneeID, 10), 0); herr != nil {
		return fmt.Errorf("intercom: assign: %w", herr)
	}
	return nil
}

func (s *Server) controlRoutes() {
	m := s.mux
	m.HandleFunc("POST /__emulator/contacts", func(w http.ResponseWriter, r *http.Request) {
		var attrs map[string]any
		if !decodeControl(w, r, &attrs) {
			return
		}
		id, err := s.MessengerCreateContact(attrs)
		s.controlResult(w, err, func() any { return s.contactByID(id) })
	})
	m.HandleFunc("POST /__emulator/contacts/{id}/attributes", func(w http.ResponseWriter, r *http.Request) {
		var attrs map[string]any
		if !decodeControl(w, r, &attrs) {
			return
		}
		err := s.MessengerUpdateContact(r.PathValue("id"), attrs)
		s.controlResult(w, err, func() any { return s.contactByID(r.PathValue("id")) })
	})
	m.HandleFunc("POST /__emulator/contacts/{id}/owner", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			OwnerID *int64 `json:"owner_id"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		var owner int64
		if body.OwnerID != nil {
			owner = *body.OwnerID
		}
		err := s.SetContactOwner(r.PathValue("id"), owner)
		s.controlResult(w, err, func() any { return s.contactByID(r.PathValue("id")) })
	})
	m.HandleFunc("POST /__emulator/conversations", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			ContactID string `json:"contact_id"`
			Body      string `json:"body"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		id, err := s.StartConversation(body.ContactID, body.Body)
		s.controlResult(w, err, func() any { return s.conversationByID(id) })
	})
	m.HandleFunc("POST /__emulator/conversations/{id}/reply", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Body string `json:"body"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		err := s.UserReply(r.PathValue("id"), body.Body)
		s.controlResult(w, err, func() any { return s.conversationByID(r.PathValue("id")) })
	})
	m.HandleFunc("POST /__emulator/conversations/{id}/assign", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			AssigneeID json.Number `json:"assignee_id"`
			AdminID    string      `json:"admin_id"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		id, _ := body.AssigneeID.Int64()
		err := s.AssignConversation(r.PathValue("id"), id, body.AdminID)
		s.controlResult(w, err, func() any { return s.conversationByID(r.PathValue("id")) })
	})
	m.HandleFunc("POST /__emulator/tokens/revoke", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Token string `json:"token"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		writeJSON(w, http.StatusOK, map[string]bool{"revoked": s.RevokeToken(body.Token)})
	})
	m.HandleFunc("POST /__emulator/rate-limit", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			PerMinute int `json:"per_minute"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		if body.PerMinute < 1 {
			writeError(w, http.StatusBadRequest, "parameter_invalid", "per_minute must be a positive integer")
			return
		}
		s.SetRateLimit(body.PerMinute)
		writeJSON(w, http.StatusOK, map[string]int{"per_minute": body.PerMinute, "per_10_seconds": max(body.PerMinute/6, 1)})
	})
	m.HandleFunc("POST /__emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if !decodeControl(w, r, &f) {
			return
		}
		if f.ErrorRate < 0 || f.ErrorRate > 1 || f.LatencyMS < 0 || (f.ErrorStatus != 0 && (f.ErrorStatus < 400 || f.ErrorStatus > 599)) {
			writeError(w, http.StatusBadRequest, "parameter_invalid", "error_rate must be in [0,1], latency_ms >= 0, error_status 4xx or 5xx")
			return
		}
		s.SetFaults(f)
		writeJSON(w, http.StatusOK, f)
	})
	m.HandleFunc("POST /__emulator/webhooks", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			URL string `json:"url"`
		}
		if !decodeControl(w, r, &body) {
			return
		}
		if body.URL == "" {
			writeError(w, http.StatusBadRequest, "parameter_not_found", "url is required")
			return
		}
		s.AddWebhook(body.URL)
		writeJSON(w, http.StatusOK, map[string]any{"subscriptions": s.hooks.subscribers()})
	})
	m.HandleFunc("POST /__emulator/webhooks/ping", func(w http.ResponseWriter, r *http.Request) {
		s.Ping()
		writeJSON(w, http.StatusOK, map[string]bool{"queued": true})
	})
	m.HandleFunc("GET /__emulator/usage", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Usage())
	})
}

func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := decodeInto(r, v); err != nil {
		respond(w, nil, err)
		return false
	}
	return true
}

// controlResult answers a control call: the error as an Intercom error
// body, else the affected object.
func (s *Server) controlResult(w http.ResponseWriter, err error, result func() any) {
	if err != nil {
		var he *httpError
		if asHTTPError(err, &he) {
			writeHTTPError(w, &httpError{status: he.status, apiError: apiError{Code: he.Code, Message: err.Error(), Field: he.Field}})
			return
		}
		writeError(w, http.StatusBadRequest, "parameter_invalid", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, result())
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
