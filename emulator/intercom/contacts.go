package intercom

import (
	"net/http"
)

// createContactLocked creates a contact from a checked input and fires
// contact.user.created or contact.lead.created.
func (s *Server) createContactLocked(in *contactInput) (*contact, *httpError) {
	role := "user"
	if in.role != nil {
		role = *in.role
	}
	if herr := s.checkContactLocked(nil, in, role); herr != nil {
		return nil, herr
	}
	now := s.now().Unix()
	c := &contact{role: role, createdAt: now}
	if role == "user" {
		c.signedUpAt = ptr(now)
	}
	s.applyContactLocked(c, in, now) // indexes c before it has an id; re-indexed below
	s.st.unindex(c)
	s.insertContactLocked(c)
	if role == "user" {
		// Real Intercom sends ISO-8601 strings here (see the reference's Caution).
		s.emitLocked("contact.user.created", s.contactJSON(c, true))
	} else {
		s.emitLocked("contact.lead.created", s.contactJSON(c, false))
	}
	return c, nil
}

// updateContactLocked applies in to c and fires the matching topics:
// contact.{role}.updated, contact.email.updated, contact.lead.signed_up,
// contact.lead.added_email.
func (s *Server) updateContactLocked(c *contact, in *contactInput) *httpError {
	role := c.role
	if in.role != nil {
		if c.role == "user" && *in.role == "lead" {
			return &httpError{status: 400, apiError: apiError{Code: "parameter_invalid", Message: "A user cannot be converted to a lead", Field: "role"}}
		}
		role = *in.role
	}
	if herr := s.checkContactLocked(c, in, role); herr != nil {
		return herr
	}
	oldRole, oldEmail := c.role, ""
	if c.email != nil {
		oldEmail = *c.email
	}
	s.applyContactLocked(c, in, s.now().Unix())
	if oldRole == "lead" && c.role == "user" && c.signedUpAt == nil {
		c.signedUpAt = ptr(c.updatedAt)
	}
	item := s.contactJSON(c, false)
	s.emitLocked("contact."+c.role+".updated", item)
	newEmail := ""
	if c.email != nil {
		newEmail = *c.email
	}
	if newEmail != oldEmail {
		s.emitLocked("contact.email.updated", item)
		if oldRole == "lead" && oldEmail == "" {
			s.emitLocked("contact.lead.added_email", item)
		}
	}
	if oldRole == "lead" && c.role == "user" {
		s.emitLocked("contact.lead.signed_up", item)
	}
	return nil
}

func (s *Server) handleCreateContact(r *http.Request) (any, error) {
	in, err := decodeInput(r, parseAPIContactInput)
	if err != nil {
		return nil, err
	}
	if in.email == nil && in.externalID == nil && in.role == nil {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "Please provide at least one of: email, external_id or role")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.createContactLocked(&in)
	if herr != nil {
		return nil, herr
	}
	return s.contactJSON(c, false), nil
}

func (s *Server) handleGetContact(r *http.Request) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, herr := s.liveContactLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	return s.contactJSON(c, false), nil
}

func (s *Server) handleUpdateContact(r *http.Request) (any, error) {
	in, err := decodeInput(r, parseAPIContactInput)
	if err != nil {
		return nil, err
	}
	c, herr := s.updateContact(r.PathValue("id"), &in)
	if herr != nil {
		return nil, herr
	}
	return c, nil
}

// updateContact applies in to the live contact id (see updateContactLocked)
// and returns what the contact now is.
func (s *Server) updateContact(id string, in *contactInput) (contactJSON, *httpError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.liveContactLocked(id)
	if herr != nil {
		return contactJSON{}, herr
	}
	if herr := s.updateContactLocked(c, in); herr != nil {
		return contactJSON{}, herr
	}
	return s.contactJSON(c, false), nil
}

func (s *Server) handleDeleteContact(r *http.Request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.liveContactLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	s.removeContactLocked(c)
	body := map[string]any{"id": c.id, "external_id": c.externalID, "type": "contact", "deleted": true}
	s.emitLocked("contact.deleted", body)
	return body, nil
}

func (s *Server) handleArchiveContact(archive bool) apiFunc {
	return func(r *http.Request) (any, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		c, herr := s.liveContactLocked(r.PathValue("id"))
		if herr != nil {
			return nil, herr
		}
		if c.archived != archive {
			c.archived = archive
			c.updatedAt = s.now().Unix()
			if archive {
				s.st.liveContacts--
				s.emitLocked("contact.archived", s.contactJSON(c, false))
			} else {
				s.st.liveContacts++
				s.emitLocked("contact.unarchive", s.contactJSON(c, false)) // Intercom's topic name, sic
			}
		}
		return map[string]any{"id": c.id, "external_id": c.externalID, "type": "contact", "archived": archive}, nil
	}
}

// handleMergeContacts merges a lead into a user: the user keeps its values
// and takes the lead's where it has none; the lead then 404s everywhere.
func (s *Server) handleMergeContacts(r *http.Request) (any, error) {
	f, err := decodeFields(r)
	if err != nil {
		return nil, err
	}
	from, _ := f.str("from")
	into, _ := f.str("into")
	if f.err != nil {
		return nil, f.err
	}
	if from == "" || into == "" {
		return nil, errf(http.StatusBadRequest, "parameter_not_found", "from and into are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	lead, herr := s.liveContactLocked(from)
	if herr != nil {
		return nil, herr
	}
	user, herr := s.liveContactLocked(into)
	if herr != nil {
		return nil, herr
	}
	if lead.role != "lead" {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "from must be a lead")
	}
	if user.role != "user" {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "into must be a user")
	}
	s.mergeLocked(lead, user)
	item := s.contactJSON(user, false)
	s.emitLocked("contact.merged", struct {
		contactJSON
		MergedFrom map[string]string `json:"merged_from"`
	}{item, map[string]string{"type": "contact", "id": lead.id}})
	return item, nil
}

