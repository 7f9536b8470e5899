package salesforce_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ferrysync/ferry/emulator/salesforce"
)

// createWith creates a record over REST with extra request headers.
func (b *bundle) createWith(object string, fields map[string]any, hdr ...string) resp {
	b.t.Helper()
	buf, _ := json.Marshal(fields)
	req, _ := http.NewRequest(http.MethodPost, b.srv.URL+v+"/sobjects/"+object+"/", bytes.NewReader(buf))
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return b.send(req)
}

func TestAssignmentRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	agent, err := b.sf.CreateRecord("User", map[string]any{"Username": "agent@x.example", "Email": "agent@x.example", "LastName": "Agent", "Alias": "agent"})
	if err != nil {
		t.Fatal(err)
	}
	queue, err := b.sf.CreateRecord("User", map[string]any{"Username": "triage@x.example", "Email": "triage@x.example", "LastName": "Triage", "Alias": "triage"})
	if err != nil {
		t.Fatal(err)
	}
	r := b.control("POST", "/__emulator/assignment-rules", map[string]any{"object": "Case", "name": "Support", "active": true,
		"entries": []map[string]any{{"field": "Priority", "value": "High", "ownerId": agent}, {"ownerId": queue}}})
	if r.Status != 200 {
		t.Fatalf("add rule: %d %s", r.Status, r.Body)
	}
	ruleID := r.Obj(t)["id"].(string)
	loginUser := b.get("User", b.query("SELECT Id FROM User WHERE Username = '" + testUser + "'").Obj(t)["records"].([]any)[0].(map[string]any)["Id"].(string))["Id"]

	owner := func(r resp) any {
		t.Helper()
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		return b.get("Case", r.Obj(t)["id"].(string))["OwnerId"]
	}
	for _, tc := range []struct {
		name   string
		fields map[string]any
		hdr    []string
		want   any
	}{
		{"no header runs the active rule", map[string]any{"Subject": "a", "Priority": "High"}, nil, agent},
		{"TRUE runs it too; the catch-all entry", map[string]any{"Subject": "b", "Priority": "Low"}, []string{"Sforce-Auto-Assign", "true"}, queue},
		{"the rule overrides a given owner", map[string]any{"Subject": "c", "OwnerId": agent}, nil, queue},
		{"FALSE keeps the given owner", map[string]any{"Subject": "d", "Priority": "High", "OwnerId": queue}, []string{"Sforce-Auto-Assign", "FALSE"}, queue},
		{"FALSE without owner: the caller", map[string]any{"Subject": "e"}, []string{"Sforce-Auto-Assign", "false"}, loginUser},
		{"a rule id runs that rule", map[string]any{"Subject": "f", "Priority": "High"}, []string{"Sforce-Auto-Assign", ruleID}, agent},
	} {
		if got := owner(b.createWith("Case", tc.fields, tc.hdr...)); got != tc.want {
			t.Errorf("%s: owner %v, want %v", tc.name, got, tc.want)
		}
	}
	if r := b.createWith("Case", map[string]any{"Subject": "g"}, "Sforce-Auto-Assign", "maybe"); r.Status != 400 || r.ErrorCode(t) != "MALFORMED_ID" {
		t.Errorf("a malformed header: %d %s", r.Status, r.Body)
	}
	// An update runs the rule too, unless the header says FALSE.
	kept := b.createWith("Case", map[string]any{"Subject": "i", "OwnerId": agent}, "Sforce-Auto-Assign", "FALSE").Obj(t)["id"].(string)
	req, _ := http.NewRequest(http.MethodPatch, b.srv.URL+v+"/sobjects/Case/"+kept, strings.NewReader(`{"Subject":"i2"}`))
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sforce-Auto-Assign", "FALSE")
	if r := b.send(req); r.Status != http.StatusNoContent || b.get("Case", kept)["OwnerId"] != agent {
		t.Errorf("update with FALSE: %d, owner %v, want %s kept", r.Status, b.get("Case", kept)["OwnerId"], agent)
	}
	if r := b.do(http.MethodPatch, v+"/sobjects/Case/"+kept, map[string]any{"Subject": "i3"}); r.Status != http.StatusNoContent || b.get("Case", kept)["OwnerId"] != queue {
		t.Errorf("update without the header: owner %v, want the rule's %s", b.get("Case", kept)["OwnerId"], queue)
	}

	// A composite subrequest carries its own header.
	r = b.do(http.MethodPost, v+"/composite", map[string]any{"allOrNone": true, "compositeRequest": []map[string]any{
		{"method": "POST", "url": v + "/sobjects/Case", "referenceId": "c", "body": map[string]any{"Subject": "h", "OwnerId": agent},
			"httpHeaders": map[string]string{"Sforce-Auto-Assign": "FALSE"}},
		{"method": "GET", "url": v + "/sobjects/Case/@{c.id}?fields=OwnerId", "referenceId": "read"},
	}})
	if !strings.Contains(string(r.Body), `"OwnerId":"`+agent+`"`) {
		t.Errorf("composite with Sforce-Auto-Assign FALSE: %s", r.Body)
	}
	// The rule is an AssignmentRule record the API can read.
	if r := b.query("SELECT Id, Name, Active FROM AssignmentRule WHERE SobjectType = 'Case'"); r.Status != 200 || !strings.Contains(string(r.Body), `"Active":true`) {
		t.Errorf("query rules: %d %s", r.Status, r.Body)
	}
}

func TestValidationRulesAndRequiredCustomFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if r := b.control("POST", "/__emulator/validation-rules", map[string]any{"object": "Case", "field": "Description", "blank": true,
		"message": "Describe the problem"}); r.Status != 204 {
		t.Fatalf("add validation rule: %d %s", r.Status, r.Body)
	}
	r := b.createWith("Case", map[string]any{"Subject": "x"})
	if r.Status != 400 || r.ErrorCode(t) != "FIELD_CUSTOM_VALIDATION_EXCEPTION" || !strings.Contains(string(r.Body), `"fields":["Description"]`) ||
		!strings.Contains(string(r.Body), "Describe the problem") {
		t.Fatalf("validation rule: %d %s", r.Status, r.Body)
	}
	if r := b.control("POST", "/__emulator/fields", map[string]any{"object": "Case", "name": "Product__c", "type": "text", "required": true}); r.Status != 204 {
		t.Fatalf("add required field: %d %s", r.Status, r.Body)
	}
	r = b.createWith("Case", map[string]any{"Subject": "x", "Description": "y"})
	if r.Status != 400 || r.ErrorCode(t) != "REQUIRED_FIELD_MISSING" || !strings.Contains(string(r.Body), `"fields":["Product__c"]`) {
		t.Fatalf("required custom field: %d %s", r.Status, r.Body)
	}
	d := b.do(http.MethodGet, v+"/sobjects/Case/describe", nil).Obj(t)
	for _, f := range d["fields"].([]any) {
		if f := f.(map[string]any); f["name"] == "Product__c" && (f["nillable"] != false || f["createable"] != true || f["defaultedOnCreate"] != false) {
			t.Errorf("describe of a required field: %v", f)
		}
	}
	if r := b.createWith("Case", map[string]any{"Subject": "x", "Description": "y", "Product__c": "Rocket"}); r.Status != http.StatusCreated {
		t.Fatalf("valid case: %d %s", r.Status, r.Body)
	}
}

func TestProfilesAndObjectPermissions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	readOnly := b.sf.ProfileID(salesforce.ProfileReadOnly)
	if readOnly == "" {
		t.Fatal("no Read Only profile")
	}
	if _, err := b.sf.CreateRecord("User", map[string]any{"Username": "std@x.example", "Email": "std@x.example", "LastName": "Std", "Alias": "std"}); err != nil {
		t.Fatal(err)
	}
	viewer, err := b.sf.CreateRecord("User", map[string]any{"Username": "ro@x.example", "Email": "ro@x.example", "LastName": "Ro", "Alias": "ro", "ProfileId": readOnly})
	if err != nil {
		t.Fatal(err)
	}
	editors := func() []string {
		var out []string
		var perms, psas struct {
			Records []map[string]any `json:"records"`
		}
		_ = json.Unmarshal(b.query("SELECT ParentId FROM ObjectPermissions WHERE SobjectType = 'Case' AND PermissionsEdit = true").Body, &perms)
		_ = json.Unmarshal(b.query("SELECT PermissionSetId, Assignee.Email FROM PermissionSetAssignment WHERE Assignee.Email LIKE '%@x.example' AND Assignee.IsActive = true").Body, &psas)
		edit := map[any]bool{}
		for _, p := range perms.Records {
			edit[p["ParentId"]] = true
		}
		for _, a := range psas.Records {
			if edit[a["PermissionSetId"]] {
				out = append(out, a["Assignee"].(map[string]any)["Email"].(string))
			}
		}
		return out
	}
	if got := strings.Join(editors(), ","); got != "std@x.example" {
		t.Fatalf("users who may edit cases: %q, want the standard user only", got)
	}
	// A new profile moves the user's profile assignment.
	if err := b.sf.UpdateRecord("User", viewer, map[string]any{"ProfileId": b.sf.ProfileID(salesforce.ProfileStandardUser)}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(editors(), ","); got != "std@x.example,ro@x.example" {
		t.Fatalf("after the profile change: %q", got)
	}
}
