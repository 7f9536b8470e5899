package intercom_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	icemu "github.com/ferrysync/ferry/emulator/intercom"
	"github.com/ferrysync/ferry/internal/intercom"
)

const (
	testToken        = "tok_ferry_test"
	testClientID     = "ferry-test-client"
	testClientSecret = "ferry-test-secret"
)

// callLog records what the client reports through Config.OnCall.
type callLog struct {
	mu    sync.Mutex
	calls []intercom.CallInfo
}

func (l *callLog) add(ci intercom.CallInfo) {
	l.mu.Lock()
	l.calls = append(l.calls, ci)
	l.mu.Unlock()
}

func (l *callLog) statuses() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]int, len(l.calls))
	for i, c := range l.calls {
		out[i] = c.Status
	}
	return out
}

func (l *callLog) count(route string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.calls {
		if c.Route == route {
			n++
		}
	}
	return n
}

type clientBundle struct {
	emu    *icemu.Server
	srv    *httptest.Server
	client *intercom.Client
	calls  *callLog
}

// setup starts an emulator on loopback and a client pointed at it. opts
// and cfg may be zero; the bundle fills in tokens, URL and the call log.
func setup(t testing.TB, opts icemu.Options, cfg intercom.Config) *clientBundle {
	t.Helper()
	if opts.Seed == "" {
		opts.Seed = "empty"
	}
	opts.Tokens = append(opts.Tokens, testToken)
	if opts.ClientID == "" {
		opts.ClientID, opts.ClientSecret = testClientID, testClientSecret
	}
	emu := icemu.New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() { srv.Close(); emu.Close() })
	b := &clientBundle{emu: emu, srv: srv, calls: &callLog{}}
	cfg.BaseURL = srv.URL
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	cfg.HTTPClient = srv.Client()
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.ClientSecret = testClientID, testClientSecret
	}
	cfg.OnCall = b.calls.add
	b.client = intercom.New(cfg)
	return b
}

func mustNoErr(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func collect[T any](t testing.TB, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatalf("iterating: %v", err)
		}
		out = append(out, v)
	}
	return out
}

func TestClient_AdminsAndTeams(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{Seed: "demo"}, intercom.Config{})
	ctx := t.Context()

	me, err := b.client.Me(ctx)
	mustNoErr(t, err, "Me")
	if me.ID != b.emu.OwnAdminID() || me.App == nil || me.App.IDCode != b.emu.AppID() {
		t.Fatalf("Me = %+v (app %+v), want admin %s of app %s", me, me.App, b.emu.OwnAdminID(), b.emu.AppID())
	}

	admins, err := b.client.ListAdmins(ctx)
	mustNoErr(t, err, "ListAdmins")
	if len(admins) < 2 {
		t.Fatalf("ListAdmins: %d admins, want the demo teammates", len(admins))
	}
	for _, a := range admins {
		if a.ID == "" || a.Email == "" {
			t.Fatalf("admin without id or email: %+v", a)
		}
	}
	one, err := b.client.GetAdmin(ctx, admins[1].ID)
	mustNoErr(t, err, "GetAdmin")
	if one.Email != admins[1].Email {
		t.Fatalf("GetAdmin = %+v, want %+v", one, admins[1])
	}
	_, err = b.client.GetAdmin(ctx, "123")
	if !intercom.IsNotFound(err) {
		t.Fatalf("GetAdmin(unknown) = %v, want not found", err)
	}

	teams, err := b.client.ListTeams(ctx)
	mustNoErr(t, err, "ListTeams")
	if len(teams) == 0 || len(teams[0].AdminIDs) == 0 {
		t.Fatalf("ListTeams = %+v, want teams with admins", teams)
	}
}

