package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferrysync/ferry/internal/salesforce"
)

// sandboxLoginURL is where sandbox orgs sign in.
const sandboxLoginURL = "https://test.salesforce.com"

// connectSalesforce starts the OAuth web-server flow (F1.1):
// GET /connect/salesforce?connection=ID[&sandbox=1|&login_url=https://X.my.salesforce.com][&redirect_to=/path].
// It redirects the browser to Salesforce's authorize page with a signed,
// single-use state and a PKCE challenge.
func (s *Server) connectSalesforce(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if s.manager.OAuth().ClientID == "" || s.manager.OAuth().ClientSecret == "" {
		writeError(w, http.StatusConflict, "not_configured",
			"Salesforce OAuth is not configured: set FERRY_SALESFORCE_CLIENT_ID and FERRY_SALESFORCE_CLIENT_SECRET to the connected app's consumer key and secret")
		return
	}
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	login, err := s.loginURL(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	to, err := redirectTarget(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	verifier := salesforce.GenerateVerifier()
	state, err := s.newState(ctx, w, providerSalesforce, conn.ID, verifier, login, to)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	cfg := s.salesforceApp(login)
	s.log.InfoContext(ctx, "salesforce connect started", "connection", conn.ID, "login_url", login)
	http.Redirect(w, r, cfg.AuthCodeURL(state, verifier), http.StatusFound)
}

// loginURL picks the Salesforce login host for a connect request: the
// configured one, the sandbox host, or a My Domain URL. Only Salesforce
// hosts (or the configured one) are accepted, because the code exchange
// sends the connected app's secret there.
func (s *Server) loginURL(r *http.Request) (string, error) {
	q := r.URL.Query()
	raw := q.Get("login_url")
	if v := q.Get("sandbox"); v != "" && v != "0" && v != "false" {
		if raw != "" {
			return "", badRequest("give either sandbox=1 or login_url, not both")
		}
		return sandboxLoginURL, nil
	}
	configured := s.manager.OAuth().LoginURL
	if configured == "" {
		configured = salesforce.DefaultLoginURL
	}
	if raw == "" {
		return configured, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return "", badRequest("login_url %q is not a login host such as https://mycompany.my.salesforce.com", raw)
	}
	clean := u.Scheme + "://" + u.Host
	host := strings.ToLower(u.Hostname())
	if clean == strings.TrimRight(configured, "/") {
		return clean, nil
	}
	if u.Scheme != "https" || !(strings.HasSuffix(host, ".salesforce.com") || strings.HasSuffix(host, ".force.com")) {
		return "", badRequest("login_url %q must be an https Salesforce host (login.salesforce.com, test.salesforce.com or a My Domain such as https://mycompany.my.salesforce.com)", raw)
	}
	return clean, nil
}

// salesforceApp is ferry's connected app talking to the given login host.
func (s *Server) salesforceApp(login string) *salesforce.Config {
	cfg := *s.manager.OAuth()
	cfg.LoginURL = login
	if cfg.RedirectURL == "" {
		cfg.RedirectURL = s.cfg.SalesforceCallbackURL()
	}
	return &cfg
}

// salesforceCallback finishes the flow: it checks and uses up the state,
// exchanges the code with the PKCE verifier at the same login host, reads
// the identity URL and stores the token, which marks the connection
// connected (F1.1, F1.3).
func (s *Server) salesforceCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	st, login, code, ok := s.callbackStart(w, r, providerSalesforce, "Salesforce")
	if !ok {
		return
	}
	app := s.salesforceApp(login)
	tok, err := app.Exchange(ctx, code, st.Verifier)
	if err != nil {
		var oe *salesforce.OAuthError
		if errors.As(err, &oe) && oe.Code == "invalid_grant" {
			s.metrics.oauth.WithLabelValues(providerSalesforce, "invalid_grant").Inc()
			s.oauthFail(w, r, http.StatusBadRequest, "invalid_grant",
				"Salesforce refused the authorization code: already used or expired. Start again from /connect/salesforce.")
			return
		}
		s.metrics.oauth.WithLabelValues(providerSalesforce, "exchange_failed").Inc()
		s.log.WarnContext(ctx, "salesforce code exchange failed", "connection", st.ConnectionID, "error", err)
		s.oauthFail(w, r, http.StatusBadGateway, "exchange_failed", "Salesforce did not complete the sign-in: "+err.Error())
		return
	}
	client := salesforce.NewClient(salesforce.StaticSource{Tok: tok}, salesforce.ClientOptions{HTTPClient: s.client, Logger: s.log})
	id, err := client.UserInfo(ctx)
	if err != nil {
		s.metrics.oauth.WithLabelValues(providerSalesforce, "identity_failed").Inc()
		s.log.WarnContext(ctx, "salesforce identity failed", "connection", st.ConnectionID, "error", err)
		s.oauthFail(w, r, http.StatusBadGateway, "identity_failed", "Salesforce issued a token but its identity URL failed: "+err.Error())
		return
	}
	conn, err := s.store.GetConnection(ctx, st.ConnectionID)
	if err != nil {
		s.connectionGone(w, r, providerSalesforce, st.ConnectionID, err)
		return
	}
	// Reconnecting must reach the same org: mixing two orgs' ids in one
	// connection's mappings would corrupt both sides.
	if conn.SalesforceOrgID != "" && id.OrgID != "" && !sameOrg(conn.SalesforceOrgID, id.OrgID) {
		s.metrics.oauth.WithLabelValues(providerSalesforce, "other_org").Inc()
		revoke := tok.RefreshToken
		if revoke == "" {
			revoke = tok.AccessToken
		}
		if err := app.Revoke(ctx, revoke); err != nil {
			s.log.WarnContext(ctx, "revoke token of the other org", "connection", st.ConnectionID, "error", err)
		}
		s.oauthFail(w, r, http.StatusConflict, "other_org", fmt.Sprintf(
			"This connection belongs to Salesforce org %s, but you signed in to org %s. Sign in to the same org, or add a new connection for the other org.",
			conn.SalesforceOrgID, id.OrgID))
		return
	}
	if err := s.manager.StoreSalesforceToken(ctx, st.ConnectionID, tok); err != nil {
		s.stateFailure(w, r, providerSalesforce, err)
		return
	}
	s.metrics.oauth.WithLabelValues(providerSalesforce, "connected").Inc()
	s.log.InfoContext(ctx, "salesforce connected", "connection", st.ConnectionID, "org", id.OrgID, "user", id.UserID, "instance", tok.InstanceURL)
	// The setup check runs at connect, so the connection shows at once
	// which fields ferry needs are missing; connecting succeeded either way.
	if _, err := s.app.SetupCheck(ctx, st.ConnectionID); err != nil {
		s.log.WarnContext(ctx, "setup check at connect", "connection", st.ConnectionID, "error", err)
	}
	finishFlow(w, r, st, providerSalesforce)
}

// sameOrg compares org ids, which come as 15 or 18 characters.
func sameOrg(a, b string) bool {
	if len(a) >= 15 && len(b) >= 15 {
		return a[:15] == b[:15]
	}
	return a == b
}
