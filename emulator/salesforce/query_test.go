package salesforce_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ferrysync/ferry/emulator/salesforce"
)

func TestQueryPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 4100
	recs := make([]map[string]any, n)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range recs {
		recs[i] = map[string]any{"LastName": fmt.Sprintf("L%05d", i), "Company": "Co", "Email": fmt.Sprintf("l%d@example.com", i), "SystemModstamp": base.Add(time.Duration(i) * time.Second)}
	}
	if _, err := b.sf.LoadRecords("Lead", recs); err != nil {
		t.Fatal(err)
	}
	if b.sf.APICalls() != 0 {
		t.Fatal("LoadRecords counted API calls")
	}
	r := b.query("SELECT Id, LastName, SystemModstamp FROM Lead WHERE SystemModstamp > 2025-12-31T00:00:00Z ORDER BY SystemModstamp, Id")
	seen := 0
	pages := 0
	var last string
	for {
		if r.Status != 200 {
			t.Fatalf("page %d: %d %s", pages, r.Status, r.Body)
		}
		m := r.Obj(t)
		if m["totalSize"] != float64(n) {
			t.Fatalf("totalSize = %v", m["totalSize"])
		}
		recs := m["records"].([]any)
		for _, x := range recs {
			ms := x.(map[string]any)["SystemModstamp"].(string)
			if ms < last {
				t.Fatalf("out of order: %s after %s", ms, last)
			}
			last = ms
		}
		seen += len(recs)
		pages++
		if m["done"] == true {
			if _, ok := m["nextRecordsUrl"]; ok {
				t.Error("nextRecordsUrl present when done")
			}
			break
		}
		if len(recs) != 2000 {
			t.Fatalf("page %d has %d records", pages, len(recs))
		}
		next := m["nextRecordsUrl"].(string)
		locator := next[strings.LastIndexByte(next, '/')+1:]
		if !strings.HasPrefix(next, v+"/query/01g") || strings.Contains(locator, "/") || !strings.HasSuffix(locator, fmt.Sprintf("-%d", seen)) {
			t.Fatalf("nextRecordsUrl = %s", next)
		}
		r = b.do("GET", next, nil)
	}
	if seen != n || pages != 3 {
		t.Fatalf("saw %d records in %d pages", seen, pages)
	}
	t.Run("batch size header", func(t *testing.T) {
		req, _ := http.NewRequest("GET", b.srv.URL+v+"/query?q=SELECT+Id+FROM+Lead", nil)
		req.Header.Set("Authorization", "Bearer "+b.token)
		req.Header.Set("Sforce-Query-Options", "batchSize=500")
		if recs := b.send(req).Obj(t)["records"].([]any); len(recs) != 500 {
			t.Fatalf("got %d records", len(recs))
		}
	})
	t.Run("bad locator", func(t *testing.T) {
		if r := b.do("GET", v+"/query/01gNOPE-2000", nil); r.Status != 400 || r.ErrorCode(t) != "INVALID_QUERY_LOCATOR" {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
	})
	t.Run("indexed equality is case-insensitive", func(t *testing.T) {
		r := b.query("SELECT Id, Email FROM Lead WHERE Email = 'L123@EXAMPLE.com'")
		recs := r.Obj(t)["records"].([]any)
		if len(recs) != 1 || recs[0].(map[string]any)["Email"] != "l123@example.com" {
			t.Fatalf("got %s", r.Body)
		}
	})
}