func TestClient_ContactLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{}, intercom.Config{})
	ctx := t.Context()
	c := b.client

	_, err := c.CreateDataAttribute(ctx, intercom.DataAttributeInput{Name: "sf_id", Model: "contact", DataType: "string"})
	mustNoErr(t, err, "CreateDataAttribute sf_id")
	_, err = c.CreateDataAttribute(ctx, intercom.DataAttributeInput{Name: "seats", Model: "contact", DataType: "integer"})
	mustNoErr(t, err, "CreateDataAttribute seats")

	created, err := c.CreateContact(ctx, intercom.ContactInput{
		Role: intercom.Ptr(intercom.RoleUser), Email: intercom.Ptr("joe@bloggs.com"), Name: intercom.Ptr("Joe Bloggs"),
		ExternalID: intercom.Ptr("70"), Phone: intercom.Ptr("+353 1 555 0100"),
		CustomAttributes: map[string]any{"sf_id": "003xx000004TmiQ", "seats": 9007199254740993},
	})
	mustNoErr(t, err, "CreateContact")
	if created.ID == "" || created.Role != "user" || created.Email != "joe@bloggs.com" || created.ExternalID != "70" || created.CreatedAt.IsZero() {
		t.Fatalf("created contact = %+v", created)
	}

	got, err := c.GetContact(ctx, created.ID)
	mustNoErr(t, err, "GetContact")
	if got.Name != "Joe Bloggs" || got.CustomAttributes["sf_id"] != "003xx000004TmiQ" {
		t.Fatalf("GetContact = %+v", got)
	}
	// 2^53+1 survives only if numbers are decoded exactly.
	if n := fmt.Sprint(got.CustomAttributes["seats"]); n != "9007199254740993" {
		t.Fatalf("integer attribute came back as %s", n)
	}

	upd, err := c.UpdateContact(ctx, created.ID, intercom.ContactInput{Name: intercom.Ptr("Joseph Bloggs"),
		CustomAttributes: map[string]any{"sf_id": nil}})
	mustNoErr(t, err, "UpdateContact")
	if upd.Name != "Joseph Bloggs" || upd.Email != "joe@bloggs.com" || upd.CustomAttributes["sf_id"] != nil {
		t.Fatalf("UpdateContact = %+v", upd)
	}

	arch, err := c.ArchiveContact(ctx, created.ID)
	mustNoErr(t, err, "ArchiveContact")
	if !arch.Archived || arch.ID != created.ID {
		t.Fatalf("ArchiveContact = %+v", arch)
	}
	unarch, err := c.UnarchiveContact(ctx, created.ID)
	mustNoErr(t, err, "UnarchiveContact")
	if unarch.Archived {
		t.Fatalf("UnarchiveContact = %+v", unarch)
	}

	del, err := c.DeleteContact(ctx, created.ID)
	mustNoErr(t, err, "DeleteContact")
	if !del.Deleted || del.ID != created.ID {
		t.Fatalf("DeleteContact = %+v", del)
	}
	_, err = c.GetContact(ctx, created.ID)
	if !intercom.IsNotFound(err) {
		t.Fatalf("GetContact after delete = %v, want not found", err)
	}
	var ae *intercom.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Code == "" || ae.Message == "" {
		t.Fatalf("404 error not typed: %#v", err)
	}
}

func TestClient_ContactErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{}, intercom.Config{})
	ctx := t.Context()
	c := b.client

	first, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("user"), Email: intercom.Ptr("dup@x.com")})
	mustNoErr(t, err, "CreateContact")

	t.Run("DuplicateIsConflictWithExistingID", func(t *testing.T) {
		_, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("user"), Email: intercom.Ptr("dup@x.com")})
		id, ok := intercom.IsConflict(err)
		if !ok || id != first.ID {
			t.Fatalf("IsConflict(%v) = %q, %v; want %q", err, id, ok, first.ID)
		}
		if !errors.Is(err, intercom.ErrConflict) || intercom.IsRetryable(err) {
			t.Fatalf("conflict classification wrong: %v", err)
		}
	})
	t.Run("UndefinedCustomAttribute", func(t *testing.T) {
		_, err := c.UpdateContact(ctx, first.ID, intercom.ContactInput{CustomAttributes: map[string]any{"no_such_attr": "x"}})
		var ae *intercom.APIError
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
			t.Fatalf("undefined attribute: %v, want a 400", err)
		}
	})
	t.Run("UnknownContact", func(t *testing.T) {
		_, err := c.UpdateContact(ctx, "000000000000000000000000", intercom.ContactInput{Name: intercom.Ptr("x")})
		if !intercom.IsNotFound(err) {
			t.Fatalf("update unknown: %v, want not found", err)
		}
	})
	t.Run("NothingToIdentify", func(t *testing.T) {
		_, err := c.CreateContact(ctx, intercom.ContactInput{Name: intercom.Ptr("nobody")})
		var ae *intercom.APIError
		if !errors.As(err, &ae) || ae.StatusCode/100 != 4 {
			t.Fatalf("create without email/external_id/role: %v, want a 4xx", err)
		}
	})
}

func TestClient_MergeContacts(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{}, intercom.Config{})
	ctx := t.Context()
	c := b.client
	lead, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("lead"), Name: intercom.Ptr("Visitor")})
	mustNoErr(t, err, "create lead")
	user, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("user"), Email: intercom.Ptr("u@x.com")})
	mustNoErr(t, err, "create user")

	merged, err := c.MergeContacts(ctx, lead.ID, user.ID)
	mustNoErr(t, err, "MergeContacts")
	if merged.ID != user.ID {
		t.Fatalf("merge returned %s, want the user %s", merged.ID, user.ID)
	}
	if _, err := c.GetContact(ctx, lead.ID); !intercom.IsNotFound(err) {
		t.Fatalf("merged-away lead: %v, want not found", err)
	}
	// Merging the other way round (user into lead) is refused.
	other, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("lead")})
	mustNoErr(t, err, "create lead 2")
	if _, err := c.MergeContacts(ctx, user.ID, other.ID); err == nil {
		t.Fatal("merging a user into a lead succeeded")
	}
}

