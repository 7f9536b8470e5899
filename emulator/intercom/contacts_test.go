package intercom_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// contactKeys is the 2.11 contact object's key set, from the reference.
var contactKeys = strings.Fields(`type id workspace_id external_id role email phone name avatar owner_id
social_profiles has_hard_bounced marked_email_as_spam unsubscribed_from_emails created_at updated_at
signed_up_at last_seen_at last_replied_at last_contacted_at last_email_opened_at last_email_clicked_at
language_override browser browser_version browser_language os location android_app_name ios_app_name
custom_attributes tags notes companies opted_out_subscription_types opted_in_subscription_types
utm_campaign utm_content utm_medium utm_source utm_term referrer`)

func TestContactLifecycle(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.must(200, "POST", "/data_attributes", map[string]any{"name": "sf_id", "model": "contact", "data_type": "string"})
	c := f.must(200, "POST", "/contacts", map[string]any{"email": "Joe@Bloggs.example", "external_id": "70",
		"name": "Joe Bloggs", "owner_id": 991267500, "custom_attributes": map[string]any{"sf_id": "003x"}})
	for _, k := range contactKeys {
		if _, ok := c[k]; !ok {
			t.Errorf("contact lacks %q", k)
		}
	}
	id := str(c["id"])
	if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(id) {
		t.Errorf("id %q is not 24 hex", id)
	}
	if c["role"] != "user" || c["workspace_id"] != f.srv.AppID() || c["owner_id"] != float64(991267500) {
		t.Errorf("created: %v", c)
	}
	if _, isInt := c["created_at"].(float64); !isInt {
		t.Errorf("created_at %v is not a Unix integer", c["created_at"])
	}
	loc := c["location"].(map[string]any)
	if loc["type"] != "location" || loc["country"] != nil {
		t.Errorf("location %v", loc)
	}

	got := f.must(200, "GET", "/contacts/"+id, nil)
	if got["email"] != "Joe@Bloggs.example" || got["custom_attributes"].(map[string]any)["sf_id"] != "003x" {
		t.Errorf("get: %v", got)
	}

	upd := f.must(200, "PUT", "/contacts/"+id, map[string]any{"name": "Joseph Bloggs", "owner_id": nil,
		"custom_attributes": map[string]any{"sf_id": nil}})
	if upd["name"] != "Joseph Bloggs" || upd["owner_id"] != nil || len(upd["custom_attributes"].(map[string]any)) != 0 {
		t.Errorf("update: %v", upd)
	}

	t.Run("duplicate user is 409", func(t *testing.T) {
		for _, body := range []map[string]any{{"email": "joe@bloggs.example"}, {"external_id": "70", "email": "other@x.example"}} {
			code, m := f.call("POST", "/contacts", body)
			if code != 409 || errorCode(t, m) != "conflict" || !strings.Contains(str(m["errors"].([]any)[0].(map[string]any)["message"]), id) {
				t.Errorf("%v: %d %v", body, code, m)
			}
		}
		// Leads may share a user's email.
		f.must(200, "POST", "/contacts", map[string]any{"role": "lead", "email": "joe@bloggs.example"})
	})

	t.Run("archive and unarchive", func(t *testing.T) {
		a := f.must(200, "POST", "/contacts/"+id+"/archive", nil)
		if a["archived"] != true || a["id"] != id || a["external_id"] != "70" {
			t.Errorf("archive: %v", a)
		}
		list := f.must(200, "GET", "/contacts", nil)
		for _, d := range list["data"].([]any) {
			if d.(map[string]any)["id"] == id {
				t.Error("archived contact listed")
			}
		}
		if u := f.must(200, "POST", "/contacts/"+id+"/unarchive", nil); u["archived"] != false {
			t.Errorf("unarchive: %v", u)
		}
	})

	del := f.must(200, "DELETE", "/contacts/"+id, nil)
	if del["deleted"] != true || del["id"] != id || del["type"] != "contact" {
		t.Errorf("delete: %v", del)
	}
	if code, m := f.call("GET", "/contacts/"+id, nil); code != 404 || errorCode(t, m) != "not_found" {
		t.Errorf("deleted contact: %d %v", code, m)
	}
}

func TestCustomAttributeValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, d := range []map[string]any{
		{"name": "seats", "model": "contact", "data_type": "integer"},
		{"name": "ltv", "model": "contact", "data_type": "float"},
		{"name": "trial", "model": "contact", "data_type": "boolean"},
		{"name": "renews", "model": "contact", "data_type": "date"},
		{"name": "tier", "model": "contact", "data_type": "string", "options": []map[string]string{{"value": "gold"}, {"value": "silver"}}},
	} {
		f.must(200, "POST", "/data_attributes", d)
	}
	tests := []struct {
		name  string
		attrs map[string]any
		ok    bool
		msg   string
	}{
		{"undefined", map[string]any{"nope": "x"}, false, "Custom attribute 'nope' does not exist"},
		{"integer ok", map[string]any{"seats": 12}, true, ""},
		{"integer given string", map[string]any{"seats": "12"}, false, "must be of type integer"},
		{"integer given float", map[string]any{"seats": 1.5}, false, "must be of type integer"},
		{"float ok", map[string]any{"ltv": 10.25}, true, ""},
		{"boolean given string", map[string]any{"trial": "yes"}, false, "must be of type boolean"},
		{"date ok", map[string]any{"renews": 1767225600}, true, ""},
		{"date given text", map[string]any{"renews": "soon"}, false, "must be of type date"},
		{"list option ok", map[string]any{"tier": "gold"}, true, ""},
		{"list option missing", map[string]any{"tier": "bronze"}, false, "must be one of"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := f.call("POST", "/contacts", map[string]any{"email": fmt.Sprintf("u%d@x.example", i), "custom_attributes": tt.attrs})
			if tt.ok {
				if code != 200 {
					t.Fatalf("status %d: %v", code, m)
				}
				return
			}
			if code != 400 || errorCode(t, m) != "parameter_invalid" {
				t.Fatalf("status %d: %v", code, m)
			}
			if msg := str(m["errors"].([]any)[0].(map[string]any)["message"]); !strings.Contains(msg, tt.msg) {
				t.Errorf("message %q lacks %q", msg, tt.msg)
			}
		})
	}
}

func TestListContactsPagination(t *testing.T) {
	t.Parallel()
	f := setup(t)
	want := map[string]bool{}
	for i := range 7 {
		c := f.must(200, "POST", "/contacts", map[string]any{"email": fmt.Sprintf("p%d@x.example", i)})
		want[str(c["id"])] = true
	}
	seen := map[string]bool{}
	path := "/contacts?per_page=3"
	for pageNo := 1; ; pageNo++ {
		m := f.must(200, "GET", path, nil)
		pg := m["pages"].(map[string]any)
		if m["type"] != "list" || m["total_count"] != float64(7) || pg["page"] != float64(pageNo) || pg["total_pages"] != float64(3) || pg["per_page"] != float64(3) {
			t.Fatalf("page %d: %v", pageNo, m)
		}
		for _, d := range m["data"].([]any) {
			id := str(d.(map[string]any)["id"])
			if seen[id] {
				t.Errorf("contact %s on two pages", id)
			}
			seen[id] = true
		}
		next, ok := pg["next"].(map[string]any)
		if !ok {
			break
		}
		path = "/contacts?per_page=3&starting_after=" + str(next["starting_after"])
	}
	if len(seen) != len(want) {
		t.Errorf("saw %d contacts, want %d", len(seen), len(want))
	}
	if code, m := f.call("GET", "/contacts?starting_after=%21%21", nil); code != 400 || errorCode(t, m) != "parameter_invalid" {
		t.Errorf("bad cursor: %d %v", code, m)
	}
}

