package salesforce_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestConvertLead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead := b.create("Lead", map[string]any{"FirstName": "Grace", "LastName": "Hopper", "Company": "Navy", "Email": "grace@navy.example"})
	task := b.create("Task", map[string]any{"Subject": "Call", "WhoId": lead})
	before := b.get("Lead", lead)
	b.clock.Advance(3600e9)
	r := b.control("POST", "/__emulator/convert-lead", map[string]any{"leadId": lead})
	if r.Status != 200 {
		t.Fatalf("convert: %d %s", r.Status, r.Body)
	}
	res := r.Obj(t)
	for _, k := range []string{"accountId", "contactId", "opportunityId"} {
		if id, _ := res[k].(string); !idPattern.MatchString(id) {
			t.Fatalf("%s = %v", k, res[k])
		}
	}
	after := b.get("Lead", lead)
	if after["IsConverted"] != true || after["Status"] != "Closed - Converted" || after["ConvertedDate"] != "2026-05-20" ||
		after["ConvertedAccountId"] != res["accountId"] || after["ConvertedContactId"] != res["contactId"] || after["ConvertedOpportunityId"] != res["opportunityId"] {
		t.Fatalf("lead after convert: %v", after)
	}
	if after["SystemModstamp"] == before["SystemModstamp"] {
		t.Error("SystemModstamp not bumped")
	}
	if c := b.get("Contact", res["contactId"].(string)); c["Email"] != "grace@navy.example" || c["AccountId"] != res["accountId"] {
		t.Errorf("contact: %v", c)
	}
	if a := b.get("Account", res["accountId"].(string)); a["Name"] != "Navy" {
		t.Errorf("account: %v", a)
	}
	if tk := b.get("Task", task); tk["WhoId"] != res["contactId"] {
		t.Errorf("task WhoId = %v, want the contact", tk["WhoId"])
	}
	q := b.query("SELECT Id, ConvertedContactId FROM Lead WHERE IsConverted = true AND SystemModstamp > 2026-05-20T21:00:00Z")
	if recs := q.Obj(t)["records"].([]any); len(recs) != 1 {
		t.Errorf("poll for conversions: %s", q.Body)
	}

	for name, call := range map[string]func() resp{
		"update":        func() resp { return b.do("PATCH", v+"/sobjects/Lead/"+lead, map[string]any{"Title": "x"}) },
		"task on lead":  func() resp { return b.do("POST", v+"/sobjects/Task/", map[string]any{"Subject": "x", "WhoId": lead}) },
		"delete":        func() resp { return b.do("DELETE", v+"/sobjects/Lead/"+lead, nil) },
		"convert again": func() resp { return b.control("POST", "/__emulator/convert-lead", map[string]any{"leadId": lead}) },
	} {
		r := call()
		if r.Status != 400 || !strings.Contains(string(r.Body), "CANNOT_UPDATE_CONVERTED_LEAD") {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}

	t.Run("into existing account without opportunity", func(t *testing.T) {
		lead := b.create("Lead", map[string]any{"LastName": "Two", "Company": "Navy"})
		r := b.control("POST", "/__emulator/convert-lead", map[string]any{"leadId": lead, "accountId": res["accountId"], "doNotCreateOpportunity": true})
		m := r.Obj(t)
		if r.Status != 200 || m["accountId"] != res["accountId"] || m["opportunityId"] != nil {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
}

func TestFieldSecurity(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if r := b.control("POST", "/__emulator/field-security", map[string]any{"object": "Task", "field": "Type", "hidden": true}); r.Status != 204 {
		t.Fatalf("hide: %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(b.do("GET", v+"/sobjects/Task/describe", nil).Body), `"name":"Type"`) {
		t.Error("hidden field in describe")
	}
	if r := b.query("SELECT Id, Type FROM Task"); r.Status != 400 || r.ErrorCode(t) != "INVALID_FIELD" {
		t.Errorf("query hidden field: %d %s", r.Status, r.Body)
	}
	if r := b.do("POST", v+"/sobjects/Task/", map[string]any{"Subject": "s", "Type": "Call"}); r.Status != 400 || r.ErrorCode(t) != "INVALID_FIELD" {
		t.Errorf("write hidden field: %d %s", r.Status, r.Body)
	}
	id := b.create("Task", map[string]any{"Subject": "s"})
	if _, ok := b.get("Task", id)["Type"]; ok {
		t.Error("hidden field returned by GET")
	}
	b.control("POST", "/__emulator/field-security", map[string]any{"object": "Task", "field": "Type", "hidden": false})
	if r := b.do("PATCH", v+"/sobjects/Task/"+id, map[string]any{"Type": "Call"}); r.Status != 204 {
		t.Errorf("write after unhiding: %d %s", r.Status, r.Body)
	}
}

// TestReadOnlyFieldSecurity: a field made read-only for the API user is
// still described and read, with createable and updateable false, and
// writing it is INVALID_FIELD_FOR_INSERT_UPDATE naming the field.
func TestReadOnlyFieldSecurity(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead := b.create("Lead", map[string]any{"LastName": "L", "Company": "C", "Title": "Engineer"})
	if r := b.control("POST", "/__emulator/field-security", map[string]any{"object": "Lead", "field": "Title", "read_only": true}); r.Status != 204 {
		t.Fatalf("read-only: %d %s", r.Status, r.Body)
	}
	title := func() map[string]any {
		for _, f := range b.do("GET", v+"/sobjects/Lead/describe", nil).Obj(t)["fields"].([]any) {
			if f := f.(map[string]any); f["name"] == "Title" {
				return f
			}
		}
		return nil
	}
	if f := title(); f == nil || f["createable"] != false || f["updateable"] != false {
		t.Errorf("described Title = %v, want createable and updateable false", f)
	}
	if got := b.get("Lead", lead)["Title"]; got != "Engineer" {
		t.Errorf("read-only Title read as %v", got)
	}
	for name, r := range map[string]resp{
		"update": b.do("PATCH", v+"/sobjects/Lead/"+lead, map[string]any{"Title": "CTO"}),
		"create": b.do("POST", v+"/sobjects/Lead/", map[string]any{"LastName": "M", "Company": "C", "Title": "CTO"}),
	} {
		if r.Status != 400 || r.ErrorCode(t) != "INVALID_FIELD_FOR_INSERT_UPDATE" || !strings.Contains(string(r.Body), `"fields":["Title"]`) {
			t.Errorf("%s of a read-only field: %d %s", name, r.Status, r.Body)
		}
	}
	b.control("POST", "/__emulator/field-security", map[string]any{"object": "Lead", "field": "Title", "read_only": false})
	if f := title(); f["createable"] != true || f["updateable"] != true {
		t.Errorf("described Title after clearing read-only = %v", f)
	}
	if r := b.do("PATCH", v+"/sobjects/Lead/"+lead, map[string]any{"Title": "CTO"}); r.Status != 204 {
		t.Errorf("write after clearing read-only: %d %s", r.Status, r.Body)
	}
}

func TestPicklists(t *testing.T) {
	t.Parallel()
	b := setup(t)
	lead := b.create("Lead", map[string]any{"LastName": "A", "Company": "B", "LeadSource": "Intercom"})
	if r := b.control("POST", "/__emulator/restrict-picklist", map[string]any{"object": "Lead", "field": "LeadSource", "restricted": true}); r.Status != 204 {
		t.Fatalf("restrict: %d %s", r.Status, r.Body)
	}
	r := b.do("PATCH", v+"/sobjects/Lead/"+lead, map[string]any{"LeadSource": "Intercom"})
	if r.Status != 400 || r.ErrorCode(t) != "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" {
		t.Fatalf("restricted: %d %s", r.Status, r.Body)
	}
	if r := b.control("POST", "/__emulator/picklist-values", map[string]any{"object": "Lead", "field": "LeadSource", "value": "Intercom"}); r.Status != 204 {
		t.Fatalf("add value: %d %s", r.Status, r.Body)
	}
	if r := b.do("PATCH", v+"/sobjects/Lead/"+lead, map[string]any{"LeadSource": "Intercom"}); r.Status != 204 {
		t.Fatalf("after adding the value: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(string(b.do("GET", v+"/sobjects/Lead/describe", nil).Body), `"value":"Intercom"`) {
		t.Error("new value not in describe")
	}
}

func TestCustomFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		spec   map[string]any
		status int
	}{
		{map[string]any{"object": "Contact", "name": "Score__c", "type": "double"}, 204},
		{map[string]any{"object": "Contact", "name": "Vip__c", "type": "boolean"}, 204},
		{map[string]any{"object": "Contact", "name": "Plan__c", "type": "picklist", "picklistValues": []string{"Free", "Pro"}, "restrictedPicklist": true}, 204},
		{map[string]any{"object": "Contact", "name": "Score__c", "type": "double"}, 400},
		{map[string]any{"object": "Contact", "name": "NoSuffix", "type": "string"}, 400},
		{map[string]any{"object": "Contact", "name": "Weird__c", "type": "hologram"}, 400},
		{map[string]any{"object": "Nope", "name": "X__c", "type": "string"}, 400},
	}
	for _, tc := range tests {
		if r := b.control("POST", "/__emulator/fields", tc.spec); r.Status != tc.status {
			t.Errorf("%v: %d %s", tc.spec, r.Status, r.Body)
		}
	}
	id := b.create("Contact", map[string]any{"LastName": "X", "Score__c": 4.5, "Plan__c": "Pro"})
	c := b.get("Contact", id)
	if c["Score__c"] != 4.5 || c["Vip__c"] != false || c["Plan__c"] != "Pro" {
		t.Errorf("contact: %v", c)
	}
	if r := b.do("POST", v+"/sobjects/Contact/", map[string]any{"LastName": "X", "Plan__c": "Gold"}); r.Status != 400 || r.ErrorCode(t) != "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" {
		t.Errorf("restricted custom picklist: %d %s", r.Status, r.Body)
	}
	if r := b.query("SELECT Id FROM Contact WHERE Score__c > 4"); r.Obj(t)["totalSize"] != 1.0 {
		t.Errorf("query custom field: %s", r.Body)
	}
}

func TestAccessControls(t *testing.T) {
	t.Parallel()
	t.Run("api disabled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.control("POST", "/__emulator/api-access", map[string]any{"enabled": false})
		if r := b.do("GET", v+"/limits", nil); r.Status != 403 || r.ErrorCode(t) != "API_DISABLED_FOR_ORG" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		b.control("POST", "/__emulator/api-access", map[string]any{"enabled": true})
		if r := b.do("GET", v+"/limits", nil); r.Status != 200 {
			t.Fatalf("re-enabled: %d", r.Status)
		}
	})
	t.Run("revoke all", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if r := b.control("POST", "/__emulator/revoke-all", nil); r.Status != 204 {
			t.Fatalf("revoke-all: %d", r.Status)
		}
		if r := b.do("GET", v+"/limits", nil); r.Status != 401 || r.ErrorCode(t) != "INVALID_SESSION_ID" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("control needs basic auth", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		req, _ := http.NewRequest("GET", b.srv.URL+"/__emulator/usage", nil)
		req.SetBasicAuth(testUser, "wrong")
		if r := b.send(req); r.Status != 401 {
			t.Fatalf("got %d", r.Status)
		}
	})
	t.Run("ui changes are not api calls", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		r := b.control("POST", "/__emulator/records/Account", map[string]any{"Name": "UI"})
		if r.Status != 200 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := r.Obj(t)["id"].(string)
		if r := b.control("PATCH", "/__emulator/records/Account/"+id, map[string]any{"Name": "UI 2"}); r.Status != 204 {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		if r := b.control("POST", "/__emulator/records/Account", map[string]any{"Website": "x"}); r.Status != 400 || !strings.Contains(string(r.Body), "REQUIRED_FIELD_MISSING") {
			t.Fatalf("invalid create: %d %s", r.Status, r.Body)
		}
		if b.sf.APICalls() != 0 {
			t.Errorf("APICalls = %d", b.sf.APICalls())
		}
		if b.get("Account", id)["Name"] != "UI 2" {
			t.Error("patch not applied")
		}
	})
}

func TestFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		faults map[string]any
		method string
		status int
		code   string
	}{
		{map[string]any{"errorRate": 1, "errorStatus": 503}, "GET", 503, "SERVER_UNAVAILABLE"},
		{map[string]any{"errorRate": 1, "errorStatus": 500}, "GET", 500, "UNKNOWN_EXCEPTION"},
		{map[string]any{"lockRowRate": 1}, "PATCH", 400, "UNABLE_TO_LOCK_ROW"},
		{map[string]any{"lockRowRate": 1}, "GET", 200, ""},
		{map[string]any{"latencyMs": 1}, "GET", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.code+tc.method, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			acct := b.create("Account", map[string]any{"Name": "A"})
			if r := b.control("POST", "/__emulator/faults", tc.faults); r.Status != 204 {
				t.Fatalf("faults: %d %s", r.Status, r.Body)
			}
			r := b.do(tc.method, v+"/sobjects/Account/"+acct, map[string]any{"Name": "B"})
			if tc.method == "PATCH" && tc.status == 200 {
				tc.status = 204
			}
			if r.Status != tc.status || (tc.code != "" && r.ErrorCode(t) != tc.code) {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			b.control("POST", "/__emulator/faults", map[string]any{})
			if r := b.do("GET", v+"/sobjects/Account/"+acct, nil); r.Status != 200 {
				t.Fatalf("after clearing faults: %d", r.Status)
			}
		})
	}
	t.Run("bad fault spec", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		if r := b.control("POST", "/__emulator/faults", map[string]any{"errorRate": 2}); r.Status != 400 {
			t.Fatalf("got %d", r.Status)
		}
	})
}

func TestLoadRecordsAllOrNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	recs := []map[string]any{
		{"LastName": "A", "Company": "C", "Email": "a@example.com"},
		{"LastName": "B", "Company": "C", "NoSuchField": 1},
	}
	if _, err := b.sf.LoadRecords("Lead", recs); err == nil || !strings.Contains(err.Error(), "NoSuchField") {
		t.Fatalf("err = %v", err)
	}
	if r := b.query("SELECT COUNT() FROM Lead WHERE Email = 'a@example.com'"); r.Obj(t)["totalSize"] != 0.0 {
		t.Fatalf("partial load left records: %s", r.Body)
	}
	ids, err := b.sf.LoadRecords("Lead", recs[:1])
	if err != nil || len(ids) != 1 {
		t.Fatalf("load: %v %v", ids, err)
	}
	if got := b.get("Lead", ids[0]); got["Email"] != "a@example.com" || got["Status"] != "Open - Not Contacted" || got["Title"] != nil {
		t.Errorf("loaded lead: %v", got)
	}
}