func bulkContacts(t testing.TB, emu *icemu.Server, n int, email func(i int) string) []string {
	t.Helper()
	seeds := make([]icemu.ContactSeed, n)
	for i := range seeds {
		seeds[i] = icemu.ContactSeed{Email: email(i), Name: fmt.Sprintf("Person %d", i), ExternalID: fmt.Sprintf("ext-%d", i)}
	}
	ids, err := emu.BulkLoadContacts(seeds)
	mustNoErr(t, err, "BulkLoadContacts")
	return ids
}

func TestClient_ListContactsPaging(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{}, intercom.Config{})
	ids := bulkContacts(t, b.emu, 35, func(i int) string { return fmt.Sprintf("p%02d@list.test", i) })

	got := collect(t, b.client.ListContacts(t.Context(), intercom.ListOptions{PerPage: 10}))
	seen := map[string]bool{}
	for _, ct := range got {
		if seen[ct.ID] {
			t.Fatalf("contact %s listed twice", ct.ID)
		}
		seen[ct.ID] = true
	}
	for _, id := range ids {
		if !seen[id] {
			t.Fatalf("contact %s missing from the listing", id)
		}
	}
	if n := b.calls.count("/contacts"); n != 4 {
		t.Fatalf("listing 35 contacts 10 a page took %d calls, want 4", n)
	}

	t.Run("StopEarly", func(t *testing.T) {
		before := b.calls.count("/contacts")
		n := 0
		for _, err := range b.client.ListContacts(t.Context(), intercom.ListOptions{PerPage: 10}) {
			mustNoErr(t, err, "iterate")
			n++
			if n == 3 {
				break
			}
		}
		if calls := b.calls.count("/contacts") - before; calls != 1 {
			t.Fatalf("breaking after 3 items made %d calls, want 1", calls)
		}
	})
}

// TestClient_ListContactsPrefetch: with Prefetch the listing is the same,
// in the same number of calls; a caller that stops early has made at most
// one call ahead, and the fetch ahead is finished before the loop ends.
func TestClient_ListContactsPrefetch(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{}, intercom.Config{})
	ids := bulkContacts(t, b.emu, 35, func(i int) string { return fmt.Sprintf("p%02d@ahead.test", i) })
	var totals atomic.Int64
	opts := intercom.ListOptions{PerPage: 10, Prefetch: true, Total: func(n int) { totals.Store(int64(n)) }}

	got := collect(t, b.client.ListContacts(t.Context(), opts))
	if len(got) != len(ids) {
		t.Fatalf("listed %d contacts, want %d", len(got), len(ids))
	}
	for i, ct := range got {
		if ct.ID != ids[i] {
			t.Fatalf("contact %d is %s, want %s (order kept)", i, ct.ID, ids[i])
		}
	}
	if n := b.calls.count("/contacts"); n != 4 {
		t.Fatalf("listing 35 contacts 10 a page took %d calls, want 4", n)
	}
	if totals.Load() != 35 {
		t.Fatalf("total %d, want 35", totals.Load())
	}

	t.Run("StopEarly", func(t *testing.T) {
		before := b.calls.count("/contacts")
		n := 0
		for _, err := range b.client.ListContacts(t.Context(), opts) {
			mustNoErr(t, err, "iterate")
			n++
			if n == 3 {
				break
			}
		}
		if calls := b.calls.count("/contacts") - before; calls > 2 {
			t.Fatalf("breaking after 3 items made %d calls, want at most 2 (one ahead)", calls)
		}
	})
}

