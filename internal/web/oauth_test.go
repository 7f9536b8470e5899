package web_test

import (
	"bytes"
	"database/sql"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

func TestSalesforceConnect(t *testing.T) {
	t.Parallel()

	t.Run("end to end", func(t *testing.T) {
		t.Parallel()
		dbURL := storetest.SQLiteURL(t)
		b := setupOn(t, dbURL)

		res := b.admin(t, http.MethodGet, "/connect/salesforce?connection="+itoa(b.connID), "")
		if res.status != http.StatusFound {
			t.Fatalf("connect: status %d: %s", res.status, res.body)
		}
		auth, err := url.Parse(res.header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		q := auth.Query()
		if !strings.HasPrefix(auth.String(), b.sfURL+"/services/oauth2/authorize") || q.Get("code_challenge_method") != "S256" ||
			q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("redirect_uri") != b.cfg.SalesforceCallbackURL() {
			t.Fatalf("authorize URL %s lacks PKCE, state or the callback", auth)
		}

		b.connectSalesforce(t, b.connID)
		c := b.connection(t, b.connID)
		if c.SalesforceOrgID != b.sf.OrgID() || c.SalesforceInstanceURL == "" {
			t.Fatalf("connection identity = %q %q, want org %q", c.SalesforceOrgID, c.SalesforceInstanceURL, b.sf.OrgID())
		}
		// Intercom is not connected yet: the connection waits.
		if c.State != store.StatePending {
			t.Fatalf("state %q, want pending until Intercom is connected", c.State)
		}
		cred, err := b.store.GetCredential(t.Context(), b.connID, store.CredentialSalesforce)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cred.SalesforceToken()
		if err != nil || tok.RefreshToken == "" || tok.AccessToken == "" {
			t.Fatalf("stored token lacks refresh or access token (err %v)", err)
		}
		assertSealed(t, dbURL, tok.RefreshToken, tok.AccessToken)

		// The stored token works for API calls.
		sf, err := b.manager.Salesforce(t.Context(), b.connID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sf.Describe(t.Context(), "Lead"); err != nil {
			t.Fatalf("describe with the stored token: %v", err)
		}

		b.connectIntercomToken(t, b.connID)
		got := b.admin(t, http.MethodGet, "/api/v1/connections/"+itoa(b.connID), "").json(t)
		if got["state"] != "connected" {
			t.Fatalf("connection = %v, want connected", got)
		}
		sfv := got["salesforce"].(map[string]any)
		if sfv["has_credentials"] != true || sfv["org_id"] != b.sf.OrgID() {
			t.Fatalf("salesforce side = %v", sfv)
		}
		if bytes.Contains(b.admin(t, http.MethodGet, "/api/v1/connections", "").body, []byte(tok.RefreshToken)) {
			t.Fatal("the API shows the refresh token")
		}
	})

	t.Run("tampered state is rejected and nothing stored", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cb := b.authorize(t, "/connect/salesforce?connection="+itoa(b.connID))
		state := cb.Query().Get("state")
		for name, bad := range map[string]string{
			"flipped nonce":     flip(state, 3),
			"flipped signature": flip(state, len(state)-3),
			"truncated":         state[:len(state)-10],
			"made up":           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa..",
		} {
			q := cb.Query()
			q.Set("state", bad)
			u := *cb
			u.RawQuery = q.Encode()
			res := b.do(t, http.MethodGet, u.String(), "", "", "Accept", "application/json")
			if res.status != http.StatusBadRequest || res.errorCode(t) != "invalid_state" {
				t.Errorf("%s: status %d %s, want 400 invalid_state", name, res.status, res.body)
			}
		}
		if _, err := b.store.GetCredential(t.Context(), b.connID, store.CredentialSalesforce); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("credential after tampered callbacks: %v, want none", err)
		}
		// The genuine state was not used up by the forgeries.
		if res := b.do(t, http.MethodGet, cb.String(), "", ""); res.status != http.StatusSeeOther {
			t.Fatalf("genuine callback: status %d: %s", res.status, res.body)
		}
	})

	t.Run("replayed state", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cb := b.authorize(t, "/connect/salesforce?connection="+itoa(b.connID))
		if res := b.do(t, http.MethodGet, cb.String(), "", ""); res.status != http.StatusSeeOther {
			t.Fatalf("first callback: %d %s", res.status, res.body)
		}
		res := b.do(t, http.MethodGet, cb.String(), "", "")
		if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), "already used") {
			t.Fatalf("replayed callback: status %d %s, want 400 already used", res.status, res.body)
		}
		if !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
			t.Fatalf("browser gets %q, want an HTML page", res.header.Get("Content-Type"))
		}
	})

	t.Run("replayed code", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		first := b.authorize(t, "/connect/salesforce?connection="+itoa(b.connID))
		if res := b.do(t, http.MethodGet, first.String(), "", ""); res.status != http.StatusSeeOther {
			t.Fatalf("first callback: %d %s", res.status, res.body)
		}
		before, err := b.store.GetCredential(t.Context(), b.connID, store.CredentialSalesforce)
		if err != nil {
			t.Fatal(err)
		}
		// A fresh, valid state carrying the already used code.
		second := b.authorize(t, "/connect/salesforce?connection="+itoa(b.connID))
		q := second.Query()
		q.Set("code", first.Query().Get("code"))
		second.RawQuery = q.Encode()
		res := b.do(t, http.MethodGet, second.String(), "", "", "Accept", "application/json")
		if res.status != http.StatusBadRequest || res.errorCode(t) != "invalid_grant" {
			t.Fatalf("replayed code: status %d %s, want 400 invalid_grant", res.status, res.body)
		}
		after, err := b.store.GetCredential(t.Context(), b.connID, store.CredentialSalesforce)
		if err != nil || !bytes.Equal(before.Data, after.Data) {
			t.Fatalf("credential changed by a failed callback (err %v)", err)
		}
	})

	t.Run("access denied", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cb := b.authorize(t, "/connect/salesforce?connection="+itoa(b.connID))
		q := url.Values{"state": {cb.Query().Get("state")}, "error": {"access_denied"}, "error_description": {"end-user denied authorization"}}
		res := b.do(t, http.MethodGet, "/oauth/salesforce/callback?"+q.Encode(), "", "", "Accept", "application/json")
		if res.status != http.StatusBadRequest || res.errorCode(t) != "access_denied" || !strings.Contains(string(res.body), "end-user denied") {
			t.Fatalf("denied: status %d %s", res.status, res.body)
		}
	})

	t.Run("revoked refresh token disconnects with cause", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.connectSalesforce(t, b.connID)
		b.connectIntercomToken(t, b.connID)
		b.sf.RevokeAllTokens()
		sf, err := b.manager.Salesforce(t.Context(), b.connID)
		if err != nil {
			t.Fatal(err)
		}
		// Not a describe: the setup check at connect cached those.
		if _, err := sf.DescribeGlobal(t.Context()); err == nil {
			t.Fatal("a call with revoked tokens succeeded")
		}
		got := b.admin(t, http.MethodGet, "/api/v1/connections/"+itoa(b.connID), "").json(t)
		if got["state"] != "disconnected" || got["cause"] != store.CauseTokenRevoked ||
			got["cause_message"] != connection.CauseMessage(store.CauseTokenRevoked) {
			t.Fatalf("connection = %v, want disconnected with token_revoked", got)
		}
		// Reconnecting resumes.
		b.connectSalesforce(t, b.connID)
		if c := b.connection(t, b.connID); c.State != store.StateConnected {
			t.Fatalf("after reconnect: %s %s", c.State, c.Cause)
		}
	})

	t.Run("login hosts", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, tc := range []struct {
			query    string
			status   int
			wantHost string
		}{
			{"", http.StatusFound, strings.TrimPrefix(b.sfURL, "http://")},
			{"&sandbox=1", http.StatusFound, "test.salesforce.com"},
			{"&login_url=https://acme.my.salesforce.com", http.StatusFound, "acme.my.salesforce.com"},
			{"&login_url=https://acme--uat.sandbox.my.salesforce.com/", http.StatusFound, "acme--uat.sandbox.my.salesforce.com"},
			{"&login_url=https://evil.example.com", http.StatusBadRequest, ""},
			{"&login_url=http://acme.my.salesforce.com", http.StatusBadRequest, ""},
			{"&login_url=https://acme.my.salesforce.com.evil.example", http.StatusBadRequest, ""},
			{"&login_url=https://acme.my.salesforce.com&sandbox=1", http.StatusBadRequest, ""},
			{"&redirect_to=https://evil.example/", http.StatusBadRequest, ""},
			{"&redirect_to=//evil.example/", http.StatusBadRequest, ""},
		} {
			res := b.admin(t, http.MethodGet, "/connect/salesforce?connection="+itoa(b.connID)+tc.query, "")
			if res.status != tc.status {
				t.Errorf("%q: status %d, want %d: %s", tc.query, res.status, tc.status, res.body)
				continue
			}
			if tc.wantHost != "" {
				loc, _ := url.Parse(res.header.Get("Location"))
				if loc.Host != tc.wantHost || loc.Path != "/services/oauth2/authorize" {
					t.Errorf("%q: redirected to %s, want host %s", tc.query, loc, tc.wantHost)
				}
			}
		}
	})

	t.Run("redirect_to after success", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cb := b.authorize(t, "/connect/salesforce?connection="+itoa(b.connID)+"&redirect_to=/ui/connections")
		res := b.do(t, http.MethodGet, cb.String(), "", "")
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/ui/connections" {
			t.Fatalf("callback: %d to %q", res.status, res.header.Get("Location"))
		}
	})

	t.Run("connection removed during the flow", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		res := b.admin(t, http.MethodPost, "/api/v1/connections", `{"name":"short-lived"}`)
		id := int64(res.json(t)["id"].(float64))
		cb := b.authorize(t, "/connect/salesforce?connection="+itoa(id))
		if res := b.admin(t, http.MethodPost, "/api/v1/connections/"+itoa(id)+"/disconnect", `{"purge":true}`); res.status != http.StatusOK {
			t.Fatalf("purge: %d", res.status)
		}
		// Purging removed the pending flow with the connection.
		res = b.do(t, http.MethodGet, cb.String(), "", "", "Accept", "application/json")
		if res.status != http.StatusBadRequest || res.errorCode(t) != "state_used" {
			t.Fatalf("callback for a purged connection: %d %s", res.status, res.body)
		}
		if _, err := b.store.GetCredential(t.Context(), id, store.CredentialSalesforce); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("credential of a purged connection: %v", err)
		}
	})

	t.Run("reconnecting must reach the same org", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		err := b.store.InTx(t.Context(), func(tx store.Tx) error {
			return tx.UpdateConnectionIdentity(t.Context(), b.connID, "", "00D000000000001AAA", "https://other.my.salesforce.com")
		})
		if err != nil {
			t.Fatal(err)
		}
		cb := b.authorize(t, "/connect/salesforce?connection="+itoa(b.connID))
		res := b.do(t, http.MethodGet, cb.String(), "", "", "Accept", "application/json")
		if res.status != http.StatusConflict || res.errorCode(t) != "other_org" {
			t.Fatalf("other org: %d %s", res.status, res.body)
		}
		if _, err := b.store.GetCredential(t.Context(), b.connID, store.CredentialSalesforce); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("credential for the wrong org: %v", err)
		}
		if c := b.connection(t, b.connID); c.SalesforceOrgID != "00D000000000001AAA" {
			t.Fatalf("org id overwritten: %s", c.SalesforceOrgID)
		}
	})

	t.Run("start needs the admin and a connection", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, tc := range []struct {
			token, query string
			status       int
		}{
			{"", "?connection=" + itoa(b.connID), http.StatusUnauthorized},
			{"wrong", "?connection=" + itoa(b.connID), http.StatusUnauthorized},
			{adminToken, "?connection=999", http.StatusNotFound},
			{adminToken, "?connection=abc", http.StatusBadRequest},
			{adminToken, "", http.StatusFound}, // the default connection
		} {
			res := b.do(t, http.MethodGet, "/connect/salesforce"+tc.query, tc.token, "")
			if res.status != tc.status {
				t.Errorf("token %q query %q: status %d, want %d", tc.token, tc.query, res.status, tc.status)
			}
		}
	})
}

