package intercom_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/emulator/intercom"
)

func TestOAuth(t *testing.T) {
	t.Parallel()
	f := setup(t, func(o *intercom.Options) { o.Tokens = nil })
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	page, err := http.Get(f.url + "/oauth?client_id=" + testClient + "&state=s1&redirect_uri=" + url.QueryEscape("https://app.example/cb"))
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(string(html), "Authorize") || !strings.Contains(string(html), `method="post"`) {
		t.Fatalf("authorize page: %d %s", page.StatusCode, html)
	}

	resp, err := noRedirect.PostForm(f.url+"/oauth", url.Values{"client_id": {testClient}, "state": {"s1"},
		"redirect_uri": {"https://app.example/cb"}, "decision": {"authorize"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if resp.StatusCode != http.StatusFound || loc.Host != "app.example" || loc.Query().Get("state") != "s1" || code == "" {
		t.Fatalf("redirect: %d %s", resp.StatusCode, loc)
	}

	exchange := func(code, secret string) (int, map[string]any) {
		c, m, _ := f.callWith("POST", "/auth/eagle/token", map[string]string{"code": code, "client_id": testClient, "client_secret": secret}, nil)
		return c, m
	}
	if c, m := exchange(code, "wrong"); c != 401 || errorCode(t, m) != "unauthorized" {
		t.Errorf("wrong secret: %d %v", c, m)
	}
	status, tok := exchange(code, testSecret)
	if status != 200 || tok["token_type"] != "Bearer" || tok["token"] == "" || tok["token"] != tok["access_token"] {
		t.Fatalf("exchange: %d %v", status, tok)
	}
	if c, m := exchange(code, testSecret); c != 401 || str(m["errors"].([]any)[0].(map[string]any)["message"]) != "Unauthorized Code" {
		t.Errorf("reused code: %d %v", c, m)
	}
	c, me, _ := f.callWith("GET", "/me", nil, map[string]string{"Authorization": "Bearer " + str(tok["token"])})
	if c != 200 || me["type"] != "admin" {
		t.Errorf("/me with OAuth token: %d %v", c, me)
	}

	// The form-encoded exchange (as Intercom's Ruby sample sends it) works too.
	auto := setup(t, func(o *intercom.Options) { o.AutoApprove = true })
	r2, err := noRedirect.Get(auto.url + "/oauth?client_id=" + testClient + "&state=s2&redirect_uri=" + url.QueryEscape("http://127.0.0.1/cb"))
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	l2, _ := url.Parse(r2.Header.Get("Location"))
	form, err := http.PostForm(auto.url+"/auth/eagle/token", url.Values{"code": {l2.Query().Get("code")}, "client_id": {testClient}, "client_secret": {testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	form.Body.Close()
	if r2.StatusCode != http.StatusFound || form.StatusCode != 200 {
		t.Errorf("auto-approve: %d, form exchange: %d", r2.StatusCode, form.StatusCode)
	}
}