func TestQueryShapes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	acct := b.create("Account", map[string]any{"Name": "Acme"})
	c1 := b.create("Contact", map[string]any{"LastName": "One", "Email": "one@acme.example", "AccountId": acct})
	b.create("Contact", map[string]any{"LastName": "Two"})
	tests := []struct {
		name string
		soql string
		want func(t *testing.T, r resp)
	}{
		{"parent relationship", "SELECT Id, Email, Owner.Email, Account.Name, Account.Owner.Username FROM Contact WHERE Id = '" + c1 + "'", func(t *testing.T, r resp) {
			rec := r.Obj(t)["records"].([]any)[0].(map[string]any)
			owner := rec["Owner"].(map[string]any)
			if owner["Email"] != testUser || owner["attributes"].(map[string]any)["type"] != "User" {
				t.Errorf("Owner = %v", owner)
			}
			a := rec["Account"].(map[string]any)
			if a["Name"] != "Acme" || a["Owner"].(map[string]any)["Username"] != testUser {
				t.Errorf("Account = %v", a)
			}
			keys := []string{}
			for _, k := range []string{"attributes", "Id", "Email", "Owner", "Account"} {
				if _, ok := rec[k]; ok {
					keys = append(keys, k)
				}
			}
			if len(keys) != 5 || len(rec) != 5 {
				t.Errorf("record keys: %v", rec)
			}
		}},
		{"null parent", "SELECT Id, Account.Name FROM Contact WHERE LastName = 'Two'", func(t *testing.T, r resp) {
			rec := r.Obj(t)["records"].([]any)[0].(map[string]any)
			if v, ok := rec["Account"]; !ok || v != nil {
				t.Errorf("Account = %v (present %v)", v, ok)
			}
		}},
		{"count", "SELECT COUNT() FROM Contact", func(t *testing.T, r resp) {
			m := r.Obj(t)
			if m["totalSize"] != 2.0 || m["done"] != true || len(m["records"].([]any)) != 0 {
				t.Errorf("got %s", r.Body)
			}
		}},
		{"in and or", "SELECT Id FROM Contact WHERE Email IN ('ONE@acme.example', 'x@y.z') OR LastName = 'Two' ORDER BY LastName DESC LIMIT 5", func(t *testing.T, r resp) {
			if r.Obj(t)["totalSize"] != 2.0 {
				t.Errorf("got %s", r.Body)
			}
		}},
		{"malformed", "SELECT Id FROM Contact WHERE", func(t *testing.T, r resp) {
			if r.Status != 400 || r.ErrorCode(t) != "MALFORMED_QUERY" || !strings.Contains(string(r.Body), "ERROR at Row:1:Column:") {
				t.Errorf("got %d %s", r.Status, r.Body)
			}
		}},
		{"unknown object", "SELECT Id FROM Nope", func(t *testing.T, r resp) {
			if r.Status != 400 || r.ErrorCode(t) != "INVALID_TYPE" {
				t.Errorf("got %d %s", r.Status, r.Body)
			}
		}},
		{"unknown field", "SELECT Naem FROM Account", func(t *testing.T, r resp) {
			msg := r.JSON(t).([]any)[0].(map[string]any)["message"]
			if r.Status != 400 || r.ErrorCode(t) != "INVALID_FIELD" || !strings.HasPrefix(msg.(string), "\nSELECT Naem FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Naem' on entity 'Account'.") {
				t.Errorf("got %d %s", r.Status, r.Body)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.want(t, b.query(tc.soql))
		})
	}
	if r := b.do("GET", v+"/query", nil); r.Status != 400 || r.ErrorCode(t) != "MALFORMED_QUERY" {
		t.Errorf("missing q: %d %s", r.Status, r.Body)
	}
}

func TestDemoSeed(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *salesforce.Options) { o.Seed = "demo" })
	for _, tc := range []struct {
		soql string
		min  float64
	}{
		{"SELECT COUNT() FROM User WHERE IsActive = true", 5},
		{"SELECT COUNT() FROM Account", 5},
		{"SELECT COUNT() FROM Contact WHERE Email != null", 10},
		{"SELECT COUNT() FROM Lead WHERE Status = 'Working - Contacted'", 2},
		{"SELECT COUNT() FROM Lead WHERE IsConverted = true", 1},
		{"SELECT COUNT() FROM Opportunity WHERE IsClosed = true", 1},
		{"SELECT COUNT() FROM Opportunity WHERE IsClosed = false", 1},
		{"SELECT COUNT() FROM OpportunityContactRole", 5},
		{"SELECT COUNT() FROM Case", 3},
		{"SELECT COUNT() FROM Task", 5},
		{"SELECT COUNT() FROM User WHERE Title != null AND UserRoleId != null", 5},
	} {
		r := b.query(tc.soql)
		if n, _ := r.Obj(t)["totalSize"].(float64); n < tc.min {
			t.Errorf("%s: %v, want ≥ %v (%s)", tc.soql, n, tc.min, r.Body)
		}
	}
}