func TestIntercomConnect(t *testing.T) {
	t.Parallel()

	t.Run("end to end", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cb := b.authorize(t, "/connect/intercom?connection="+itoa(b.connID))
		res := b.do(t, http.MethodGet, cb.String(), "", "")
		if res.status != http.StatusSeeOther {
			t.Fatalf("callback: %d %s", res.status, res.body)
		}
		c := b.connection(t, b.connID)
		if c.IntercomWorkspaceID != b.ic.AppID() {
			t.Fatalf("workspace %q, want %q", c.IntercomWorkspaceID, b.ic.AppID())
		}
		ic, err := b.manager.Intercom(t.Context(), b.connID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ic.Me(t.Context()); err != nil {
			t.Fatalf("the stored Intercom token does not work: %v", err)
		}
		// Replaying the callback fails on the used state.
		if res := b.do(t, http.MethodGet, cb.String(), "", ""); res.status != http.StatusBadRequest {
			t.Fatalf("replayed callback: %d", res.status)
		}
	})

	t.Run("replayed code", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		first := b.authorize(t, "/connect/intercom?connection="+itoa(b.connID))
		if res := b.do(t, http.MethodGet, first.String(), "", ""); res.status != http.StatusSeeOther {
			t.Fatalf("first callback: %d %s", res.status, res.body)
		}
		second := b.authorize(t, "/connect/intercom?connection="+itoa(b.connID))
		q := second.Query()
		q.Set("code", first.Query().Get("code"))
		second.RawQuery = q.Encode()
		res := b.do(t, http.MethodGet, second.String(), "", "", "Accept", "application/json")
		if res.status != http.StatusBadRequest || res.errorCode(t) != "invalid_grant" {
			t.Fatalf("replayed code: %d %s", res.status, res.body)
		}
	})

	t.Run("a state of one provider is refused by the other", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// The browser has a flow of each provider under way.
		b.authorize(t, "/connect/salesforce?connection="+itoa(b.connID))
		cb := b.authorize(t, "/connect/intercom?connection="+itoa(b.connID))
		u := b.url + "/oauth/salesforce/callback?" + cb.RawQuery
		res := b.do(t, http.MethodGet, u, "", "", "Accept", "application/json")
		if res.status != http.StatusBadRequest || res.errorCode(t) != "invalid_state" {
			t.Fatalf("cross-provider state: %d %s", res.status, res.body)
		}
	})

	t.Run("reconnecting must reach the same workspace", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		err := b.store.InTx(t.Context(), func(tx store.Tx) error {
			return tx.UpdateConnectionIdentity(t.Context(), b.connID, "otherapp", "", "")
		})
		if err != nil {
			t.Fatal(err)
		}
		cb := b.authorize(t, "/connect/intercom?connection="+itoa(b.connID))
		res := b.do(t, http.MethodGet, cb.String(), "", "", "Accept", "application/json")
		if res.status != http.StatusConflict || res.errorCode(t) != "other_workspace" {
			t.Fatalf("other workspace: %d %s", res.status, res.body)
		}
		if _, err := b.store.GetCredential(t.Context(), b.connID, store.CredentialIntercom); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("credential for the wrong workspace: %v", err)
		}
	})

	t.Run("tampered state", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cb := b.authorize(t, "/connect/intercom?connection="+itoa(b.connID))
		q := cb.Query()
		q.Set("state", flip(q.Get("state"), 5))
		cb.RawQuery = q.Encode()
		if res := b.do(t, http.MethodGet, cb.String(), "", ""); res.status != http.StatusBadRequest {
			t.Fatalf("tampered: %d", res.status)
		}
		if _, err := b.store.GetCredential(t.Context(), b.connID, store.CredentialIntercom); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("credential after tampered callback: %v", err)
		}
	})
}

// flip changes the character at i to a different base64url character.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

// assertSealed checks that the SQLite file holds the tokens only
// encrypted: the raw credential rows do not contain them.
func assertSealed(t *testing.T, dbURL string, secrets ...string) {
	t.Helper()
	_, path, err := store.ParseDatabaseURL(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT sealed FROM credentials`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var sealed []byte
		if err := rows.Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		n++
		for _, s := range secrets {
			if bytes.Contains(sealed, []byte(s)) {
				t.Fatal("a token is stored in plain text")
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no credential rows")
	}
}
