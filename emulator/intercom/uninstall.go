package intercom

import (
	"net/http"
	"strings"
)

// handleUninstall is POST /auth/uninstall: Intercom's documented way for
// an app to uninstall itself from a workspace, which revokes the access
// token it is called with. Later calls with that token answer 401.
func (s *Server) handleUninstall(r *http.Request) (any, error) {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.RevokeToken(strings.TrimSpace(tok))
	s.log.Info("intercom: app uninstalled, token revoked", "token", tokenHint(tok))
	return map[string]any{}, nil
}

// SetCompaniesEnabled switches the workspace's company feature on or off
// (Intercom's Settings > Workspace > General). While it is off, the
// company endpoints (and a contact's companies) answer 403.
func (s *Server) SetCompaniesEnabled(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.companiesOff = !on
}

// companyFeature guards a company endpoint: with the company feature off
// the workspace refuses it as a feature its plan and settings do not
// provide (403 api_plan_restricted, the code Intercom documents for 403).
func (s *Server) companyFeature(h apiFunc) apiFunc {
	return func(r *http.Request) (any, error) {
		s.mu.RLock()
		off := s.st.companiesOff
		s.mu.RUnlock()
		if off {
			return nil, errf(http.StatusForbidden, "api_plan_restricted", "Companies are not enabled for this workspace")
		}
		return h(r)
	}
}