func TestClient_SearchContacts(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{}, intercom.Config{})
	ctx := t.Context()
	bulkContacts(t, b.emu, 40, func(i int) string {
		if i%4 == 0 {
			return fmt.Sprintf("p%02d@acme.test", i)
		}
		return fmt.Sprintf("p%02d@other.test", i)
	})

	tests := []struct {
		name string
		q    intercom.Query
		want int
	}{
		{"EmailEquals", intercom.Field("email", intercom.OpEq, "p08@acme.test"), 1},
		{"EmailEqualsNone", intercom.Field("email", intercom.OpEq, "nobody@acme.test"), 0},
		{"DomainContainsPaged", intercom.Field("email", intercom.OpContains, "@acme.test"), 10},
		{"EndsWith", intercom.Field("email", intercom.OpEndsWith, "other.test"), 30},
		{"OrGroup", intercom.Or(intercom.Field("email", intercom.OpEq, "p08@acme.test"), intercom.Field("external_id", intercom.OpEq, "ext-9")), 2},
		{"AndNestedOr", intercom.And(
			intercom.Field("role", intercom.OpEq, "user"),
			intercom.Or(intercom.Field("email", intercom.OpStartsWith, "p0"), intercom.Field("email", intercom.OpStartsWith, "p1")),
		), 20},
		{"ExternalIDIn", intercom.Field("external_id", intercom.OpIn, []string{"ext-1", "ext-2", "ext-3"}), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, b.client.SearchContacts(ctx, tt.q, intercom.SearchOptions{PerPage: 3}))
			if len(got) != tt.want {
				t.Fatalf("%d results, want %d", len(got), tt.want)
			}
			seen := map[string]bool{}
			for _, ct := range got {
				if seen[ct.ID] {
					t.Fatalf("contact %s returned twice across pages", ct.ID)
				}
				seen[ct.ID] = true
			}
		})
	}

	t.Run("FindContactByEmail", func(t *testing.T) {
		got, err := b.client.FindContactByEmail(ctx, "p12@acme.test")
		mustNoErr(t, err, "FindContactByEmail")
		if len(got) != 1 || got[0].Email != "p12@acme.test" {
			t.Fatalf("FindContactByEmail = %+v", got)
		}
	})

	t.Run("InvalidQueryNeverSent", func(t *testing.T) {
		before := b.calls.count("/contacts/search")
		var err error
		for _, e := range b.client.SearchContacts(ctx, intercom.Field("created_at", intercom.OpContains, "x"), intercom.SearchOptions{}) {
			err = e
		}
		if !errors.Is(err, intercom.ErrInvalidQuery) {
			t.Fatalf("err = %v, want ErrInvalidQuery", err)
		}
		if b.calls.count("/contacts/search") != before {
			t.Fatal("an invalid query reached the API")
		}
	})
}

func TestClient_Companies(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{}, intercom.Config{})
	ctx := t.Context()
	c := b.client

	co, err := c.CreateOrUpdateCompany(ctx, intercom.CompanyInput{CompanyID: intercom.Ptr("acme-1"), Name: intercom.Ptr("Acme"),
		Size: intercom.Ptr(120), Website: intercom.Ptr("https://acme.test"), Plan: intercom.Ptr("pro")})
	mustNoErr(t, err, "CreateOrUpdateCompany")
	if co.ID == "" || co.CompanyID != "acme-1" || co.Name != "Acme" || co.Size != 120 {
		t.Fatalf("created company = %+v", co)
	}
	again, err := c.CreateOrUpdateCompany(ctx, intercom.CompanyInput{CompanyID: intercom.Ptr("acme-1"), Industry: intercom.Ptr("Manufacturing")})
	mustNoErr(t, err, "CreateOrUpdateCompany again")
	if again.ID != co.ID || again.Industry != "Manufacturing" || again.Name != "Acme" {
		t.Fatalf("upsert by company_id = %+v, want update of %s", again, co.ID)
	}

	got, err := c.GetCompany(ctx, co.ID)
	mustNoErr(t, err, "GetCompany")
	if got.CompanyID != "acme-1" || got.Plan == nil || got.Plan.Name != "pro" {
		t.Fatalf("GetCompany = %+v plan %+v", got, got.Plan)
	}
	byRemote, err := c.GetCompanyByCompanyID(ctx, "acme-1")
	mustNoErr(t, err, "GetCompanyByCompanyID")
	if byRemote.ID != co.ID {
		t.Fatalf("GetCompanyByCompanyID = %+v", byRemote)
	}
	if _, err := c.GetCompanyByCompanyID(ctx, "nope"); !intercom.IsNotFound(err) {
		t.Fatalf("unknown company_id: %v, want not found", err)
	}

	upd, err := c.UpdateCompany(ctx, co.ID, intercom.CompanyInput{Name: intercom.Ptr("Acme Corp")})
	mustNoErr(t, err, "UpdateCompany")
	if upd.Name != "Acme Corp" {
		t.Fatalf("UpdateCompany = %+v", upd)
	}

	ct, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("user"), Email: intercom.Ptr("a@acme.test")})
	mustNoErr(t, err, "CreateContact")
	att, err := c.AttachCompany(ctx, ct.ID, co.ID)
	mustNoErr(t, err, "AttachCompany")
	if att.ID != co.ID {
		t.Fatalf("AttachCompany = %+v", att)
	}
	members := collect(t, c.ListCompanyContacts(ctx, co.ID, intercom.ListOptions{}))
	if len(members) != 1 || members[0].ID != ct.ID {
		t.Fatalf("ListCompanyContacts = %+v", members)
	}
	cos, err := c.ListContactCompanies(ctx, ct.ID)
	mustNoErr(t, err, "ListContactCompanies")
	if len(cos) != 1 || cos[0].ID != co.ID {
		t.Fatalf("ListContactCompanies = %+v", cos)
	}
	withCo, err := c.GetContact(ctx, ct.ID)
	mustNoErr(t, err, "GetContact")
	if withCo.Companies == nil || len(withCo.Companies.Data) != 1 || withCo.Companies.Data[0].ID != co.ID {
		t.Fatalf("contact companies = %+v", withCo.Companies)
	}
	if _, err := c.AttachCompany(ctx, ct.ID, "000000000000000000000000"); !intercom.IsNotFound(err) {
		t.Fatalf("attach unknown company: %v, want not found", err)
	}
	_, err = c.DetachCompany(ctx, ct.ID, co.ID)
	mustNoErr(t, err, "DetachCompany")
	cos, err = c.ListContactCompanies(ctx, ct.ID)
	mustNoErr(t, err, "ListContactCompanies after detach")
	if len(cos) != 0 {
		t.Fatalf("still attached: %+v", cos)
	}

	del, err := c.DeleteCompany(ctx, co.ID)
	mustNoErr(t, err, "DeleteCompany")
	if !del.Deleted {
		t.Fatalf("DeleteCompany = %+v", del)
	}
	if _, err := c.GetCompany(ctx, co.ID); !intercom.IsNotFound(err) {
		t.Fatalf("deleted company: %v, want not found", err)
	}
}

