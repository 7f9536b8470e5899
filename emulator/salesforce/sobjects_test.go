package salesforce_test

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var idPattern = regexp.MustCompile(`^[0-9A-Za-z]{18}$`)

func TestCRUD(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.do(http.MethodPost, v+"/sobjects/Lead/", map[string]any{"FirstName": "Ada", "LastName": "Lovelace", "Company": "Analytical", "Email": "ada@example.com"})
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	res := r.Obj(t)
	id := res["id"].(string)
	if !idPattern.MatchString(id) || !strings.HasPrefix(id, "00Q") || res["success"] != true || len(res["errors"].([]any)) != 0 {
		t.Fatalf("create result: %s", r.Body)
	}
	if loc := r.Header.Get("Location"); loc != v+"/sobjects/Lead/"+id {
		t.Errorf("Location = %q", loc)
	}
	lead := b.get("Lead", id)
	want := map[string]any{
		"Id": id, "Name": "Ada Lovelace", "Status": "Open - Not Contacted", "IsConverted": false, "IsDeleted": false,
		"OwnerId": b.sf.LoginUserID(), "CreatedById": b.sf.LoginUserID(), "CreatedDate": "2026-05-20T20:49:32.000+0000",
		"SystemModstamp": "2026-05-20T20:49:32.000+0000", "ConvertedDate": nil,
	}
	for k, w := range want {
		if lead[k] != w {
			t.Errorf("%s = %v, want %v", k, lead[k], w)
		}
	}
	attrs := lead["attributes"].(map[string]any)
	if attrs["type"] != "Lead" || attrs["url"] != v+"/sobjects/Lead/"+id {
		t.Errorf("attributes = %v", attrs)
	}

	t.Run("get with fields", func(t *testing.T) {
		r := b.do(http.MethodGet, v+"/sobjects/Lead/"+id+"?fields=Email,LastName", nil)
		m := r.Obj(t)
		if len(m) != 3 || m["Email"] != "ada@example.com" || m["LastName"] != "Lovelace" {
			t.Fatalf("got %s", r.Body)
		}
	})
	t.Run("15-character id", func(t *testing.T) {
		if m := b.get("Lead", id[:15]); m["Id"] != id {
			t.Fatalf("Id = %v", m["Id"])
		}
	})

	b.clock.Advance(time.Minute)
	if r := b.do(http.MethodPatch, v+"/sobjects/Lead/"+id, map[string]any{"Title": "Countess", "LeadSource": "Intercom"}); r.Status != http.StatusNoContent {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	lead = b.get("Lead", id)
	if lead["Title"] != "Countess" || lead["LeadSource"] != "Intercom" || lead["SystemModstamp"] != "2026-05-20T20:50:32.000+0000" || lead["LastModifiedDate"] != "2026-05-20T20:50:32.000+0000" || lead["CreatedDate"] != "2026-05-20T20:49:32.000+0000" {
		t.Fatalf("after update: %v", lead)
	}
	t.Run("POST with _HttpMethod=PATCH", func(t *testing.T) {
		if r := b.do(http.MethodPost, v+"/sobjects/Lead/"+id+"?_HttpMethod=PATCH", map[string]any{"Title": "Mathematician"}); r.Status != http.StatusNoContent {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		if b.get("Lead", id)["Title"] != "Mathematician" {
			t.Fatal("not updated")
		}
	})

	if r := b.do(http.MethodDelete, v+"/sobjects/Lead/"+id, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete} {
		r := b.do(m, v+"/sobjects/Lead/"+id, map[string]any{"Title": "x"})
		if r.Status != http.StatusNotFound || r.ErrorCode(t) != "ENTITY_IS_DELETED" {
			t.Errorf("%s deleted: %d %s", m, r.Status, r.Body)
		}
	}
	if n := b.query("SELECT Id FROM Lead").Obj(t)["totalSize"]; n != 0.0 {
		t.Errorf("query sees deleted lead: %v", n)
	}
	r = b.do(http.MethodGet, v+"/queryAll?q=SELECT+Id,IsDeleted+FROM+Lead", nil)
	if recs := r.Obj(t)["records"].([]any); len(recs) != 1 || recs[0].(map[string]any)["IsDeleted"] != true {
		t.Errorf("queryAll: %s", r.Body)
	}
}

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	acct := b.create("Account", map[string]any{"Name": "Acme"})
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
		msg    string
		fields []string
	}{
		{"required fields", "POST", "/sobjects/Lead/", map[string]any{"FirstName": "A"}, 400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName, Company]", []string{"LastName", "Company"}},
		{"required on opportunity", "POST", "/sobjects/Opportunity/", map[string]any{"Name": "X"}, 400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [StageName, CloseDate]", []string{"StageName", "CloseDate"}},
		{"id in body", "POST", "/sobjects/Lead/", map[string]any{"Id": "00Q000000000000AAA", "LastName": "A", "Company": "B"}, 400, "INVALID_FIELD", "The Id field should not be specified in the sobject data.", nil},
		{"unknown field", "POST", "/sobjects/Lead/", map[string]any{"Foo": 1, "LastName": "A", "Company": "B"}, 400, "INVALID_FIELD", "No such column 'Foo' on sobject of type Lead", nil},
		{"read-only field", "POST", "/sobjects/Lead/", map[string]any{"IsConverted": true, "LastName": "A", "Company": "B"}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE", "", []string{"IsConverted"}},
		{"restricted picklist", "POST", "/sobjects/Lead/", map[string]any{"Status": "Bogus", "LastName": "A", "Company": "B"}, 400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Status: bad value for restricted picklist field: Bogus", []string{"Status"}},
		{"unknown object", "POST", "/sobjects/Nope/", map[string]any{"Name": "x"}, 404, "NOT_FOUND", "The requested resource does not exist", nil},
		{"unknown record", "GET", "/sobjects/Account/001Fy000000zzzzAAA", nil, 404, "NOT_FOUND", "", nil},
		{"bad json", "POST", "/sobjects/Account/", "{not json", 400, "JSON_PARSER_ERROR", "", nil},
		{"bad email", "POST", "/sobjects/Contact/", map[string]any{"LastName": "A", "Email": "nope"}, 400, "INVALID_EMAIL_ADDRESS", "Email: invalid email address: nope", []string{"Email"}},
		{"too long", "POST", "/sobjects/Account/", map[string]any{"Name": strings.Repeat("x", 256)}, 400, "STRING_TOO_LONG", "", []string{"Name"}},
		{"reference to wrong type", "POST", "/sobjects/Contact/", map[string]any{"LastName": "A", "AccountId": b.sf.LoginUserID()}, 400, "MALFORMED_ID", "", []string{"AccountId"}},
		{"null required on update", "PATCH", "/sobjects/Account/" + acct, map[string]any{"Name": nil}, 400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]", []string{"Name"}},
		{"update read-only", "PATCH", "/sobjects/Account/" + acct, map[string]any{"CreatedDate": "2020-01-01T00:00:00Z"}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE", "", []string{"CreatedDate"}},
		{"unsupported version", "GET", "/../v45.0/limits", nil, 404, "NOT_FOUND", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := v + tc.path
			if strings.HasPrefix(tc.path, "/../") {
				path = "/services/data/" + strings.TrimPrefix(tc.path, "/../")
			}
			r := b.do(tc.method, path, tc.body)
			if r.Status != tc.status || r.ErrorCode(t) != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			e := r.JSON(t).([]any)[0].(map[string]any)
			if tc.msg != "" && e["message"] != tc.msg {
				t.Errorf("message = %q, want %q", e["message"], tc.msg)
			}
			if tc.fields != nil {
				got, _ := e["fields"].([]any)
				if len(got) != len(tc.fields) {
					t.Fatalf("fields = %v, want %v", e["fields"], tc.fields)
				}
				for i := range got {
					if got[i] != tc.fields[i] {
						t.Errorf("fields = %v, want %v", got, tc.fields)
					}
				}
			}
		})
	}
}

func TestUniqueAndExternalID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if r := b.control("POST", "/__emulator/fields", map[string]any{"object": "Lead", "name": "Intercom_Id__c", "type": "string", "length": 64, "externalId": true, "unique": true}); r.Status != http.StatusNoContent {
		t.Fatalf("add field: %d %s", r.Status, r.Body)
	}
	if r := b.control("POST", "/__emulator/fields", map[string]any{"object": "Contact", "name": "Ext__c", "type": "string", "externalId": true}); r.Status != http.StatusNoContent {
		t.Fatalf("add field: %d %s", r.Status, r.Body)
	}
	first := b.create("Lead", map[string]any{"LastName": "A", "Company": "B", "Intercom_Id__c": "ic-1"})
	t.Run("duplicate value", func(t *testing.T) {
		r := b.do("POST", v+"/sobjects/Lead/", map[string]any{"LastName": "A", "Company": "B", "Intercom_Id__c": "IC-1"})
		if r.Status != 400 || r.ErrorCode(t) != "DUPLICATE_VALUE" || !strings.Contains(string(r.Body), first) {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("upsert creates then updates", func(t *testing.T) {
		r := b.do("PATCH", v+"/sobjects/Lead/Intercom_Id__c/ic-2", map[string]any{"LastName": "New", "Company": "Co"})
		if r.Status != http.StatusCreated || r.Obj(t)["created"] != true {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		id := r.Obj(t)["id"].(string)
		r = b.do("PATCH", v+"/sobjects/Lead/Intercom_Id__c/ic-2", map[string]any{"Title": "CEO"})
		if r.Status != http.StatusOK || r.Obj(t)["created"] != false || r.Obj(t)["id"] != id {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
		if got := b.get("Lead", id); got["Title"] != "CEO" || got["Intercom_Id__c"] != "ic-2" {
			t.Fatalf("record: %v", got)
		}
		if r := b.do("GET", v+"/sobjects/Lead/Intercom_Id__c/IC-2", nil); r.Status != 200 || r.Obj(t)["Id"] != id {
			t.Fatalf("get by external id: %d %s", r.Status, r.Body)
		}
	})
	t.Run("upsert updateOnly", func(t *testing.T) {
		if r := b.do("PATCH", v+"/sobjects/Lead/Intercom_Id__c/ic-none?updateOnly=true", map[string]any{"LastName": "X", "Company": "Y"}); r.Status != 404 {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("upsert bad field", func(t *testing.T) {
		r := b.do("PATCH", v+"/sobjects/Lead/Company/x", map[string]any{"LastName": "X"})
		if r.Status != 404 || r.ErrorCode(t) != "NOT_FOUND" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("upsert with several matches", func(t *testing.T) {
		b.create("Contact", map[string]any{"LastName": "A", "Ext__c": "dup"})
		b.create("Contact", map[string]any{"LastName": "B", "Ext__c": "dup"})
		r := b.do("PATCH", v+"/sobjects/Contact/Ext__c/dup", map[string]any{"Title": "x"})
		if r.Status != http.StatusMultipleChoices || len(r.JSON(t).([]any)) != 2 {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("missing required on upsert create", func(t *testing.T) {
		r := b.do("PATCH", v+"/sobjects/Lead/Intercom_Id__c/ic-3", map[string]any{"LastName": "X"})
		if r.Status != 400 || r.ErrorCode(t) != "REQUIRED_FIELD_MISSING" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("post Id creates", func(t *testing.T) {
		r := b.do("POST", v+"/sobjects/Account/Id", map[string]any{"Name": "Via Id"})
		if r.Status != http.StatusCreated {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
}

func TestUpdatedAndDeleted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := b.clock.Now()
	a := b.create("Account", map[string]any{"Name": "A"})
	b.clock.Advance(10 * time.Minute)
	c := b.create("Account", map[string]any{"Name": "C"})
	b.clock.Advance(10 * time.Minute)
	if r := b.do("DELETE", v+"/sobjects/Account/"+a, nil); r.Status != 204 {
		t.Fatal(r.Status)
	}
	end := b.clock.Now().Add(time.Minute)
	q := "?start=" + start.Add(5*time.Minute).Format(time.RFC3339) + "&end=" + end.Format("2006-01-02T15:04:05") + "%2B00:00"
	r := b.do("GET", v+"/sobjects/Account/updated/"+q, nil)
	m := r.Obj(t)
	if ids := m["ids"].([]any); r.Status != 200 || len(ids) != 1 || ids[0] != c || m["latestDateCovered"] != "2026-05-20T21:10:32.000+0000" {
		t.Fatalf("updated: %d %s", r.Status, r.Body)
	}
	r = b.do("GET", v+"/sobjects/Account/deleted/"+q, nil)
	m = r.Obj(t)
	dr := m["deletedRecords"].([]any)
	if r.Status != 200 || len(dr) != 1 || dr[0].(map[string]any)["id"] != a || dr[0].(map[string]any)["deletedDate"] != "2026-05-20T21:09:32.000+0000" {
		t.Fatalf("deleted: %d %s", r.Status, r.Body)
	}
	if _, ok := m["earliestDateAvailable"].(string); !ok {
		t.Errorf("no earliestDateAvailable: %s", r.Body)
	}
	if r := b.do("GET", v+"/sobjects/Account/updated/?start=bad&end=bad", nil); r.Status != 400 {
		t.Errorf("bad dates: %d %s", r.Status, r.Body)
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.do("GET", v+"/sobjects/Lead/describe", nil)
	if r.Status != 200 {
		t.Fatalf("describe: %d %s", r.Status, r.Body)
	}
	d := r.Obj(t)
	if d["name"] != "Lead" || d["keyPrefix"] != "00Q" || d["recordTypeInfos"] == nil || d["urls"].(map[string]any)["sobject"] != v+"/sobjects/Lead" {
		t.Fatalf("describe top level: %v", d["name"])
	}
	fields := map[string]map[string]any{}
	for _, f := range d["fields"].([]any) {
		fm := f.(map[string]any)
		fields[fm["name"].(string)] = fm
	}
	keys := []string{"name", "label", "type", "length", "byteLength", "precision", "scale", "digits", "createable", "updateable", "nillable", "defaultedOnCreate", "defaultValue", "unique", "externalId", "idLookup", "custom", "calculated", "autoNumber", "filterable", "sortable", "groupable", "nameField", "picklistValues", "restrictedPicklist", "dependentPicklist", "controllerName", "referenceTo", "relationshipName", "soapType", "htmlFormatted", "caseSensitive", "cascadeDelete"}
	for _, k := range keys {
		if _, ok := fields["Email"][k]; !ok {
			t.Errorf("field describe lacks %q", k)
		}
	}
	required := func(f map[string]any) bool {
		return f["createable"] == true && f["nillable"] == false && f["defaultedOnCreate"] == false
	}
	for name, f := range fields {
		if want := name == "LastName" || name == "Company"; required(f) != want {
			t.Errorf("%s required = %v, want %v", name, required(f), want)
		}
	}
	status := fields["Status"]
	if status["type"] != "picklist" || status["restrictedPicklist"] != true || len(status["picklistValues"].([]any)) != 4 {
		t.Errorf("Status: %v", status)
	}
	if owner := fields["OwnerId"]; owner["relationshipName"] != "Owner" || owner["referenceTo"].([]any)[0] != "User" {
		t.Errorf("OwnerId: %v", owner)
	}
	t.Run("case number is an auto-number", func(t *testing.T) {
		r := b.do("GET", v+"/sobjects/Case/describe", nil).Obj(t)
		for _, f := range r["fields"].([]any) {
			fm := f.(map[string]any)
			if fm["name"] == "CaseNumber" && (fm["autoNumber"] != true || fm["createable"] != false) {
				t.Errorf("CaseNumber: %v", fm)
			}
		}
		id := b.create("Case", map[string]any{"Subject": "Help"})
		if n := b.get("Case", id)["CaseNumber"]; n != "00001001" {
			t.Errorf("CaseNumber = %v", n)
		}
	})
	t.Run("global", func(t *testing.T) {
		g := b.do("GET", v+"/sobjects", nil).Obj(t)
		if g["encoding"] != "UTF-8" || g["maxBatchSize"] != 200.0 {
			t.Fatalf("global: %v", g)
		}
		names := map[string]string{}
		for _, o := range g["sobjects"].([]any) {
			om := o.(map[string]any)
			names[om["name"].(string)] = om["keyPrefix"].(string)
		}
		for name, prefix := range map[string]string{"User": "005", "Account": "001", "Contact": "003", "Lead": "00Q", "Opportunity": "006", "OpportunityContactRole": "00K", "Task": "00T", "Case": "500"} {
			if names[name] != prefix {
				t.Errorf("%s keyPrefix = %q, want %s", name, names[name], prefix)
			}
		}
	})
	t.Run("versions", func(t *testing.T) {
		r := b.doAs("", "GET", "/services/data/", nil)
		vs := r.JSON(t).([]any)
		if r.Status != 200 || len(vs) != 22 || r.Header.Get("Sforce-Limit-Info") != "" {
			t.Fatalf("versions: %d %d %q", r.Status, len(vs), r.Header.Get("Sforce-Limit-Info"))
		}
		if last := vs[0].(map[string]any); last["version"] != "46.0" || last["url"] != "/services/data/v46.0" {
			t.Errorf("last version: %v", last)
		}
	})
}

func TestRequestForms(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t.Run("gzip body", func(t *testing.T) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(`{"Name":"Zipped"}`))
		zw.Close()
		req, _ := http.NewRequest("POST", b.srv.URL+v+"/sobjects/Account/", &buf)
		req.Header.Set("Authorization", "Bearer "+b.token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", "gzip")
		r := b.send(req)
		if r.Status != 201 {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		if got := b.get("Account", r.Obj(t)["id"].(string))["Name"]; got != "Zipped" {
			t.Fatalf("Name = %v", got)
		}
	})
	t.Run("trailing slashes", func(t *testing.T) {
		r := b.do("POST", v+"/composite/sobjects/", map[string]any{"records": []any{map[string]any{"attributes": map[string]any{"type": "Account"}, "Name": "Slash"}}})
		if r.Status != 200 {
			t.Fatalf("collections/: %d %s", r.Status, r.Body)
		}
		for _, p := range []string{"/limits/", "/sobjects/", "/sobjects/Account/describe/", "/query/?q=SELECT+Id+FROM+Account"} {
			if r := b.do("GET", v+p, nil); r.Status != 200 {
				t.Errorf("%s: %d %s", p, r.Status, r.Body)
			}
		}
	})
	t.Run("newer versions", func(t *testing.T) {
		if r := b.do("GET", "/services/data/v63.0/limits", nil); r.Status != 200 {
			t.Errorf("v63.0: %d", r.Status)
		}
		if r := b.do("GET", "/services/data/v45.0/limits", nil); r.Status != 404 {
			t.Errorf("v45.0: %d", r.Status)
		}
	})
}

func TestCascadeDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	acct := b.create("Account", map[string]any{"Name": "Parent"})
	contact := b.create("Contact", map[string]any{"LastName": "Child", "AccountId": acct})
	opp := b.create("Opportunity", map[string]any{"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2026-06-30", "AccountId": acct})
	ocr := b.create("OpportunityContactRole", map[string]any{"OpportunityId": opp, "ContactId": contact})
	other := b.create("Contact", map[string]any{"LastName": "Unrelated"})
	if r := b.do("DELETE", v+"/sobjects/Account/"+acct, nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	for obj, id := range map[string]string{"Contact": contact, "Opportunity": opp, "OpportunityContactRole": ocr} {
		if r := b.do("GET", v+"/sobjects/"+obj+"/"+id, nil); r.Status != 404 || r.ErrorCode(t) != "ENTITY_IS_DELETED" {
			t.Errorf("%s after deleting its account: %d %s", obj, r.Status, r.Body)
		}
	}
	if r := b.do("GET", v+"/sobjects/Contact/"+other, nil); r.Status != 200 {
		t.Errorf("unrelated contact: %d", r.Status)
	}
}

// TestLatestVersionAlias: "latest" stands for the newest version in REST
// paths, and URLs in answers carry the number it resolved to.
func TestLatestVersionAlias(t *testing.T) {
	t.Parallel()
	b := setup(t)
	list := b.do("GET", "/services/data/", nil).JSON(t).([]any)
	newest := list[len(list)-1].(map[string]any)["url"].(string)

	r := b.do("POST", "/services/data/latest/sobjects/Account", map[string]any{"Name": "Latest"})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.Obj(t)["id"].(string)
	if loc := r.Header.Get("Location"); loc != newest+"/sobjects/Account/"+id {
		t.Errorf("Location = %q, want it under %s", loc, newest)
	}
	got := b.do("GET", "/services/data/latest/sobjects/Account/"+id, nil)
	if got.Status != 200 {
		t.Fatalf("get: %d %s", got.Status, got.Body)
	}
	if u := got.Obj(t)["attributes"].(map[string]any)["url"]; u != newest+"/sobjects/Account/"+id {
		t.Errorf("attributes.url = %v", u)
	}

	if r := b.do("GET", "/services/data/latest/limits", nil); r.Status != 200 || r.Header.Get("Sforce-Limit-Info") == "" {
		t.Errorf("limits via latest: %d %v", r.Status, r.Header)
	}
	if r := b.do("GET", "/services/data/newest/limits", nil); r.Status != 404 {
		t.Errorf("unknown alias: %d", r.Status)
	}
}
