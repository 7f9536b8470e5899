package intercom

import "net/http"

// inboxRoutes registers the inbox's control surface and its page:
//
//	GET  /__emulator/inbox-app                            InboxAppConfig (secret left out)
//	POST /__emulator/inbox-app {"initialize_url","submit_url","client_secret","contact_key"}  SetInboxApp
//	POST /__emulator/inbox/conversations/{id}/open {"admin_id"}   OpenInboxApp
//	POST /__emulator/inbox/conversations/{id}/submit {"admin_id","component_id","input_values","stored_data","stale"}  ClickComponent
//	GET  /__emulator/inbox/conversations/{id}?admin_id=  InboxShown
//	GET  /__emulator/inbox                                the inbox page
//	POST /__emulator/inbox/submit                         the page's form (a component used)
func (s *Server) inboxRoutes() {
	m := s.mux
	m.HandleFunc("GET /__emulator/inbox-app", apiFunc(func(r *http.Request) (any, error) {
		app := s.InboxAppConfig()
		app.ClientSecret = ""
		return app, nil
	}).serve)
	m.HandleFunc("POST /__emulator/inbox-app", withBody(func(app InboxApp, r *http.Request) (any, error) {
		if app.InitializeURL == "" || app.SubmitURL == "" {
			return nil, errf(http.StatusBadRequest, "parameter_not_found", "initialize_url and submit_url are required")
		}
		if err := s.SetInboxApp(app); err != nil {
			return nil, errf(http.StatusBadRequest, "parameter_invalid", "%s", err.Error())
		}
		app.ClientSecret = ""
		return app, nil
	}))
	m.HandleFunc("POST /__emulator/inbox/conversations/{id}/open", withBody(func(body struct {
		AdminID string `json:"admin_id"`
	}, r *http.Request) (any, error) {
		v, err := s.OpenInboxApp(r.Context(), r.PathValue("id"), body.AdminID)
		return controlAnswer(err, func() any { return v })
	}))
	m.HandleFunc("POST /__emulator/inbox/conversations/{id}/submit", withBody(func(body struct {
		AdminID string `json:"admin_id"`
		InboxClick
	}, r *http.Request) (any, error) {
		v, err := s.ClickComponent(r.Context(), r.PathValue("id"), body.AdminID, body.InboxClick)
		return controlAnswer(err, func() any { return v })
	}))
	m.HandleFunc("GET /__emulator/inbox/conversations/{id}", apiFunc(func(r *http.Request) (any, error) {
		v, ok := s.InboxShown(r.PathValue("id"), r.URL.Query().Get("admin_id"))
		if !ok {
			return nil, errf(http.StatusNotFound, "not_found", "the app was not opened beside this conversation")
		}
		return v, nil
	}).serve)
	m.HandleFunc("GET /__emulator/inbox", s.handleInboxPage)
	m.HandleFunc("POST /__emulator/inbox/submit", s.handleInboxSubmit)
}
