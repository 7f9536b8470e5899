package intercom

import (
	"net/http"
	"strconv"
	"strings"
)

// tag is a workspace tag.
type tag struct {
	id   string
	name string
}

func (t *tag) json() map[string]any {
	return map[string]any{"type": "tag", "id": t.id, "name": t.name}
}

func (s *Server) handleListTags(r *http.Request) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []map[string]any{}
	for _, t := range s.st.tags {
		out = append(out, t.json())
	}
	return map[string]any{"type": "list", "data": out}, nil
}

// handleCreateTag is POST /tags {"name":…}: create or return by name.
func (s *Server) handleCreateTag(r *http.Request) (any, error) {
	m, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	f := &fields{m: m}
	name, _ := f.str("name")
	if f.err != nil {
		return nil, f.err
	}
	if strings.TrimSpace(name) == "" {
		return nil, errf(http.StatusBadRequest, "parameter_not_found", "name is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tagLocked(name).json(), nil
}

func (s *Server) tagLocked(name string) *tag {
	for _, t := range s.st.tags {
		if strings.EqualFold(t.name, name) {
			return t
		}
	}
	s.st.nextTagID++
	t := &tag{id: strconv.FormatInt(s.st.nextTagID, 10), name: name}
	s.st.tags = append(s.st.tags, t)
	s.st.tagByID[t.id] = t
	return t
}

func (s *Server) handleContactTags(r *http.Request) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, herr := s.liveContactLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	out := []map[string]any{}
	for _, id := range c.tagIDs {
		if t := s.st.tagByID[id]; t != nil {
			out = append(out, t.json())
		}
	}
	return map[string]any{"type": "list", "data": out}, nil
}

func (s *Server) handleTagContact(r *http.Request) (any, error) {
	m, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	f := &fields{m: m}
	tagID, _ := f.idString("id")
	if f.err != nil {
		return nil, f.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.liveContactLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	t := s.st.tagByID[tagID]
	if t == nil {
		return nil, errf(http.StatusNotFound, "tag_not_found", "Tag not found")
	}
	found := false
	for _, id := range c.tagIDs {
		found = found || id == tagID
	}
	if !found {
		c.tagIDs = append(c.tagIDs, tagID)
		s.emitLocked("contact."+c.role+".tag.created", map[string]any{"type": "contact_tag", "created_at": s.now().Unix(),
			"tag": t.json(), "contact": s.contactJSON(c, false)})
	}
	return t.json(), nil
}

func (s *Server) handleUntagContact(r *http.Request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.liveContactLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	tagID := r.PathValue("tag_id")
	t := s.st.tagByID[tagID]
	idx := -1
	for i, id := range c.tagIDs {
		if id == tagID {
			idx = i
		}
	}
	if t == nil || idx < 0 {
		return nil, errf(http.StatusNotFound, "tag_not_found", "Tag not found")
	}
	c.tagIDs = append(c.tagIDs[:idx:idx], c.tagIDs[idx+1:]...)
	s.emitLocked("contact."+c.role+".tag.deleted", map[string]any{"type": "contact_tag", "created_at": s.now().Unix(),
		"tag": t.json(), "contact": s.contactJSON(c, false)})
	return t.json(), nil
}
