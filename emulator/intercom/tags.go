package intercom

import (
	"net/http"
	"slices"
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
	return tagList(s.st.tags), nil
}

// tagList is Intercom's list of tags.
func tagList(tags []*tag) map[string]any {
	out := make([]map[string]any, 0, len(tags))
	for _, t := range tags {
		out = append(out, t.json())
	}
	return map[string]any{"type": "list", "data": out}
}

// emitContactTagLocked fires contact.{role}.tag.created or …deleted.
func (s *Server) emitContactTagLocked(c *contact, t *tag, action string) {
	s.emitLocked("contact."+c.role+".tag."+action, map[string]any{"type": "contact_tag", "created_at": s.now().Unix(),
		"tag": t.json(), "contact": s.contactJSON(c, false)})
}

// handleCreateTag is POST /tags {"name":…}: create or return by name.
func (s *Server) handleCreateTag(r *http.Request) (any, error) {
	f, err := decodeFields(r)
	if err != nil {
		return nil, err
	}
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
	var tags []*tag
	for _, id := range c.tagIDs {
		if t := s.st.tagByID[id]; t != nil {
			tags = append(tags, t)
		}
	}
	return tagList(tags), nil
}

func (s *Server) handleTagContact(r *http.Request) (any, error) {
	f, err := decodeFields(r)
	if err != nil {
		return nil, err
	}
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
	if !slices.Contains(c.tagIDs, tagID) {
		c.tagIDs = append(c.tagIDs, tagID)
		s.emitContactTagLocked(c, t, "created")
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
	if t == nil || !slices.Contains(c.tagIDs, tagID) {
		return nil, errf(http.StatusNotFound, "tag_not_found", "Tag not found")
	}
	c.tagIDs = without(c.tagIDs, tagID)
	s.emitContactTagLocked(c, t, "deleted")
	return t.json(), nil
}