func TestClient_CompanyListing(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{}, intercom.Config{})
	seeds := make([]icemu.CompanySeed, 23)
	for i := range seeds {
		seeds[i] = icemu.CompanySeed{CompanyID: fmt.Sprintf("co-%02d", i), Name: fmt.Sprintf("Company %d", i)}
	}
	ids, err := b.emu.BulkLoadCompanies(seeds)
	mustNoErr(t, err, "BulkLoadCompanies")
	// Intercom lists only companies with users; give each one.
	cids := bulkContacts(t, b.emu, len(ids), func(i int) string { return fmt.Sprintf("m%02d@co.test", i) })
	for i := range ids {
		_, err := b.client.AttachCompany(t.Context(), cids[i], ids[i])
		mustNoErr(t, err, "AttachCompany")
	}

	for name, seq := range map[string]func(func(intercom.Company, error) bool){
		"List":   b.client.ListCompanies(t.Context(), intercom.ListOptions{PerPage: 5}),
		"Scroll": b.client.ScrollCompanies(t.Context()),
	} {
		t.Run(name, func(t *testing.T) {
			got := collect(t, seq)
			seen := map[string]bool{}
			for _, co := range got {
				seen[co.ID] = true
			}
			if len(got) != len(ids) || len(seen) != len(ids) {
				t.Fatalf("%d companies (%d distinct), want %d", len(got), len(seen), len(ids))
			}
		})
	}
}