func (s *Server) mergeLocked(lead, user *contact) {
	s.st.unindex(user)
	fill := func(dst **string, src *string) {
		if *dst == nil && src != nil {
			*dst = ptr(*src)
		}
	}
	fill(&user.email, lead.email)
	fill(&user.phone, lead.phone)
	fill(&user.name, lead.name)
	fill(&user.avatar, lead.avatar)
	if user.ownerID == nil && lead.ownerID != nil {
		user.ownerID = ptr(*lead.ownerID)
	}
	if user.location == (Location{}) {
		user.location = lead.location
	}
	if user.utm == (UTM{}) {
		user.utm = lead.utm
	}
	for k, v := range lead.custom {
		if _, ok := user.custom[k]; !ok {
			if user.custom == nil {
				user.custom = map[string]any{}
			}
			user.custom[k] = v
		}
	}
	for _, coID := range lead.companyIDs {
		s.attachLocked(user, coID)
	}
	for _, conv := range s.st.conversations {
		for i, id := range conv.contactIDs {
			if id == lead.id {
				conv.contactIDs[i] = user.id
			}
		}
	}
	s.st.events[user.id] = append(s.st.events[user.id], s.st.events[lead.id]...)
	delete(s.st.events, lead.id)
	user.updatedAt = s.now().Unix()
	s.st.index(user)
	s.removeContactLocked(lead)
}

// contactList is Intercom's contact list shape.
type contactList struct {
	Type       string        `json:"type"`
	Data       []contactJSON `json:"data"`
	TotalCount int           `json:"total_count"`
	Pages      pages         `json:"pages"`
}

func (s *Server) handleListContacts(r *http.Request) (any, error) {
	per, after, page, err := seqPageParams(r.URL.Query(), 50)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	got := s.contactsAfterLocked(after, per+1)
	out := contactList{Type: "list", Data: []contactJSON{}, TotalCount: s.st.liveContacts,
		Pages: pages{Type: "pages", Page: page, PerPage: per, TotalPages: totalPages(s.st.liveContacts, per)}}
	for i, c := range got {
		if i == per {
			last := got[per-1]
			out.Pages.Next = &pagesNext{Page: page + 1, StartingAfter: encodeCursor(last.seq, page)}
			break
		}
		out.Data = append(out.Data, s.contactJSON(c, false))
	}
	return out, nil
}

func (s *Server) handleAttachCompany(r *http.Request) (any, error) {
	f, err := decodeFields(r)
	if err != nil {
		return nil, err
	}
	coID, _ := f.idString("id")
	if f.err != nil {
		return nil, f.err
	}
	if coID == "" {
		return nil, errf(http.StatusBadRequest, "parameter_not_found", "company not specified")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.liveUserLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	co := s.st.companies[coID]
	if co == nil {
		return nil, errf(http.StatusNotFound, "company_not_found", "Company Not Found")
	}
	if len(c.companyIDs) >= 1000 {
		return nil, errf(http.StatusBadRequest, "contact_company_limit_exceeded", "Contact has reached the limit of 1000 companies")
	}
	if s.attachLocked(c, coID) {
		s.emitContactCompanyLocked("attached", c, co)
	}
	return s.companyJSON(co, false), nil
}

// emitContactCompanyLocked fires company.contact.attached or …detached.
func (s *Server) emitContactCompanyLocked(action string, c *contact, co *company) {
	s.emitLocked("company.contact."+action, map[string]any{"type": "contact_company",
		"company": s.companyJSON(co, false), "contact": s.contactJSON(c, false)})
}

// attachLocked links c and company coID; it reports whether that is new.
func (s *Server) attachLocked(c *contact, coID string) bool {
	co := s.st.companies[coID]
	if co == nil || co.contactIDs[c.id] {
		return false
	}
	co.contactIDs[c.id] = true
	c.companyIDs = append(c.companyIDs, coID)
	return true
}

func (s *Server) handleDetachCompany(r *http.Request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, herr := s.liveUserLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	coID := r.PathValue("company_id")
	co := s.st.companies[coID]
	if co == nil || !co.contactIDs[c.id] {
		return nil, errf(http.StatusNotFound, "company_not_found", "Company Not Found")
	}
	delete(co.contactIDs, c.id)
	c.companyIDs = without(c.companyIDs, coID)
	s.emitContactCompanyLocked("detached", c, co)
	return s.companyJSON(co, false), nil
}

// handleContactCompanies is GET /contacts/{id}/companies. The 2.11 spec
// contradicts itself (the example lists companies in "data", the schema
// requires "companies"), so both keys are sent; ?page=N pages as the
// official SDKs expect, an empty page ending the iteration.
func (s *Server) handleContactCompanies(r *http.Request) (any, error) {
	per, pg, err := pageParams(r.URL.Query(), 50)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, herr := s.liveContactLocked(r.PathValue("id"))
	if herr != nil {
		return nil, herr
	}
	var all []*company
	for _, id := range c.companyIDs {
		if co := s.st.companies[id]; co != nil {
			all = append(all, co)
		}
	}
	got, p := numberedPage(all, pg, per)
	data := make([]companyJSON, 0, len(got))
	for _, co := range got {
		data = append(data, s.companyJSON(co, false))
	}
	return map[string]any{"type": "list", "data": data, "companies": data,
		"total_count": len(all), "pages": p}, nil
}
