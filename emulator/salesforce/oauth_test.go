package salesforce_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/emulator/salesforce"
)

const redirectURI = "http://localhost:9999/oauth/callback"

// authorize runs GET /services/oauth2/authorize (auto-approve) and returns
// the code from the redirect.
func (b *bundle) authorize(extra url.Values) string {
	b.t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {testClient}, "redirect_uri": {redirectURI}, "state": {"xyz"}}
	for k, vs := range extra {
		q[k] = vs
	}
	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/services/oauth2/authorize?"+q.Encode(), nil)
	r := b.send(req)
	if r.Status != http.StatusFound {
		b.t.Fatalf("authorize: %d %s", r.Status, r.Body)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil {
		b.t.Fatal(err)
	}
	if got := loc.Query().Get("state"); got != "xyz" {
		b.t.Fatalf("state = %q, want xyz", got)
	}
	if !strings.HasPrefix(loc.String(), redirectURI+"?") {
		b.t.Fatalf("redirected to %s", loc)
	}
	return loc.Query().Get("code")
}

func (b *bundle) exchange(code string, extra url.Values) resp {
	b.t.Helper()
	vals := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {testClient}, "client_secret": {testSecret}, "redirect_uri": {redirectURI}}
	for k, vs := range extra {
		vals[k] = vs
	}
	return b.form("/services/oauth2/token", vals)
}

func (b *bundle) refresh(token string) resp {
	b.t.Helper()
	return b.form("/services/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}, "client_id": {testClient}, "client_secret": {testSecret}})
}

func wantOAuthError(t *testing.T, r resp, code, desc string) {
	t.Helper()
	if r.Status != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400: %s", r.Status, r.Body)
	}
	m := r.Obj(t)
	if m["error"] != code || (desc != "" && m["error_description"] != desc) {
		t.Fatalf("error = %v / %v, want %s / %s", m["error"], m["error_description"], code, desc)
	}
}