func TestClient_Conversations(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{Seed: "demo"}, intercom.Config{})
	ctx := t.Context()
	c := b.client
	admin := b.emu.OwnAdminID()

	ct, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("user"), Email: intercom.Ptr("conv@x.test")})
	mustNoErr(t, err, "CreateContact")
	msg, err := c.CreateConversation(ctx, intercom.ConversationInput{From: intercom.Ref{Type: "user", ID: ct.ID}, Body: "Hello, my order is late"})
	mustNoErr(t, err, "CreateConversation")
	if msg.ConversationID == "" {
		t.Fatalf("CreateConversation = %+v", msg)
	}
	conv, err := c.GetConversation(ctx, msg.ConversationID)
	mustNoErr(t, err, "GetConversation")
	if conv.State != intercom.StateOpen || conv.Source == nil || !strings.Contains(conv.Source.Body, "order is late") ||
		conv.Contacts == nil || conv.Contacts.Contacts[0].ID != ct.ID {
		t.Fatalf("GetConversation = %+v", conv)
	}

	conv, err = c.Reply(ctx, conv.ID, intercom.ReplyInput{MessageType: intercom.MessageComment, Type: "user", IntercomUserID: ct.ID, Body: "Any news?"})
	mustNoErr(t, err, "user Reply")
	conv, err = c.AddNote(ctx, conv.ID, admin, `<p>Salesforce case: <a href="https://x.my.salesforce.com/500x">00001234</a></p>`)
	mustNoErr(t, err, "AddNote")
	last := conv.ConversationParts.Parts[len(conv.ConversationParts.Parts)-1]
	if last.PartType != "note" || last.Author == nil || last.Author.Type != "admin" || string(last.Author.ID) != admin {
		t.Fatalf("note part = %+v", last)
	}
	conv, err = c.Reply(ctx, conv.ID, intercom.ReplyInput{MessageType: intercom.MessageComment, Type: "admin", AdminID: admin, Body: "On its way"})
	mustNoErr(t, err, "admin Reply")

	admins, err := c.ListAdmins(ctx)
	mustNoErr(t, err, "ListAdmins")
	conv, err = c.ManageConversation(ctx, conv.ID, intercom.ManageInput{MessageType: intercom.ManageAssignment, AdminID: admin, AssigneeID: admins[1].ID})
	mustNoErr(t, err, "assign")
	if string(conv.AdminAssigneeID) != admins[1].ID {
		t.Fatalf("assigned to %q, want %s", conv.AdminAssigneeID, admins[1].ID)
	}
	conv, err = c.ManageConversation(ctx, conv.ID, intercom.ManageInput{MessageType: intercom.ManageClose, AdminID: admin})
	mustNoErr(t, err, "close")
	if conv.State != intercom.StateClosed || conv.Open {
		t.Fatalf("after close: state %s open %v", conv.State, conv.Open)
	}
	conv, err = c.ManageConversation(ctx, conv.ID, intercom.ManageInput{MessageType: intercom.ManageOpen, AdminID: admin})
	mustNoErr(t, err, "open")
	if conv.State != intercom.StateOpen {
		t.Fatalf("after open: state %s", conv.State)
	}
	until := intercom.TimestampOf(time.Now().Add(time.Hour))
	conv, err = c.ManageConversation(ctx, conv.ID, intercom.ManageInput{MessageType: intercom.ManageSnoozed, AdminID: admin, SnoozedUntil: until})
	mustNoErr(t, err, "snooze")
	if conv.State != intercom.StateSnoozed || conv.SnoozedUntil != until {
		t.Fatalf("after snooze: state %s until %d", conv.State, conv.SnoozedUntil)
	}
	if _, err := c.ManageConversation(ctx, conv.ID, intercom.ManageInput{MessageType: "explode", AdminID: admin}); err == nil {
		t.Fatal("unknown manage type accepted")
	}

	am, err := c.CreateAdminMessage(ctx, intercom.AdminMessageInput{AdminID: admin, Body: "Welcome aboard", To: intercom.Ref{Type: "user", ID: ct.ID}})
	mustNoErr(t, err, "CreateAdminMessage")
	if am.ConversationID == "" || am.ConversationID == conv.ID {
		t.Fatalf("CreateAdminMessage = %+v", am)
	}

	all := collect(t, c.ListConversations(ctx, intercom.ListOptions{PerPage: 2}))
	found := 0
	for _, cv := range all {
		if cv.ID == conv.ID || cv.ID == am.ConversationID {
			found++
		}
	}
	if found != 2 {
		t.Fatalf("ListConversations found %d of our 2 conversations among %d", found, len(all))
	}
	snoozed := collect(t, c.SearchConversations(ctx, intercom.Field("state", intercom.OpEq, "snoozed"), intercom.SearchOptions{}))
	if len(snoozed) != 1 || snoozed[0].ID != conv.ID {
		t.Fatalf("search state=snoozed = %d results", len(snoozed))
	}
	if _, err := c.GetConversation(ctx, "999999999"); !intercom.IsNotFound(err) {
		t.Fatalf("unknown conversation: %v, want not found", err)
	}
}

func TestClient_DataAttributesAndEvents(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{}, intercom.Config{})
	ctx := t.Context()
	c := b.client

	da, err := c.CreateDataAttribute(ctx, intercom.DataAttributeInput{Name: "sf_tier", Model: "contact", DataType: "string",
		Description: intercom.Ptr("Salesforce tier"), Options: []string{"gold", "silver"}})
	mustNoErr(t, err, "CreateDataAttribute")
	if da.ID == "" || da.Name != "sf_tier" || !da.Custom || da.DataType != "string" {
		t.Fatalf("created attribute = %+v", da)
	}
	_, err = c.CreateDataAttribute(ctx, intercom.DataAttributeInput{Name: "sf_tier", Model: "contact", DataType: "string"})
	var ae *intercom.APIError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest || ae.Code != "parameter_invalid" {
		t.Fatalf("duplicate attribute: %v, want 400 parameter_invalid", err)
	}

	list, err := c.ListDataAttributes(ctx, "contact", false)
	mustNoErr(t, err, "ListDataAttributes")
	var builtin, custom bool
	for _, a := range list {
		if a.Name == "email" && !a.Custom {
			builtin = true
		}
		if a.Name == "sf_tier" && a.Custom {
			custom = true
		}
	}
	if !builtin || !custom {
		t.Fatalf("ListDataAttributes: builtin email %v, custom sf_tier %v", builtin, custom)
	}

	upd, err := c.UpdateDataAttribute(ctx, string(da.ID), intercom.DataAttributeInput{Archived: intercom.Ptr(true)})
	mustNoErr(t, err, "UpdateDataAttribute")
	if !upd.Archived {
		t.Fatalf("UpdateDataAttribute = %+v", upd)
	}
	if _, err := c.UpdateDataAttribute(ctx, "99999999", intercom.DataAttributeInput{Description: intercom.Ptr("x")}); !intercom.IsNotFound(err) {
		t.Fatalf("update unknown attribute: %v, want not found", err)
	}

	ct, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("user"), Email: intercom.Ptr("ev@x.test"), ExternalID: intercom.Ptr("ev-1")})
	mustNoErr(t, err, "CreateContact")
	at := intercom.TimestampOf(time.Now().Add(-time.Minute))
	mustNoErr(t, c.CreateEvent(ctx, intercom.DataEvent{EventName: "synced-to-salesforce", CreatedAt: at, ID: ct.ID,
		Metadata: map[string]any{"object": "Lead"}}), "CreateEvent")
	evs := collect(t, c.ListEvents(ctx, intercom.EventFilter{IntercomUserID: ct.ID}))
	if len(evs) != 1 || evs[0].EventName != "synced-to-salesforce" || evs[0].CreatedAt != at {
		t.Fatalf("ListEvents = %+v", evs)
	}
	err = c.CreateEvent(ctx, intercom.DataEvent{EventName: "x", CreatedAt: at, UserID: "no-such-user"})
	if !intercom.IsNotFound(err) {
		t.Fatalf("event for unknown user: %v, want not found", err)
	}
}

