package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/store"
)

// signInForm signs in through the UI's form and returns the session cookie.
func (b *bundle) signInForm(t *testing.T) string {
	t.Helper()
	form := url.Values{"token": {adminToken}, "next": {"/errors"}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, b.url+"/signin", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.url)
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/errors" {
		t.Fatalf("sign-in answered %d to %q, want 303 to /errors", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, c := range resp.Cookies() {
		if c.Name == "ferry_session" {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("session cookie %+v: want HttpOnly and SameSite=Lax", c)
			}
			return c.Name + "=" + c.Value
		}
	}
	t.Fatal("sign-in set no session cookie")
	return ""
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestUISessionAndCSRF: every page is behind the session, and a form that
// changes something is refused without the session's token or from
// another origin (issue 13).
func TestUISessionAndCSRF(t *testing.T) {
	t.Parallel()
	b := setup(t)
	form := "application/x-www-form-urlencoded"

	t.Run("signed-out visitor is sent to sign-in", func(t *testing.T) {
		for _, path := range []string{"/", "/errors", "/mappings", "/history?q=a@b.example", "/usage", "/settings", "/connect", "/reviews"} {
			res := b.do(t, http.MethodGet, path, "", "")
			if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/signin?next=") {
				t.Errorf("GET %s signed out: %d to %q, want 303 to /signin?next=…", path, res.status, res.header.Get("Location"))
			}
		}
		res := b.do(t, http.MethodPost, "/errors/retry", "", "csrf=x", "Content-Type", form)
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/signin") {
			t.Errorf("POST signed out: %d to %q, want 303 to sign-in", res.status, res.header.Get("Location"))
		}
	})

	t.Run("wrong token is refused", func(t *testing.T) {
		res := b.do(t, http.MethodPost, "/signin", "", "token=nope", "Content-Type", form, "Origin", b.url)
		if res.status != http.StatusUnauthorized || !strings.Contains(string(res.body), "wrong admin token") {
			t.Errorf("wrong token: %d %s", res.status, res.body)
		}
	})

	cookie := b.signInForm(t)
	page := b.do(t, http.MethodGet, "/errors", "", "", "Cookie", cookie)
	if page.status != http.StatusOK {
		t.Fatalf("errors page: %d %s", page.status, page.body)
	}
	m := csrfField.FindStringSubmatch(string(page.body))
	if m == nil {
		t.Fatalf("the errors page has no CSRF field: %s", page.body)
	}
	token := m[1]

	for _, tc := range []struct {
		name   string
		body   string
		origin string
		want   int
	}{
		{"without the token", "", b.url, http.StatusForbidden},
		{"with a wrong token", "csrf=forged", b.url, http.StatusForbidden},
		{"from another origin", "csrf=" + url.QueryEscape(token), "https://evil.example", http.StatusForbidden},
		{"with the token from ferry's own page", "csrf=" + url.QueryEscape(token), b.url, http.StatusSeeOther},
	} {
		t.Run("retry all "+tc.name, func(t *testing.T) {
			res := b.do(t, http.MethodPost, "/errors/retry", "", tc.body, "Content-Type", form, "Cookie", cookie, "Origin", tc.origin)
			if res.status != tc.want {
				t.Errorf("POST /errors/retry %s: %d, want %d: %s", tc.name, res.status, tc.want, res.body)
			}
		})
	}

	t.Run("sign-in from another site is refused", func(t *testing.T) {
		res := b.do(t, http.MethodPost, "/signin", "", "token="+adminToken, "Content-Type", form, "Origin", "https://evil.example")
		if res.status != http.StatusForbidden {
			t.Errorf("cross-site sign-in: %d, want 403", res.status)
		}
	})

	t.Run("sign-out ends the session", func(t *testing.T) {
		res := b.do(t, http.MethodPost, "/signout", "", "csrf="+url.QueryEscape(token), "Content-Type", form, "Cookie", cookie, "Origin", b.url)
		if res.status != http.StatusSeeOther {
			t.Fatalf("sign-out: %d %s", res.status, res.body)
		}
		res = b.do(t, http.MethodGet, "/errors", "", "", "Cookie", cookie)
		if res.status != http.StatusSeeOther {
			t.Errorf("the old cookie after sign-out: %d, want 303 to sign-in", res.status)
		}
	})
}