func TestOAuthAuthorizationCode(t *testing.T) {
	t.Parallel()
	b := setup(t)
	code := b.authorize(nil)
	r := b.exchange(code, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("exchange: %d %s", r.Status, r.Body)
	}
	tok := r.Obj(t)
	for _, k := range []string{"access_token", "refresh_token", "signature", "scope", "instance_url", "id", "token_type", "issued_at"} {
		if _, ok := tok[k].(string); !ok {
			t.Errorf("token response lacks string %q: %s", k, r.Body)
		}
	}
	if _, ok := tok["expires_in"]; ok {
		t.Error("token response has expires_in; Salesforce sends none")
	}
	if !strings.HasPrefix(tok["access_token"].(string), b.sf.OrgID()[:15]+"!") {
		t.Errorf("access token %q does not start with the org id", tok["access_token"])
	}
	if tok["instance_url"] != b.srv.URL {
		t.Errorf("instance_url = %v, want %s", tok["instance_url"], b.srv.URL)
	}
	wantID := b.srv.URL + "/id/" + b.sf.OrgID() + "/" + b.sf.LoginUserID()
	if tok["id"] != wantID {
		t.Errorf("id = %v, want %s", tok["id"], wantID)
	}
	if issued := tok["issued_at"].(string); issued != "1779310172000" {
		t.Errorf("issued_at = %s, want epoch ms of the clock", issued)
	}
	mac := hmac.New(sha256.New, []byte(testSecret))
	mac.Write([]byte(tok["id"].(string) + tok["issued_at"].(string)))
	if sig := base64.StdEncoding.EncodeToString(mac.Sum(nil)); tok["signature"] != sig {
		t.Errorf("signature = %v, want %s", tok["signature"], sig)
	}
	// The token works, and so does the identity URL.
	if r := b.doAs(tok["access_token"].(string), http.MethodGet, v+"/limits", nil); r.Status != http.StatusOK {
		t.Fatalf("limits with new token: %d %s", r.Status, r.Body)
	}
	req, _ := http.NewRequest(http.MethodGet, tok["id"].(string), nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	id := b.send(req)
	if id.Status != http.StatusOK || id.Obj(t)["username"] != testUser || id.Obj(t)["email"] != testUser {
		t.Fatalf("identity: %d %s", id.Status, id.Body)
	}

	t.Run("code is single use", func(t *testing.T) {
		wantOAuthError(t, b.exchange(code, nil), "invalid_grant", "")
	})
	t.Run("refresh", func(t *testing.T) {
		r := b.refresh(tok["refresh_token"].(string))
		if r.Status != http.StatusOK {
			t.Fatalf("refresh: %d %s", r.Status, r.Body)
		}
		m := r.Obj(t)
		if _, ok := m["refresh_token"]; ok {
			t.Error("refresh response carries a refresh_token; rotation is off")
		}
		if m["access_token"] == tok["access_token"] || m["access_token"] == "" {
			t.Error("refresh did not issue a new access token")
		}
	})
}

func TestOAuthErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name       string
		vals       url.Values
		code, desc string
	}{
		{"unsupported grant", url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}}, "unsupported_grant_type", "grant type not supported"},
		{"unknown client", url.Values{"grant_type": {"password"}, "client_id": {"nope"}, "client_secret": {testSecret}, "username": {testUser}, "password": {testPass}}, "invalid_client_id", "client identifier invalid"},
		{"wrong secret", url.Values{"grant_type": {"password"}, "client_id": {testClient}, "client_secret": {"bad"}, "username": {testUser}, "password": {testPass}}, "invalid_client", "invalid client credentials"},
		{"wrong password", url.Values{"grant_type": {"password"}, "client_id": {testClient}, "client_secret": {testSecret}, "username": {testUser}, "password": {"bad"}}, "invalid_grant", "authentication failure"},
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "client_id": {testClient}, "refresh_token": {"5Aep861nope"}}, "invalid_grant", "expired access/refresh token"},
		{"unknown code", url.Values{"grant_type": {"authorization_code"}, "client_id": {testClient}, "client_secret": {testSecret}, "code": {"aPrxnope"}, "redirect_uri": {redirectURI}}, "invalid_grant", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantOAuthError(t, b.form("/services/oauth2/token", tc.vals), tc.code, tc.desc)
		})
	}
	t.Run("redirect uri mismatch", func(t *testing.T) {
		t.Parallel()
		code := b.authorize(nil)
		wantOAuthError(t, b.exchange(code, url.Values{"redirect_uri": {"http://evil.example/cb"}}), "invalid_grant", "")
	})
	t.Run("expired code", func(t *testing.T) {
		b := setup(t) // its own clock
		code := b.authorize(nil)
		b.clock.Advance(16 * time.Minute)
		wantOAuthError(t, b.exchange(code, nil), "invalid_grant", "expired authorization code")
	})
}

func TestOAuthPKCE(t *testing.T) {
	t.Parallel()
	b := setup(t)
	verifier := "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more-entropy"
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	pkce := url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	t.Run("wrong verifier", func(t *testing.T) {
		t.Parallel()
		code := b.authorize(pkce)
		wantOAuthError(t, b.exchange(code, url.Values{"code_verifier": {"wrong"}}), "invalid_grant", "invalid code verifier")
	})
	t.Run("missing verifier", func(t *testing.T) {
		t.Parallel()
		code := b.authorize(pkce)
		wantOAuthError(t, b.exchange(code, nil), "invalid_grant", "invalid code verifier")
	})
	t.Run("right verifier without secret", func(t *testing.T) {
		t.Parallel()
		code := b.authorize(pkce)
		r := b.exchange(code, url.Values{"code_verifier": {verifier}, "client_secret": nil})
		if r.Status != http.StatusOK {
			t.Fatalf("exchange: %d %s", r.Status, r.Body)
		}
	})
}