// TestQueriesFerryNeeds runs the shapes of query the sync service relies on
// (DESIGN F3.6 owner role, F6.3 open opportunities, F6.4 open cases) against
// the demo org.
func TestQueriesFerryNeeds(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *salesforce.Options) { o.Seed = "demo" })
	role := b.query("SELECT Id, Owner.Name, Owner.Email, Owner.UserRole.Name FROM Contact WHERE Email != null ORDER BY Email LIMIT 1")
	rec := role.Obj(t)["records"].([]any)[0].(map[string]any)
	ur, _ := rec["Owner"].(map[string]any)["UserRole"].(map[string]any)
	if ur == nil || ur["Name"] == nil || ur["attributes"].(map[string]any)["type"] != "UserRole" {
		t.Fatalf("owner role: %s", role.Body)
	}
	ocr := b.query("SELECT ContactId, OpportunityId, Opportunity.StageName FROM OpportunityContactRole WHERE Opportunity.IsClosed = false")
	if r := ocr.Obj(t); ocr.Status != 200 || r["totalSize"].(float64) < 1 {
		t.Fatalf("open opportunity roles: %d %s", ocr.Status, ocr.Body)
	}
	for _, x := range ocr.Obj(t)["records"].([]any) {
		stage := x.(map[string]any)["Opportunity"].(map[string]any)["StageName"]
		if stage == "Closed Won" || stage == "Closed Lost" {
			t.Errorf("closed opportunity returned: %v", x)
		}
	}
	cases := b.query("SELECT CaseNumber, Status, Priority, Contact.Email FROM Case WHERE IsClosed = false ORDER BY CaseNumber")
	if r := cases.Obj(t); cases.Status != 200 || r["totalSize"].(float64) < 1 {
		t.Fatalf("open cases: %d %s", cases.Status, cases.Body)
	}
	conv := b.query("SELECT Id, ConvertedContactId, ConvertedAccountId, ConvertedOpportunityId, ConvertedDate FROM Lead WHERE IsConverted = true AND SystemModstamp > 2020-01-01T00:00:00.000+0000 ORDER BY SystemModstamp, Id")
	if r := conv.Obj(t); conv.Status != 200 || r["totalSize"].(float64) != 3 {
		t.Fatalf("converted leads: %d %s", conv.Status, conv.Body)
	}
}

// TestQueryDatetimePast2262: over REST, a datetime past 2262 (where Unix
// nanoseconds overflow) compares exactly: nothing was modified after 2999,
// everything before it (issue 8 item 13).
func TestQueryDatetimePast2262(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.create("Lead", map[string]any{"LastName": "A", "Company": "Co"})
	b.create("Lead", map[string]any{"LastName": "B", "Company": "Co"})
	for q, want := range map[string]float64{
		"SELECT Id FROM Lead WHERE SystemModstamp > 2999-01-01T00:00:00Z": 0,
		"SELECT Id FROM Lead WHERE SystemModstamp < 2999-01-01T00:00:00Z": 2,
		"SELECT Id FROM Lead WHERE CreatedDate > 1700-01-01T00:00:00Z":    2,
	} {
		r := b.query(q)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", q, r.Status, r.Body)
		}
		if got := r.Obj(t)["totalSize"]; got != want {
			t.Errorf("%s: totalSize = %v, want %v", q, got, want)
		}
	}
}
