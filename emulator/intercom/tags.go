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

func (s *Server) handleListTags(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []map[string]any{}
	for _, t := range s.st.tags {
		out = append(out, t.json())
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "list", "data": out})
}

// handleCreateTag is POST /tags {"name":…}: create or return by name.
func (s *Server) handleCreateTag(w http.ResponseWriter, r *http.Request) {
	m, err := decodeObject(r)
	if err != nil {
		respond(w, nil, err)
		return
	}
	f := &fields{m: m}
	name, _ := f.str("name")
	if f.err != nil {
		writeHTTPError(w, f.err)
		return
	}
	if strings.TrimSpace(name) == "" {
		writeError(w, http.StatusBadRequest, "parameter_not_found", "name is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.tagLocked(name).json())
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

func (s *Server) handleContactTags(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, herr := s.liveContactLocked(r.PathValue("id"))
	if herr != nil {
		writeHTTPError(w, herr)
		return
	}
	out := []map[string]any{}
	for _, id := range c.tagIDs {
		if t := s.st.tagByID[id]; t != nil {
			out = append(out, t.json())
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "list", "data": out})
}

func (s *Server) handleTagContact(w http.ResponseWriter, r *http.Request) {
	m, err := decodeObject(r)
	if err != nil {
		respond(w, nil, err)
		return
	}
	f := &fields{m: m}
	tagID, _ := f.idString("id")
	if f.err != nil {
		writeHTTPError(w, f.err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.liveContactLocked(r.PathValue("id"))
	if herr != nil {
		writeHTTPError(w, herr)
		return
	}
	t := s.st.tagByID[tagID]
	if t == nil {
		writeError(w, http.StatusNotFound, "tag_not_found", "Tag not found")
		return
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
	writeJSON(w, http.StatusOK, t.json())
}

func (s *Server) handleUntagContact(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.liveContactLocked(r.PathValue("id"))
	if herr != nil {
		writeHTTPError(w, herr)
		return
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
		writeError(w, http.StatusNotFound, "tag_not_found", "Tag not found")
		return
	}
	c.tagIDs = append(c.tagIDs[:idx:idx], c.tagIDs[idx+1:]...)
	s.emitLocked("contact."+c.role+".tag.deleted", map[string]any{"type": "contact_tag", "created_at": s.now().Unix(),
		"tag": t.json(), "contact": s.contactJSON(c, false)})
	writeJSON(w, http.StatusOK, t.json())
}