func TestClient_OAuth(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{AutoApprove: true}, intercom.Config{})
	ctx := t.Context()

	authURL := intercom.AuthorizeURL(b.srv.URL+"/oauth", testClientID, "st4te", "https://ferry.test/callback")
	u, err := url.Parse(authURL)
	mustNoErr(t, err, "parse authorize URL")
	if q := u.Query(); q.Get("client_id") != testClientID || q.Get("state") != "st4te" || q.Get("redirect_uri") != "https://ferry.test/callback" {
		t.Fatalf("authorize URL %s", authURL)
	}
	if got := intercom.AuthorizeURL("", "cid", "s", ""); got != "https://app.intercom.com/oauth?client_id=cid&state=s" {
		t.Fatalf("default authorize URL %s", got)
	}

	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authURL)
	mustNoErr(t, err, "GET authorize")
	resp.Body.Close()
	cb, err := url.Parse(resp.Header.Get("Location"))
	mustNoErr(t, err, "parse callback")
	code := cb.Query().Get("code")
	if code == "" || cb.Query().Get("state") != "st4te" {
		t.Fatalf("callback %s", cb)
	}

	tok, err := b.client.ExchangeCode(ctx, code)
	mustNoErr(t, err, "ExchangeCode")
	if tok == "" {
		t.Fatal("empty token")
	}
	authed := intercom.New(intercom.Config{BaseURL: b.srv.URL, Token: tok, HTTPClient: b.srv.Client()})
	if _, err := authed.Me(ctx); err != nil {
		t.Fatalf("Me with the exchanged token: %v", err)
	}
	if _, err := b.client.ExchangeCode(ctx, code); !intercom.IsUnauthorized(err) {
		t.Fatalf("reusing a code: %v, want 401", err)
	}
	bad := intercom.New(intercom.Config{BaseURL: b.srv.URL, ClientID: testClientID, ClientSecret: "wrong", HTTPClient: b.srv.Client()})
	if _, err := bad.ExchangeCode(ctx, "whatever"); !intercom.IsUnauthorized(err) {
		t.Fatalf("wrong client secret: %v, want 401", err)
	}
}

