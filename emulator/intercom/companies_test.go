package intercom_test

import (
	"net/url"
	"slices"
	"testing"
)

func TestCompanies(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.must(200, "POST", "/data_attributes", map[string]any{"name": "region", "model": "company", "data_type": "string"})
	co := f.must(200, "POST", "/companies", map[string]any{"company_id": "acme-1", "name": "Acme", "plan": "pro",
		"size": 100, "monthly_spend": 99.9, "custom_attributes": map[string]any{"region": "EMEA"}})
	id := str(co["id"])
	if co["type"] != "company" || co["company_id"] != "acme-1" || co["app_id"] != f.srv.AppID() || co["monthly_spend"] != float64(99) ||
		co["plan"].(map[string]any)["name"] != "pro" || co["custom_attributes"].(map[string]any)["region"] != "EMEA" {
		t.Errorf("create: %v", co)
	}
	if _, ok := co["tags"].(map[string]any); !ok {
		t.Errorf("company lacks tags: %v", co)
	}
	// Same company_id updates rather than creating.
	again := f.must(200, "POST", "/companies", map[string]any{"company_id": "acme-1", "industry": "Robots"})
	if again["id"] != id || again["name"] != "Acme" || again["industry"] != "Robots" {
		t.Errorf("upsert: %v", again)
	}
	f.must(200, "POST", "/companies", map[string]any{"company_id": "globex-2", "name": "Globex"})

	tests := []struct {
		name, path string
		status     int
		code       string
	}{
		{"by company_id", "/companies?company_id=acme-1", 200, ""},
		{"by name", "/companies?name=" + url.QueryEscape("Globex"), 200, ""},
		{"unknown company_id", "/companies?company_id=nope", 404, "company_not_found"},
		{"unknown id", "/companies/000000000000000000000000", 404, "company_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, m := f.call("GET", tt.path, nil)
			if code != tt.status {
				t.Fatalf("status %d: %v", code, m)
			}
			if tt.code != "" {
				if c := errorCode(t, m); c != tt.code {
					t.Errorf("code %q", c)
				}
				return
			}
			if m["type"] != "list" || len(m["data"].([]any)) != 1 {
				t.Errorf("lookup: %v", m)
			}
		})
	}

	t.Run("bad input", func(t *testing.T) {
		for body, code := range map[string]string{
			`{"name":"no id"}`:                                    "parameter_not_found",
			`{"company_id":"x","test":1}`:                         "bad_request",
			`{"company_id":"x","custom_attributes":{"z":1}}`:      "parameter_invalid",
			`{"company_id":"x","custom_attributes":{"region":1}}`: "parameter_invalid",
		} {
			c, m := f.call("POST", "/companies", body)
			if c != 400 || errorCode(t, m) != code {
				t.Errorf("%s: %d %v", body, c, m)
			}
		}
	})

	list := f.must(200, "GET", "/companies?per_page=1", nil)
	if list["total_count"] != float64(2) || len(list["data"].([]any)) != 1 || list["pages"].(map[string]any)["total_pages"] != float64(2) {
		t.Errorf("list: %v", list)
	}
	for _, tt := range []struct {
		method, path string
		want         []string
	}{
		{"GET", "/companies?per_page=1&page=2", []string{"acme-1"}}, // newest first by default
		{"GET", "/companies?order=asc", []string{"acme-1", "globex-2"}},
		{"POST", "/companies/list", []string{"globex-2", "acme-1"}},
		{"POST", "/companies/list?page=2", nil}, // past the end: empty, how SDKs stop
	} {
		m := f.must(200, tt.method, tt.path, nil)
		var got []string
		for _, d := range m["data"].([]any) {
			got = append(got, str(d.(map[string]any)["company_id"]))
		}
		if !slices.Equal(got, tt.want) || m["total_count"] != float64(2) {
			t.Errorf("%s %s: %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}

	scroll := f.must(200, "GET", "/companies/scroll", nil)
	if len(scroll["data"].([]any)) != 2 || str(scroll["scroll_param"]) == "" {
		t.Fatalf("scroll: %v", scroll)
	}
	end := f.must(200, "GET", "/companies/scroll?scroll_param="+url.QueryEscape(str(scroll["scroll_param"])), nil)
	if len(end["data"].([]any)) != 0 {
		t.Errorf("scroll end: %v", end)
	}

	upd := f.must(200, "PUT", "/companies/"+id, map[string]any{"name": "Acme Corp"})
	if upd["name"] != "Acme Corp" {
		t.Errorf("put: %v", upd)
	}
	if c, m := f.call("PUT", "/companies/"+id, map[string]any{"company_id": "other"}); c != 400 || errorCode(t, m) != "parameter_invalid" {
		t.Errorf("changing company_id: %d %v", c, m)
	}
	del := f.must(200, "DELETE", "/companies/"+id, nil)
	if del["deleted"] != true || del["object"] != "company" {
		t.Errorf("delete: %v", del)
	}
	if c, _ := f.call("GET", "/companies/"+id, nil); c != 404 {
		t.Errorf("deleted company: %d", c)
	}
	for _, topic := range []string{"company.created", "company.updated", "company.deleted"} {
		f.waitTopic(topic)
	}
}