func TestMergeLeadIntoUser(t *testing.T) {
	t.Parallel()
	f := setup(t)
	lead := f.must(200, "POST", "/contacts", map[string]any{"role": "lead", "phone": "+3312345", "name": "Visitor"})
	user := f.must(200, "POST", "/contacts", map[string]any{"email": "real@x.example"})
	lid, uid := str(lead["id"]), str(user["id"])

	if code, m := f.call("POST", "/contacts/merge", map[string]any{"from": uid, "into": lid}); code != 400 || errorCode(t, m) != "parameter_invalid" {
		t.Errorf("user into lead: %d %v", code, m)
	}
	merged := f.must(200, "POST", "/contacts/merge", map[string]any{"from": lid, "into": uid})
	if merged["id"] != uid || merged["phone"] != "+3312345" || merged["email"] != "real@x.example" {
		t.Errorf("merged: %v", merged)
	}
	if code, _ := f.call("GET", "/contacts/"+lid, nil); code != 404 {
		t.Errorf("merged-away lead: %d, want 404", code)
	}
	h := f.waitTopic("contact.merged")
	item := h.Envelope["data"].(map[string]any)["item"].(map[string]any)
	if item["id"] != uid || item["merged_from"].(map[string]any)["id"] != lid {
		t.Errorf("contact.merged item: %v", item)
	}
}

func TestContactCompaniesAndTags(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.must(200, "POST", "/contacts", map[string]any{"email": "a@acme.example"})
	co := f.must(200, "POST", "/companies", map[string]any{"company_id": "acme", "name": "Acme"})
	cid, coid := str(c["id"]), str(co["id"])

	if code, m := f.call("POST", "/contacts/"+cid+"/companies", map[string]any{}); code != 400 || errorCode(t, m) != "parameter_not_found" {
		t.Errorf("no company: %d %v", code, m)
	}
	if code, m := f.call("POST", "/contacts/"+cid+"/companies", map[string]any{"id": "000000000000000000000000"}); code != 404 || errorCode(t, m) != "company_not_found" {
		t.Errorf("unknown company: %d %v", code, m)
	}
	if code, m := f.call("POST", "/contacts/5f0000000000000000000000/companies", map[string]any{"id": coid}); code != 404 || errorCode(t, m) != "not_found" {
		t.Errorf("unknown contact: %d %v", code, m)
	}
	att := f.must(200, "POST", "/contacts/"+cid+"/companies", map[string]any{"id": coid})
	if att["id"] != coid || att["user_count"] != float64(1) {
		t.Errorf("attach: %v", att)
	}
	got := f.must(200, "GET", "/contacts/"+cid, nil)
	comps := got["companies"].(map[string]any)
	if comps["total_count"] != float64(1) || comps["data"].([]any)[0].(map[string]any)["url"] != "/companies/"+coid {
		t.Errorf("contact companies: %v", comps)
	}
	attached := f.must(200, "GET", "/contacts/"+cid+"/companies", nil)
	if len(attached["data"].([]any)) != 1 || len(attached["companies"].([]any)) != 1 {
		t.Errorf("attached companies (both 2.11 spellings): %v", attached)
	}
	if past := f.must(200, "GET", "/contacts/"+cid+"/companies?page=2", nil); len(past["companies"].([]any)) != 0 {
		t.Errorf("page past the end: %v", past)
	}
	members := f.must(200, "GET", "/companies/"+coid+"/contacts", nil)
	if members["total_count"] != float64(1) {
		t.Errorf("company contacts: %v", members)
	}
	f.waitTopic("company.contact.attached")
	f.must(200, "DELETE", "/contacts/"+cid+"/companies/"+coid, nil)
	f.waitTopic("company.contact.detached")
	if n := f.must(200, "GET", "/contacts/"+cid+"/companies", nil)["total_count"]; n != float64(0) {
		t.Errorf("after detach: %v companies", n)
	}

	tag := f.must(200, "POST", "/tags", map[string]any{"name": "VIP"})
	f.must(200, "POST", "/contacts/"+cid+"/tags", map[string]any{"id": tag["id"]})
	tags := f.must(200, "GET", "/contacts/"+cid+"/tags", nil)["data"].([]any)
	if len(tags) != 1 || tags[0].(map[string]any)["name"] != "VIP" {
		t.Errorf("tags: %v", tags)
	}
}