// TestUIPagesRender: every page answers for a signed-in admin, with its
// empty state before any sync, and the one-click sign-in link works.
func TestUIPagesRender(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.do(t, http.MethodGet, "/signin/link?token="+adminToken, "", "")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" {
		t.Fatalf("sign-in link: %d to %q", res.status, res.header.Get("Location"))
	}
	cookie := strings.Split(res.header.Get("Set-Cookie"), ";")[0]
	for _, tc := range []struct{ path, want string }{
		{"/", "Not connected yet"},
		{"/connect", "Connect Salesforce (production)"},
		{"/mappings", "No mappings for Leads yet"},
		{"/errors", "No open sync errors"},
		{"/reviews", "Nothing to review"},
		{"/history", "Search for a person or company"},
		{"/history?q=nobody@example.com", "No synced record has the email nobody@example.com"},
		{"/usage", "No Salesforce calls in the last 30 days yet"},
		{"/settings", "Poll Salesforce for changes every"},
	} {
		res := b.do(t, http.MethodGet, tc.path, "", "", "Cookie", cookie)
		if res.status != http.StatusOK || !strings.Contains(string(res.body), tc.want) {
			t.Errorf("GET %s: %d, want 200 containing %q:\n%s", tc.path, res.status, tc.want, res.body)
		}
	}
}

// TestUIShowsAPIPause: while Salesforce refuses calls (the org's API limit,
// API access off) the overview and connect pages show the state with its
// cause in words and what to do, not "Not connected yet" (issue 8 item 5).
func TestUIShowsAPIPause(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		state store.ConnectionState
		cause string
		label string
	}{
		{store.StateAPILimitReached, store.CauseAPILimitReached, "Salesforce API limit reached"},
		{store.StateAPIDisabled, store.CauseAPIDisabled, "Salesforce API access off"},
	} {
		t.Run(string(tc.state), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			if err := b.store.InTx(t.Context(), func(tx store.Tx) error {
				return tx.UpdateConnectionState(t.Context(), b.connID, tc.state, tc.cause)
			}); err != nil {
				t.Fatal(err)
			}
			res := b.do(t, http.MethodGet, "/signin/link?token="+adminToken, "", "")
			cookie := strings.Split(res.header.Get("Set-Cookie"), ";")[0]
			banner := html.EscapeString(connection.CauseMessage(tc.cause))
			for _, path := range []string{"/", "/connect"} {
				res := b.do(t, http.MethodGet, path, "", "", "Cookie", cookie)
				body := string(res.body)
				if res.status != http.StatusOK || !strings.Contains(body, tc.label) || !strings.Contains(body, banner) {
					t.Errorf("GET %s: %d, want the state %q and the banner text:\n%s", path, res.status, tc.label, body)
				}
				if strings.Contains(body, "Not connected yet") {
					t.Errorf("GET %s calls a paused connection not connected yet", path)
				}
			}
		})
	}
}

// TestUISyncErrorsNameThePerson: the sync errors list and an error's page
// name the record by the person's email when the mapping was matched by
// it, and by its Intercom id otherwise (issue 13).
func TestUISyncErrorsNameThePerson(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	var byEmail int64
	if err := b.store.InTx(ctx, func(tx store.Tx) error {
		for _, m := range []store.Mapping{
			{ConnectionID: b.connID, Kind: store.MappingPerson, IntercomID: "ic-ann", IntercomRole: store.RoleUser,
				SFObject: store.ObjectContact, SFID: "003000000000000AAA", MatchKey: "ann@example.com"},
			{ConnectionID: b.connID, Kind: store.MappingPerson, IntercomID: "ic-ext", IntercomRole: store.RoleUser,
				SFObject: store.ObjectContact, SFID: "003000000000000BBB", MatchKey: "E-1042"},
		} {
			if _, err := tx.UpsertMapping(ctx, m); err != nil {
				return err
			}
		}
		for _, rec := range []string{"ic-ann", "ic-ext", "ic-unmapped"} {
			e, err := tx.UpsertSyncError(ctx, store.SyncError{ConnectionID: b.connID, Object: "Contact", RecordID: rec,
				Operation: "update_salesforce", Code: "STRING_TOO_LONG", Message: "too long", Details: `{}`, RequestBody: `{}`})
			if err != nil {
				return err
			}
			if rec == "ic-ann" {
				byEmail = e.ID
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	res := b.do(t, http.MethodGet, "/signin/link?token="+adminToken, "", "")
	cookie := strings.Split(res.header.Get("Set-Cookie"), ";")[0]
	list := string(b.do(t, http.MethodGet, "/errors", "", "", "Cookie", cookie).body)
	for _, want := range []string{`title="ic-ann">ann@example.com</a>`, `title="ic-ext">ic-ext</a>`, `title="ic-unmapped">ic-unmapped</a>`} {
		if !strings.Contains(list, want) {
			t.Errorf("the sync errors list lacks %s:\n%s", want, list)
		}
	}
	one := string(b.do(t, http.MethodGet, "/errors/"+strconv.FormatInt(byEmail, 10), "", "", "Cookie", cookie).body)
	if !strings.Contains(one, ">ann@example.com</a> (ic-ann)") {
		t.Errorf("the sync error's page does not name ann@example.com:\n%s", one)
	}
}