func TestClient_AuthAndTransportErrors(t *testing.T) {
	t.Parallel()

	t.Run("RevokedToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t, icemu.Options{}, intercom.Config{})
		_, err := b.client.Me(t.Context())
		mustNoErr(t, err, "Me before revoke")
		if !b.emu.RevokeToken(testToken) {
			t.Fatal("emulator did not know the token")
		}
		_, err = b.client.Me(t.Context())
		if !intercom.IsUnauthorized(err) || !errors.Is(err, intercom.ErrUnauthorized) || intercom.IsRetryable(err) {
			t.Fatalf("after revoke: %v, want a non-retryable 401", err)
		}
		var ae *intercom.APIError
		if !errors.As(err, &ae) || ae.Code != "unauthorized" || ae.Message == "" || ae.RequestID == "" {
			t.Fatalf("401 body not parsed: %#v", err)
		}
		if strings.Contains(err.Error(), testToken) {
			t.Fatal("the token leaked into an error message")
		}
	})

	t.Run("UnknownToken", func(t *testing.T) {
		t.Parallel()
		b := setup(t, icemu.Options{}, intercom.Config{Token: "never-issued"})
		for _, err := range b.client.ListContacts(t.Context(), intercom.ListOptions{}) {
			if !intercom.IsUnauthorized(err) {
				t.Fatalf("ListContacts with a bad token: %v, want 401", err)
			}
		}
	})

	t.Run("ServerErrorIsRetryable", func(t *testing.T) {
		t.Parallel()
		b := setup(t, icemu.Options{}, intercom.Config{})
		b.emu.SetFaults(icemu.Faults{ErrorRate: 1, ErrorStatus: http.StatusServiceUnavailable})
		_, err := b.client.Me(t.Context())
		var ae *intercom.APIError
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusServiceUnavailable || !intercom.IsRetryable(err) {
			t.Fatalf("injected 503: %v, want a retryable 503", err)
		}
	})

	t.Run("UnsupportedVersion", func(t *testing.T) {
		t.Parallel()
		b := setup(t, icemu.Options{}, intercom.Config{Version: "1.0"})
		_, err := b.client.Me(t.Context())
		var ae *intercom.APIError
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest || ae.Code != "intercom_version_invalid" {
			t.Fatalf("version 1.0: %v, want 400 intercom_version_invalid", err)
		}
	})

	t.Run("NonJSONErrorBody", func(t *testing.T) {
		t.Parallel()
		// A proxy in front of Intercom may answer with HTML.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><body>Bad gateway</body></html>")
		}))
		t.Cleanup(srv.Close)
		c := intercom.New(intercom.Config{BaseURL: srv.URL, Token: "x", HTTPClient: srv.Client()})
		_, err := c.Me(t.Context())
		var ae *intercom.APIError
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadGateway || !strings.Contains(ae.Message, "Bad gateway") || !intercom.IsRetryable(err) {
			t.Fatalf("HTML 502: %#v", err)
		}
	})

	t.Run("ConnectionRefusedIsRetryable", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		base := srv.URL
		srv.Close()
		c := intercom.New(intercom.Config{BaseURL: base, Token: "x"})
		_, err := c.Me(t.Context())
		if err == nil || !intercom.IsRetryable(err) {
			t.Fatalf("closed server: %v, want a retryable transport error", err)
		}
	})

	t.Run("CancelledContextIsNotRetryable", func(t *testing.T) {
		t.Parallel()
		b := setup(t, icemu.Options{}, intercom.Config{})
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := b.client.Me(ctx)
		if !errors.Is(err, context.Canceled) || intercom.IsRetryable(err) {
			t.Fatalf("cancelled: %v", err)
		}
	})
}

func TestClient_APIErrorsAreTyped(t *testing.T) {
	t.Parallel()
	b := setup(t, icemu.Options{Seed: "demo"}, intercom.Config{})
	ctx := t.Context()
	c := b.client
	ct, err := c.CreateContact(ctx, intercom.ContactInput{Role: intercom.Ptr("user"), Email: intercom.Ptr("typed@x.test")})
	mustNoErr(t, err, "CreateContact")
	msg, err := c.CreateConversation(ctx, intercom.ConversationInput{From: intercom.Ref{Type: "user", ID: ct.ID}, Body: "hi"})
	mustNoErr(t, err, "CreateConversation")

	tests := []struct {
		name       string
		call       func() error
		wantStatus int
		wantCode   string
	}{
		{"NoteByUnknownAdmin", func() error {
			_, err := c.AddNote(ctx, msg.ConversationID, "1", "x")
			return err
		}, http.StatusNotFound, "admin_not_found"},
		{"AttachWithoutCompany", func() error {
			_, err := c.AttachCompany(ctx, ct.ID, "")
			return err
		}, http.StatusBadRequest, "parameter_not_found"},
		{"CompanyNotFound", func() error {
			_, err := c.GetCompany(ctx, "000000000000000000000000")
			return err
		}, http.StatusNotFound, "company_not_found"},
		{"BadAttributeName", func() error {
			_, err := c.CreateDataAttribute(ctx, intercom.DataAttributeInput{Name: "bad name!", Model: "contact", DataType: "string"})
			return err
		}, http.StatusBadRequest, "parameter_invalid"},
		{"BadAttributeModel", func() error {
			_, err := c.CreateDataAttribute(ctx, intercom.DataAttributeInput{Name: "ok_name", Model: "ticket", DataType: "string"})
			return err
		}, http.StatusBadRequest, "parameter_invalid"},
		{"ReplyToUnknownConversation", func() error {
			_, err := c.Reply(ctx, "999999999", intercom.ReplyInput{MessageType: "comment", Type: "admin", AdminID: b.emu.OwnAdminID(), Body: "x"})
			return err
		}, http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var ae *intercom.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if ae.StatusCode != tt.wantStatus || ae.Code != tt.wantCode || ae.Message == "" {
				t.Fatalf("got %d %q %q, want %d %q", ae.StatusCode, ae.Code, ae.Message, tt.wantStatus, tt.wantCode)
			}
			if intercom.IsRetryable(err) {
				t.Fatalf("%v classified retryable", err)
			}
		})
	}
}
