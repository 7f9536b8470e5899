package intercom

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// event is a data event tracked against a contact.
type event struct {
	id        string
	name      string
	createdAt int64
	metadata  map[string]any
}

// handleCreateEvent is POST /events: 202 with an empty body.
func (s *Server) handleCreateEvent(w http.ResponseWriter, r *http.Request) {
	if err := s.createEvent(r); err != nil {
		respond(w, nil, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// createEvent records a data event; duplicates (same contact, name and
// created_at) are silently ignored.
func (s *Server) createEvent(r *http.Request) error {
	f, err := decodeFields(r)
	if err != nil {
		return err
	}
	name, _ := f.str("event_name")
	createdAt, createdSet, _ := f.integer("created_at")
	id, _ := f.str("id")
	userID, _ := f.idString("user_id")
	email, _ := f.str("email")
	metadata, _ := f.object("metadata")
	if f.err != nil {
		return f.err
	}
	if name == "" || !createdSet {
		return errf(http.StatusBadRequest, "parameter_not_found", "event_name and created_at are required")
	}
	if id == "" && userID == "" && email == "" {
		return errf(http.StatusBadRequest, "parameter_not_found", "one of id, user_id or email is required")
	}
	if len(metadata) > 10 {
		return errf(http.StatusBadRequest, "parameter_invalid", "metadata accepts at most 10 keys")
	}
	for k, v := range metadata {
		nested := false
		switch x := v.(type) {
		case []any:
			nested = true
		case map[string]any:
			_, isRichLink := x["url"] // Intercom's one allowed object: {"url":…,"value":…}
			nested = !isRichLink
		}
		if nested {
			return errf(http.StatusBadRequest, "parameter_invalid", "metadata '%s' cannot be nested JSON", k)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findContactLocked(id, userID, email)
	if c == nil {
		return errf(http.StatusNotFound, "not_found", "User Not Found")
	}
	key := c.id + "\x00" + name + "\x00" + strconv.FormatInt(createdAt, 10)
	if !s.st.eventKeys[key] {
		s.st.eventKeys[key] = true
		s.st.events[c.id] = append(s.st.events[c.id], &event{id: newUUID(), name: name, createdAt: createdAt, metadata: metadata})
	}
	return nil
}

// handleListEvents is GET /events?type=user&intercom_user_id=|user_id=|email=.
func (s *Server) handleListEvents(r *http.Request) (any, error) {
	q := r.URL.Query()
	if q.Get("type") != "user" {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "type must be user")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.findContactLocked(q.Get("intercom_user_id"), q.Get("user_id"), q.Get("email"))
	if c == nil {
		return nil, errf(http.StatusNotFound, "not_found", "User Not Found")
	}
	out := []map[string]any{}
	for _, e := range s.st.events[c.id] {
		md := e.metadata
		if md == nil {
			md = map[string]any{}
		}
		out = append(out, map[string]any{"type": "event", "id": e.id, "event_name": e.name, "created_at": e.createdAt,
			"user_id": c.externalID, "intercom_user_id": c.id, "email": c.email, "metadata": md})
	}
	if q.Get("summary") == "true" {
		counts := map[string]int{}
		for _, e := range s.st.events[c.id] {
			counts[strings.ToLower(e.name)]++
		}
		sum := []map[string]any{}
		for n, k := range counts {
			sum = append(sum, map[string]any{"name": n, "count": k})
		}
		return map[string]any{"type": "event.summary", "email": c.email, "intercom_user_id": c.id,
			"user_id": c.externalID, "events": sum}, nil
	}
	raw, _ := json.Marshal(out)
	return map[string]any{"type": "event.list", "events": json.RawMessage(raw),
		"pages": map[string]any{"next": nil}}, nil
}