func TestOAuthLoginForm(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *salesforce.Options) { o.AutoApprove = false })
	q := url.Values{"response_type": {"code"}, "client_id": {testClient}, "redirect_uri": {redirectURI}, "state": {"s1"}}
	req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/services/oauth2/authorize?"+q.Encode(), nil)
	page := b.send(req)
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), `<form method="POST"`) || !strings.Contains(string(page.Body), `name="password"`) {
		t.Fatalf("login page: %d %s", page.Status, page.Body)
	}
	post := func(user, pass, action string) resp {
		vals := url.Values{"username": {user}, "password": {pass}, "action": {action}}
		for k, vs := range q {
			vals[k] = vs
		}
		return b.form("/services/oauth2/authorize", vals)
	}
	t.Run("wrong password shows the form again", func(t *testing.T) {
		r := post(testUser, "nope", "allow")
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "check your username and password") {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("deny", func(t *testing.T) {
		r := post(testUser, testPass, "deny")
		loc, _ := url.Parse(r.Header.Get("Location"))
		if r.Status != http.StatusFound || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "s1" {
			t.Fatalf("got %d %s", r.Status, r.Header.Get("Location"))
		}
	})
	t.Run("allow", func(t *testing.T) {
		r := post(testUser, testPass, "allow")
		loc, _ := url.Parse(r.Header.Get("Location"))
		if r.Status != http.StatusFound || loc.Query().Get("code") == "" {
			t.Fatalf("got %d %s", r.Status, r.Header.Get("Location"))
		}
		if ex := b.exchange(loc.Query().Get("code"), nil); ex.Status != http.StatusOK {
			t.Fatalf("exchange: %d %s", ex.Status, ex.Body)
		}
	})
	t.Run("bad client id", func(t *testing.T) {
		bad := url.Values{"response_type": {"code"}, "client_id": {"nope"}, "redirect_uri": {redirectURI}}
		req, _ := http.NewRequest(http.MethodGet, b.srv.URL+"/services/oauth2/authorize?"+bad.Encode(), nil)
		if r := b.send(req); r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "invalid_client_id") {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
}

func TestOAuthSixthApprovalRevokesOldest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var refresh, access []string
	for i := 0; i < 6; i++ {
		m := b.exchange(b.authorize(nil), nil).Obj(t)
		refresh = append(refresh, m["refresh_token"].(string))
		access = append(access, m["access_token"].(string))
	}
	wantOAuthError(t, b.refresh(refresh[0]), "invalid_grant", "expired access/refresh token")
	if r := b.doAs(access[0], http.MethodGet, v+"/limits", nil); r.Status != http.StatusUnauthorized || r.ErrorCode(t) != "INVALID_SESSION_ID" {
		t.Fatalf("oldest access token: %d %s", r.Status, r.Body)
	}
	for i := 1; i < 6; i++ {
		if r := b.refresh(refresh[i]); r.Status != http.StatusOK {
			t.Fatalf("refresh token %d: %d %s", i, r.Status, r.Body)
		}
	}
}

func TestOAuthRevoke(t *testing.T) {
	t.Parallel()
	b := setup(t)
	m := b.exchange(b.authorize(nil), nil).Obj(t)
	rt, at := m["refresh_token"].(string), m["access_token"].(string)
	if r := b.form("/services/oauth2/revoke", url.Values{"token": {rt}}); r.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	r := b.doAs(at, http.MethodGet, v+"/limits", nil)
	if r.Status != http.StatusUnauthorized || r.ErrorCode(t) != "INVALID_SESSION_ID" {
		t.Fatalf("after revoke: %d %s", r.Status, r.Body)
	}
	if msg := r.JSON(t).([]any)[0].(map[string]any)["message"]; msg != "Session expired or invalid" {
		t.Errorf("message = %v", msg)
	}
	wantOAuthError(t, b.refresh(rt), "invalid_grant", "expired access/refresh token")
	if r := b.form("/services/oauth2/revoke", url.Values{"token": {rt}}); r.Status != http.StatusBadRequest || r.Obj(t)["error"] != "invalid_token" {
		t.Fatalf("second revoke: %d %s", r.Status, r.Body)
	}
}

func TestSessionTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if r := b.do(http.MethodGet, v+"/limits", nil); r.Status != http.StatusOK {
		t.Fatalf("fresh token: %d", r.Status)
	}
	b.clock.Advance(2*time.Hour + time.Second)
	if r := b.do(http.MethodGet, v+"/limits", nil); r.Status != http.StatusUnauthorized || r.ErrorCode(t) != "INVALID_SESSION_ID" {
		t.Fatalf("after 2h: %d %s", r.Status, r.Body)
	}
	if r := b.doAs("", http.MethodGet, v+"/limits", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", r.Status)
	}
}
