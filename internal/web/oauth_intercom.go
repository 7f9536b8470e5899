package web

import (
	"fmt"
	"net/http"

	"github.com/ferrysync/ferry/internal/intercom"
)

// connectIntercom starts the Intercom OAuth flow (F1.2):
// GET /connect/intercom?connection=ID[&redirect_to=/path].
func (s *Server) connectIntercom(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if s.cfg.Intercom.ClientID == "" || s.cfg.Intercom.ClientSecret == "" {
		writeError(w, http.StatusConflict, "not_configured",
			"Intercom OAuth is not configured: set FERRY_INTERCOM_CLIENT_ID and FERRY_INTERCOM_CLIENT_SECRET, or give an access token in FERRY_INTERCOM_TOKEN")
		return
	}
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	to, err := redirectTarget(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	state, err := s.newState(ctx, w, providerIntercom, conn.ID, "", "", to)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "intercom connect started", "connection", conn.ID)
	http.Redirect(w, r, intercom.AuthorizeURL(s.cfg.Intercom.OAuthURL, s.cfg.Intercom.ClientID, state, s.cfg.IntercomCallbackURL()), http.StatusFound)
}

// intercomCallback finishes the flow: state, code exchange, GET /me for the
// workspace id, then the token is stored (encrypted by the store).
func (s *Server) intercomCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st, _, code, ok := s.callbackStart(w, r, providerIntercom, "Intercom")
	if !ok {
		return
	}
	app := intercom.New(intercom.Config{BaseURL: s.cfg.Intercom.URL, ClientID: s.cfg.Intercom.ClientID,
		ClientSecret: s.cfg.Intercom.ClientSecret, HTTPClient: s.client, Logger: s.log})
	token, err := app.ExchangeCode(ctx, code)
	if err != nil {
		if intercom.IsUnauthorized(err) {
			s.metrics.oauth.WithLabelValues(providerIntercom, "invalid_grant").Inc()
			s.oauthFail(w, r, http.StatusBadRequest, "invalid_grant",
				"Intercom refused the authorization code: already used or expired. Start again from /connect/intercom.")
			return
		}
		s.metrics.oauth.WithLabelValues(providerIntercom, "exchange_failed").Inc()
		s.log.WarnContext(ctx, "intercom code exchange failed", "connection", st.ConnectionID, "error", err)
		s.oauthFail(w, r, http.StatusBadGateway, "exchange_failed", "Intercom did not complete the sign-in: "+err.Error())
		return
	}
	me, err := intercom.New(intercom.Config{BaseURL: s.cfg.Intercom.URL, Token: token, HTTPClient: s.client, Logger: s.log}).Me(ctx)
	if err != nil || me.App == nil || me.App.IDCode == "" {
		if err == nil {
			err = fmt.Errorf("GET /me named no workspace")
		}
		s.metrics.oauth.WithLabelValues(providerIntercom, "identity_failed").Inc()
		s.log.WarnContext(ctx, "intercom /me failed", "connection", st.ConnectionID, "error", err)
		s.oauthFail(w, r, http.StatusBadGateway, "identity_failed", "Intercom issued a token but ferry could not read its workspace: "+err.Error())
		return
	}
	conn, err := s.store.GetConnection(ctx, st.ConnectionID)
	if err != nil {
		s.connectionGone(w, r, providerIntercom, st.ConnectionID, err)
		return
	}
	if conn.IntercomWorkspaceID != "" && conn.IntercomWorkspaceID != me.App.IDCode {
		s.metrics.oauth.WithLabelValues(providerIntercom, "other_workspace").Inc()
		s.oauthFail(w, r, http.StatusConflict, "other_workspace", fmt.Sprintf(
			"This connection belongs to Intercom workspace %s, but you authorized workspace %s. Authorize the same workspace, or add a new connection for the other one.",
			conn.IntercomWorkspaceID, me.App.IDCode))
		return
	}
	if err := s.manager.StoreIntercomToken(ctx, st.ConnectionID, token, me.App.IDCode); err != nil {
		s.stateFailure(w, r, providerIntercom, err)
		return
	}
	s.metrics.oauth.WithLabelValues(providerIntercom, "connected").Inc()
	s.log.InfoContext(ctx, "intercom connected", "connection", st.ConnectionID, "workspace", me.App.IDCode)
	finishFlow(w, r, st, providerIntercom)
}
