package intercom_test

import (
	"strconv"
	"strings"
	"testing"
)

func TestDataAttributes(t *testing.T) {
	t.Parallel()
	f := setup(t)
	created := f.must(200, "POST", "/data_attributes", map[string]any{"name": "sf_account_id", "model": "company",
		"data_type": "string", "description": "Salesforce Account Id"})
	if created["custom"] != true || created["full_name"] != "custom_attributes.sf_account_id" || created["model"] != "company" {
		t.Errorf("create: %v", created)
	}
	id := strconv.Itoa(int(created["id"].(float64)))

	errs := []struct {
		name string
		body map[string]any
		code string
		msg  string
	}{
		{"duplicate", map[string]any{"name": "sf_account_id", "model": "company", "data_type": "string"}, "parameter_invalid", "You already have 'sf_account_id'"},
		{"built-in name", map[string]any{"name": "email", "model": "contact", "data_type": "string"}, "parameter_invalid", "You already have"},
		{"bad name", map[string]any{"name": "bad.name!", "model": "contact", "data_type": "string"}, "parameter_invalid", "alphanumeric"},
		{"bad type", map[string]any{"name": "x", "model": "contact", "data_type": "colour"}, "parameter_invalid", "Data Type isn't an option"},
		{"bad model", map[string]any{"name": "x", "model": "ticket", "data_type": "string"}, "parameter_invalid", "either contact or company"},
		{"missing type", map[string]any{"name": "x", "model": "contact"}, "parameter_not_found", "data_type"},
		{"one option", map[string]any{"name": "x", "model": "contact", "data_type": "options", "options": []map[string]string{{"value": "a"}}}, "parameter_invalid", "2 options"},
	}
	for _, e := range errs {
		t.Run(e.name, func(t *testing.T) {
			code, m := f.call("POST", "/data_attributes", e.body)
			if code != 400 || errorCode(t, m) != e.code {
				t.Fatalf("%d %v", code, m)
			}
			if msg := str(m["errors"].([]any)[0].(map[string]any)["message"]); !strings.Contains(msg, e.msg) {
				t.Errorf("message %q lacks %q", msg, e.msg)
			}
		})
	}

	list := f.must(200, "GET", "/data_attributes?model=company", nil)
	var builtin, custom int
	for _, d := range list["data"].([]any) {
		a := d.(map[string]any)
		if a["model"] != "company" {
			t.Errorf("model filter leaked %v", a)
		}
		if a["custom"] == true {
			custom++
		} else {
			builtin++
			if _, hasID := a["id"]; hasID {
				t.Errorf("built-in with id: %v", a)
			}
		}
	}
	if custom != 1 || builtin < 5 {
		t.Errorf("company attributes: %d custom, %d built-in", custom, builtin)
	}

	upd := f.must(200, "PUT", "/data_attributes/"+id, map[string]any{"archived": true, "description": "old"})
	if upd["archived"] != true || upd["description"] != "old" {
		t.Errorf("update: %v", upd)
	}
	after := f.must(200, "GET", "/data_attributes?model=company", nil)
	for _, d := range after["data"].([]any) {
		if d.(map[string]any)["name"] == "sf_account_id" {
			t.Error("archived attribute listed without include_archived")
		}
	}
	withArchived := f.must(200, "GET", "/data_attributes?model=company&include_archived=true", nil)
	if len(withArchived["data"].([]any)) != len(after["data"].([]any))+1 {
		t.Error("include_archived=true did not list the archived attribute")
	}
	if code, m := f.call("PUT", "/data_attributes/99999", map[string]any{"archived": true}); code != 404 || errorCode(t, m) != "field_not_found" {
		t.Errorf("unknown attribute: %d %v", code, m)
	}
	if code, m := f.call("PUT", "/data_attributes/"+id, map[string]any{"data_type": "integer"}); code != 400 || errorCode(t, m) != "parameter_invalid" {
		t.Errorf("changing data_type: %d %v", code, m)
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c := f.must(200, "POST", "/contacts", map[string]any{"email": "ev@x.example", "external_id": "u1"})
	ev := map[string]any{"event_name": "invited-friend", "created_at": 1671028894, "user_id": "u1", "metadata": map[string]any{"invite_code": "ADDAFRIEND"}}
	for range 2 { // the duplicate is accepted and ignored
		if code, m := f.call("POST", "/events", ev); code != 202 || m != nil {
			t.Fatalf("create: %d %v", code, m)
		}
	}
	f.must(202, "POST", "/events", map[string]any{"event_name": "logged-in", "created_at": 1671028999, "id": c["id"]})
	list := f.must(200, "GET", "/events?type=user&intercom_user_id="+str(c["id"]), nil)
	events := list["events"].([]any)
	if list["type"] != "event.list" || len(events) != 2 || events[0].(map[string]any)["metadata"].(map[string]any)["invite_code"] != "ADDAFRIEND" {
		t.Errorf("list: %v", list)
	}
	bad := []struct {
		body   map[string]any
		status int
		code   string
	}{
		{map[string]any{"event_name": "x", "created_at": 1, "email": "nobody@x.example"}, 404, "not_found"},
		{map[string]any{"event_name": "x", "user_id": "u1"}, 400, "parameter_not_found"},
		{map[string]any{"event_name": "x", "created_at": 1}, 400, "parameter_not_found"},
		{map[string]any{"event_name": "x", "created_at": 1, "user_id": "u1", "metadata": map[string]any{"deep": map[string]any{"a": 1}}}, 400, "parameter_invalid"},
	}
	for _, b := range bad {
		code, m := f.call("POST", "/events", b.body)
		if code != b.status || errorCode(t, m) != b.code {
			t.Errorf("%v: %d %v", b.body, code, m)
		}
	}
}
