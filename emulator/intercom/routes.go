package intercom

import "net/http"

// routes registers Intercom's REST paths (behind s.api) and the emulator's
// own surfaces.
func (s *Server) routes() {
	api := func(pattern string, h apiFunc) { s.mux.HandleFunc(pattern, s.api(h.serve)) }

	api("GET /me", s.handleMe)
	api("GET /admins", s.handleListAdmins)
	api("GET /admins/{id}", s.handleGetAdmin)
	api("GET /teams", s.handleListTeams)

	api("POST /contacts", s.handleCreateContact)
	api("GET /contacts", s.handleListContacts)
	api("POST /contacts/search", s.handleSearchContacts)
	api("POST /contacts/merge", s.handleMergeContacts)
	api("GET /contacts/{id}", s.handleGetContact)
	api("PUT /contacts/{id}", s.handleUpdateContact)
	api("DELETE /contacts/{id}", s.handleDeleteContact)
	api("POST /contacts/{id}/archive", s.handleArchiveContact(true))
	api("POST /contacts/{id}/unarchive", s.handleArchiveContact(false))
	api("GET /contacts/{id}/companies", s.companyFeature(s.handleContactCompanies))
	api("POST /contacts/{id}/companies", s.companyFeature(s.handleAttachCompany))
	api("DELETE /contacts/{id}/companies/{company_id}", s.companyFeature(s.handleDetachCompany))
	api("GET /contacts/{id}/tags", s.handleContactTags)
	api("POST /contacts/{id}/tags", s.handleTagContact)
	api("DELETE /contacts/{id}/tags/{tag_id}", s.handleUntagContact)

	api("POST /companies", s.companyFeature(s.handleUpsertCompany))
	api("GET /companies", s.companyFeature(s.handleListCompanies))
	api("POST /companies/list", s.companyFeature(s.handleListAllCompanies))
	api("GET /companies/scroll", s.companyFeature(s.handleScrollCompanies))
	api("GET /companies/{id}", s.companyFeature(s.handleGetCompany))
	api("PUT /companies/{id}", s.companyFeature(s.handleUpdateCompany))
	api("DELETE /companies/{id}", s.companyFeature(s.handleDeleteCompany))
	api("GET /companies/{id}/contacts", s.companyFeature(s.handleCompanyContacts))

	api("POST /conversations", s.handleCreateConversation)
	api("GET /conversations", s.handleListConversations)
	api("POST /conversations/search", s.handleSearchConversations)
	api("GET /conversations/{id}", s.handleGetConversation)
	api("POST /conversations/{id}/reply", s.handleReply)
	api("POST /conversations/{id}/parts", s.handleManage)
	api("POST /messages", s.handleCreateMessage)

	api("GET /data_attributes", s.handleListDataAttributes)
	api("POST /data_attributes", s.handleCreateDataAttribute)
	api("PUT /data_attributes/{id}", s.handleUpdateDataAttribute)

	s.mux.HandleFunc("POST /events", s.api(s.handleCreateEvent)) // 202, no body
	api("GET /events", s.handleListEvents)

	api("GET /tags", s.handleListTags)
	api("POST /tags", s.handleCreateTag)

	// OAuth lives on app.intercom.com and api.intercom.io; one host here.
	s.mux.HandleFunc("GET /oauth", s.handleAuthorizePage)
	s.mux.HandleFunc("POST /oauth", s.handleAuthorizeSubmit)
	s.mux.HandleFunc("POST /auth/eagle/token", s.handleToken)
	api("POST /auth/uninstall", s.handleUninstall)

	s.controlRoutes()
	s.inboxRoutes()

	// Anything else is Intercom's 404, in its error shape.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "Resource Not Found")
	})
}
