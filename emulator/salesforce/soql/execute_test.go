package soql

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// Ids of the fixture records; short names keep the tables readable.
const (
	u1 = "005000000000001AAA"
	u2 = "005000000000002AAA"
	a1 = "001000000000001AAA"
)

func leadID(n string) string { return "00Q00000000000" + n + "AAA" }

// now anchors relative date literals in the fixtures.
var now = time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)

// run parses q, failing the test if it does not parse, and executes it.
func run(t *testing.T, src Source, q string, opts ExecOptions) (*Result, error) {
	t.Helper()
	parsed, err := Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	return Execute(parsed, src, opts)
}

// mustRun is run for a query that must succeed.
func mustRun(t *testing.T, src Source, q string, opts ExecOptions) *Result {
	t.Helper()
	res, err := run(t, src, q, opts)
	if err != nil {
		t.Fatalf("Execute(%q): %v", q, err)
	}
	return res
}

type fixture struct {
	src *memSource
}

func setup(t testing.TB) *fixture {
	t.Helper()
	s := newMemSource()
	s.addObject("User", []string{"Id:id", "Email:email", "Name:string", "ManagerId:reference", "IsActive:boolean"},
		[]string{"Manager:User:ManagerId"}, []string{"Id"})
	s.addObject("Account", []string{"Id:id", "Name:string", "OwnerId:reference"},
		[]string{"Owner:User:OwnerId"}, []string{"Id"})
	s.addObject("Lead", []string{
		"Id:id", "FirstName:string", "LastName:string", "Email:email", "Company:string", "Status:picklist",
		"IsConverted:boolean", "NumberOfEmployees:int", "AnnualRevenue:currency", "Birthday__c:date",
		"CreatedDate:datetime", "SystemModstamp:datetime", "OwnerId:reference", "Ext__c:string",
		"Description:textarea", "ConvertedAccountId:reference", "Score__c:double",
	}, []string{"Owner:User:OwnerId", "ConvertedAccount:Account:ConvertedAccountId"}, []string{"Id", "Email", "Ext__c"})

	s.add("User", false, memRecord{"Id": u1, "Email": "alice@example.com", "Name": "Alice", "ManagerId": u2, "IsActive": true})
	s.add("User", false, memRecord{"Id": u2, "Email": "bob@example.com", "Name": "Bob", "ManagerId": nil, "IsActive": true})
	s.add("Account", false, memRecord{"Id": a1, "Name": "Acme", "OwnerId": u2})

	lead := func(n string, deleted bool, kv ...any) {
		r := memRecord{"Id": leadID(n)}
		for i := 0; i < len(kv); i += 2 {
			r[kv[i].(string)] = kv[i+1]
		}
		s.add("Lead", deleted, r)
	}
	lead("1", false, "FirstName", "Ann", "LastName", "Smith", "Email", "ann@acme.com", "Company", "Acme", "Status", "Open",
		"IsConverted", false, "NumberOfEmployees", 10.0, "AnnualRevenue", 1000.5, "Birthday__c", "1990-05-01",
		"CreatedDate", "2024-01-01T00:00:00.000+0000", "SystemModstamp", "2024-03-01T10:00:00.000+0000",
		"OwnerId", u1, "Ext__c", "ext-1", "Description", "50% off_sale", "Score__c", 1.5)
	lead("2", false, "FirstName", nil, "LastName", "O'Brien", "Email", "OBRIEN@Example.com", "Company", "Globex", "Status", "Working",
		"IsConverted", true, "NumberOfEmployees", 200.0, "AnnualRevenue", nil, "Birthday__c", nil,
		"CreatedDate", "2024-01-02T12:30:00.000+0000", "SystemModstamp", "2024-03-01T10:00:00.000+0000",
		"OwnerId", u2, "Ext__c", "ext-2", "Description", `path\to`, "ConvertedAccountId", a1, "Score__c", 2.0)
	lead("3", false, "FirstName", "Zoë", "LastName", "smith", "Email", nil, "Company", "acme", "Status", "Open",
		"IsConverted", false, "NumberOfEmployees", nil, "AnnualRevenue", 50.0, "Birthday__c", "1985-12-31",
		"CreatedDate", "2023-12-31T23:59:59.000+0000", "SystemModstamp", "2024-02-15T08:00:00.000+0000",
		"OwnerId", nil, "Ext__c", nil, "Description", "line1\nline2", "Score__c", nil)
	lead("4", false, "FirstName", "Bob", "LastName", "Jones", "Email", "bob@jones.io", "Company", "Initech", "Status", "Closed",
		"IsConverted", false, "NumberOfEmployees", 10.0, "AnnualRevenue", 99999.0, "Birthday__c", "2000-02-29",
		"CreatedDate", "2024-06-15T01:00:00.000+0000", "SystemModstamp", "2024-06-15T01:00:00.000+0000",
		"OwnerId", u1, "Ext__c", "ext-4", "Description", nil, "Score__c", -1.0)
	lead("5", false, "FirstName", "Cy", "LastName", "Young", "Email", "cy@young.org", "Company", "Young & Sons", "Status", nil,
		"IsConverted", false, "NumberOfEmployees", 3.0, "AnnualRevenue", 0.0, "Birthday__c", "1990-05-01",
		"CreatedDate", "2024-06-14T23:00:00.000+0000", "SystemModstamp", "2024-06-14T23:00:00.000+0000",
		"OwnerId", u1, "Ext__c", "EXT-5", "Description", "", "Score__c", 0.0)
	lead("6", false, "FirstName", "Di", "LastName", "100% Real", "Email", "di@x.com", "Company", "X_Co", "Status", "Open",
		"IsConverted", false, "NumberOfEmployees", 5000.0, "AnnualRevenue", -10.0, "Birthday__c", "1970-01-01",
		"CreatedDate", "2024-06-01T00:00:00.000+0000", "SystemModstamp", "2024-06-01T00:00:00.000+0000",
		"OwnerId", "005000000000009AAA", "Ext__c", "ext-6", "Description", "Zed", "Score__c", 3.25)
	lead("7", true, "FirstName", "Gone", "LastName", "Deleted", "Email", "gone@x.com", "Company", "Acme", "Status", "Open",
		"IsConverted", false, "CreatedDate", "2024-06-10T00:00:00.000+0000", "SystemModstamp", "2024-06-10T00:00:00.000+0000",
		"OwnerId", u1, "Ext__c", "ext-7")
	return &fixture{src: s}
}

// ids returns the short lead names of records ("1", "2", …).
func ids(recs []Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		id := r.Get("Id").(string)
		out[i] = strings.TrimSuffix(strings.TrimPrefix(id, "00Q00000000000"), "AAA")
	}
	return out
}

func TestExecute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		q       string
		want    []string
		ordered bool // otherwise compared as sets
		all     bool // queryAll
	}{
		{"no where", "SELECT Id FROM Lead", []string{"1", "2", "3", "4", "5", "6"}, false, false},
		{"query all includes deleted", "SELECT Id FROM Lead", []string{"1", "2", "3", "4", "5", "6", "7"}, false, true},
		{"text equal ignores case", "SELECT Id FROM Lead WHERE Company = 'ACME'", []string{"1", "3"}, false, false},
		{"text not equal includes nulls", "SELECT Id FROM Lead WHERE Status != 'Open'", []string{"2", "4", "5"}, false, false},
		{"diamond", "SELECT Id FROM Lead WHERE Status <> 'Open'", []string{"2", "4", "5"}, false, false},
		{"equal null", "SELECT Id FROM Lead WHERE Email = null", []string{"3"}, false, false},
		{"not equal null", "SELECT Id FROM Lead WHERE Status != null", []string{"1", "2", "3", "4", "6"}, false, false},
		{"text less ignores case", "SELECT Id FROM Lead WHERE LastName < 'n'", []string{"4", "6"}, false, false},
		{"text greater equal", "SELECT Id FROM Lead WHERE LastName >= 'SMITH'", []string{"1", "3", "5"}, false, false},
		{"number equal", "SELECT Id FROM Lead WHERE NumberOfEmployees = 10", []string{"1", "4"}, false, false},
		{"number less skips nulls", "SELECT Id FROM Lead WHERE NumberOfEmployees < 100", []string{"1", "4", "5"}, false, false},
		{"number greater", "SELECT Id FROM Lead WHERE NumberOfEmployees > 10", []string{"2", "6"}, false, false},
		{"number le ge", "SELECT Id FROM Lead WHERE AnnualRevenue >= 0 AND AnnualRevenue <= 1000.5", []string{"1", "3", "5"}, false, false},
		{"negative number", "SELECT Id FROM Lead WHERE AnnualRevenue < -1", []string{"6"}, false, false},
		{"double", "SELECT Id FROM Lead WHERE Score__c > 1.5", []string{"2", "6"}, false, false},
		{"boolean", "SELECT Id FROM Lead WHERE IsConverted = true", []string{"2"}, false, false},
		{"boolean not", "SELECT Id FROM Lead WHERE IsConverted != TRUE", []string{"1", "3", "4", "5", "6"}, false, false},
		{"in text", "SELECT Id FROM Lead WHERE Status IN ('open', 'CLOSED')", []string{"1", "3", "4", "6"}, false, false},
		{"in with null", "SELECT Id FROM Lead WHERE Status IN ('Closed', null)", []string{"4", "5"}, false, false},
		{"not in", "SELECT Id FROM Lead WHERE Status NOT IN ('Open', 'Working')", []string{"4", "5"}, false, false},
		{"not in with null", "SELECT Id FROM Lead WHERE Status NOT IN ('Open', null)", []string{"2", "4"}, false, false},
		{"in numbers", "SELECT Id FROM Lead WHERE NumberOfEmployees IN (3, 5000)", []string{"5", "6"}, false, false},
		{"in long list uses set", "SELECT Id FROM Lead WHERE LastName IN ('a','b','c','d','e','f','g','SMITH','young')", []string{"1", "3", "5"}, false, false},
		{"not in long list", "SELECT Id FROM Lead WHERE Status NOT IN ('a','b','c','d','e','f','g','open')", []string{"2", "4", "5"}, false, false},
		{"id 15 and 18", "SELECT Id FROM Lead WHERE Id IN ('00Q000000000001', '00Q000000000002AAA')", []string{"1", "2"}, false, false},
		{"id is case sensitive", "SELECT Id FROM Lead WHERE Id = '00q000000000001AAA'", []string{}, false, false},
		{"reference 15", "SELECT Id FROM Lead WHERE OwnerId = '005000000000001'", []string{"1", "4", "5"}, false, false},
		{"like prefix", "SELECT Id FROM Lead WHERE LastName LIKE 'sm%'", []string{"1", "3"}, false, false},
		{"like underscore", "SELECT Id FROM Lead WHERE FirstName LIKE '_o_'", []string{"3", "4"}, false, false},
		{"like unicode", "SELECT Id FROM Lead WHERE FirstName LIKE 'ZO_'", []string{"3"}, false, false},
		{"like inner", "SELECT Id FROM Lead WHERE Email LIKE '%@%.com'", []string{"1", "2", "6"}, false, false},
		{"like escaped percent", `SELECT Id FROM Lead WHERE Description LIKE '50\% %'`, []string{"1"}, false, false},
		{"like escaped underscore", `SELECT Id FROM Lead WHERE Company LIKE 'X\_%'`, []string{"6"}, false, false},
		{"like unescaped underscore matches any", `SELECT Id FROM Lead WHERE Description LIKE '%f_sale'`, []string{"1"}, false, false},
		{"like literal percent needs escape", `SELECT Id FROM Lead WHERE LastName LIKE '100\%%'`, []string{"6"}, false, false},
		{"like backslash", `SELECT Id FROM Lead WHERE Description LIKE 'path\\to'`, []string{"2"}, false, false},
		{"like no wildcard is whole match", "SELECT Id FROM Lead WHERE LastName LIKE 'smit'", []string{}, false, false},
		{"like empty matches nothing", "SELECT Id FROM Lead WHERE Description LIKE ''", []string{}, false, false},
		{"blank string is null", "SELECT Id FROM Lead WHERE Description = ''", []string{"4", "5"}, false, false},
		{"blank value is null", "SELECT Id FROM Lead WHERE Description = null", []string{"4", "5"}, false, false},
		{"not blank", "SELECT Id FROM Lead WHERE Description != ''", []string{"1", "2", "3", "6"}, false, false},
		{"escaped quote", `SELECT Id FROM Lead WHERE LastName = 'o\'brien'`, []string{"2"}, false, false},
		{"escaped newline", `SELECT Id FROM Lead WHERE Description = 'LINE1\nline2'`, []string{"3"}, false, false},
		{"unicode escape", `SELECT Id FROM Lead WHERE FirstName = 'Zo\u00EB'`, []string{"3"}, false, false},
		{"and", "SELECT Id FROM Lead WHERE Status = 'Open' AND NumberOfEmployees = 10", []string{"1"}, false, false},
		{"or", "SELECT Id FROM Lead WHERE Status = 'Working' OR NumberOfEmployees = 3", []string{"2", "5"}, false, false},
		{"not", "SELECT Id FROM Lead WHERE NOT Status = 'Open'", []string{"2", "4", "5"}, false, false},
		{"not binds to one term", "SELECT Id FROM Lead WHERE NOT Status = 'Open' AND IsConverted = false", []string{"4", "5"}, false, false},
		{"not of group", "SELECT Id FROM Lead WHERE NOT (Status = 'Open' OR IsConverted = true)", []string{"4", "5"}, false, false},
		{"parentheses change meaning a", "SELECT Id FROM Lead WHERE (Status = 'Open' AND Company = 'acme') OR LastName = 'Young'", []string{"1", "3", "5"}, false, false},
		{"parentheses change meaning b", "SELECT Id FROM Lead WHERE Status = 'Open' AND (Company = 'acme' OR LastName = 'Young')", []string{"1", "3"}, false, false},
		{"date equal", "SELECT Id FROM Lead WHERE Birthday__c = 1990-05-01", []string{"1", "5"}, false, false},
		{"date less", "SELECT Id FROM Lead WHERE Birthday__c < 1986-01-01", []string{"3", "6"}, false, false},
		{"datetime greater", "SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01T00:00:00Z", []string{"2", "4", "5", "6"}, false, false},
		{"datetime greater equal", "SELECT Id FROM Lead WHERE CreatedDate >= 2024-01-01T00:00:00Z", []string{"1", "2", "4", "5", "6"}, false, false},
		{"datetime with offset", "SELECT Id FROM Lead WHERE CreatedDate < 2024-01-01T01:00:00+01:00", []string{"3"}, false, false},
		{"datetime millis +0000", "SELECT Id FROM Lead WHERE CreatedDate = 2024-01-02T12:30:00.000+0000", []string{"2"}, false, false},
		{"datetime millis Z", "SELECT Id FROM Lead WHERE CreatedDate <= 2023-12-31T23:59:59.000Z", []string{"3"}, false, false},
		{"today", "SELECT Id FROM Lead WHERE CreatedDate = TODAY", []string{"4"}, false, false},
		{"yesterday", "SELECT Id FROM Lead WHERE CreatedDate = YESTERDAY", []string{"5"}, false, false},
		{"before today", "SELECT Id FROM Lead WHERE CreatedDate < TODAY AND CreatedDate > 2024-06-01T00:00:00Z", []string{"5"}, false, false},
		{"last n days", "SELECT Id FROM Lead WHERE CreatedDate = LAST_N_DAYS:14", []string{"4", "5", "6"}, false, false},
		{"last n days on date", "SELECT Id FROM Lead WHERE Birthday__c = LAST_N_DAYS:3", []string{}, false, false},
		{"not in range", "SELECT Id FROM Lead WHERE CreatedDate != LAST_N_DAYS:14", []string{"1", "2", "3"}, false, false},
		{"parent path filter", "SELECT Id FROM Lead WHERE Owner.Email = 'ALICE@example.com'", []string{"1", "4", "5"}, false, false},
		{"grandparent path", "SELECT Id FROM Lead WHERE Owner.Manager.Name = 'Bob'", []string{"1", "4", "5"}, false, false},
		{"parent null", "SELECT Id FROM Lead WHERE Owner.Email = null", []string{"3", "6"}, false, false},
		{"order asc nulls first default", "SELECT Id FROM Lead ORDER BY NumberOfEmployees", []string{"3", "5", "1", "4", "2", "6"}, true, false},
		{"order desc nulls last default", "SELECT Id FROM Lead ORDER BY NumberOfEmployees DESC", []string{"6", "2", "1", "4", "5", "3"}, true, false},
		{"order asc nulls last", "SELECT Id FROM Lead ORDER BY NumberOfEmployees ASC NULLS LAST", []string{"5", "1", "4", "2", "6", "3"}, true, false},
		{"order desc nulls first", "SELECT Id FROM Lead ORDER BY NumberOfEmployees DESC NULLS FIRST", []string{"3", "6", "2", "1", "4", "5"}, true, false},
		{"order several", "SELECT Id FROM Lead ORDER BY NumberOfEmployees DESC NULLS LAST, LastName DESC", []string{"6", "2", "1", "4", "5", "3"}, true, false},
		{"order text ignores case", "SELECT Id FROM Lead WHERE LastName LIKE 's%' ORDER BY LastName, FirstName DESC", []string{"3", "1"}, true, false},
		{"order datetime then id", "SELECT Id FROM Lead ORDER BY SystemModstamp, Id", []string{"3", "1", "2", "6", "5", "4"}, true, false},
		{"order datetime desc then id desc", "SELECT Id FROM Lead ORDER BY SystemModstamp DESC, Id DESC", []string{"4", "5", "6", "2", "1", "3"}, true, false},
		{"order boolean", "SELECT Id FROM Lead WHERE NumberOfEmployees = 10 OR IsConverted = true ORDER BY IsConverted DESC, Id", []string{"2", "1", "4"}, true, false},
		{"order date", "SELECT Id FROM Lead ORDER BY Birthday__c DESC, Id", []string{"4", "1", "5", "3", "6", "2"}, true, false},
		{"order parent path", "SELECT Id FROM Lead WHERE OwnerId != null ORDER BY Owner.Name DESC, Id", []string{"2", "1", "4", "5", "6"}, true, false},
		{"limit", "SELECT Id FROM Lead ORDER BY Id LIMIT 2", []string{"1", "2"}, true, false},
		{"limit offset", "SELECT Id FROM Lead ORDER BY Id LIMIT 2 OFFSET 3", []string{"4", "5"}, true, false},
		{"offset past end", "SELECT Id FROM Lead ORDER BY Id OFFSET 10", []string{}, true, false},
		{"offset only", "SELECT Id FROM Lead ORDER BY Id DESC OFFSET 4", []string{"2", "1"}, true, false},
		{"limit zero", "SELECT Id FROM Lead ORDER BY Id LIMIT 0", []string{}, true, false},
		{"limit without order keeps scan order", "SELECT Id FROM Lead LIMIT 3 OFFSET 1", []string{"2", "3", "4"}, true, false},
		{"top k with ties keeps scan order", "SELECT Id FROM Lead ORDER BY NumberOfEmployees NULLS LAST LIMIT 3 OFFSET 1", []string{"1", "4", "2"}, true, false},
		{"object prefix", "SELECT Lead.Id FROM Lead WHERE Lead.Email = 'di@x.com'", []string{"6"}, false, false},
		{"names any case", "select id from LEAD where EMAIL = 'di@x.com'", []string{"6"}, false, false},
		{"multi-line", "SELECT Id\nFROM Lead\nWHERE Status = 'Working'\n", []string{"2"}, false, false},
	}
	f := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := mustRun(t, f.src, tt.q, ExecOptions{IncludeDeleted: tt.all, Now: now})
			got := ids(res.Records)
			want := slices.Clone(tt.want)
			if !tt.ordered {
				slices.Sort(got)
				slices.Sort(want)
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
			if res.Count != len(res.Records) {
				t.Errorf("Count = %d, len(Records) = %d", res.Count, len(res.Records))
			}
		})
	}
}

func TestExecuteCount(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tests := []struct {
		q    string
		want int
	}{
		{"SELECT COUNT() FROM Lead", 6},
		{"SELECT COUNT() FROM Lead WHERE Status = 'Open'", 3},
		{"SELECT COUNT() FROM Lead WHERE Email = 'nobody@x.com'", 0},
		{"SELECT COUNT() FROM Lead LIMIT 2", 2},
		{"SELECT COUNT() FROM User", 2},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			t.Parallel()
			res := mustRun(t, f.src, tt.q, ExecOptions{Now: now})
			if res.Count != tt.want || len(res.Records) != 0 {
				t.Errorf("Count = %d (records %d), want %d", res.Count, len(res.Records), tt.want)
			}
		})
	}
}

// TestLookup asserts through the store's counters that equality and IN on
// indexed fields never scan, and that the rest of the WHERE still applies.
func TestLookup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		q       string
		want    []string
		lookups int64
		scans   int64
	}{
		{"email equal", "SELECT Id FROM Lead WHERE Email = 'ANN@acme.com'", []string{"1"}, 1, 0},
		{"id in 15 and 18", "SELECT Id FROM Lead WHERE Id IN ('00Q000000000002', '00Q000000000004AAA', '00Q000000000002AAA')", []string{"2", "4"}, 1, 0},
		{"ext in with filter", "SELECT Id FROM Lead WHERE Status = 'Open' AND Ext__c IN ('EXT-1', 'ext-5', 'ext-6')", []string{"1", "6"}, 1, 0},
		{"lookup excludes deleted", "SELECT Id FROM Lead WHERE Ext__c = 'ext-7'", []string{}, 1, 0},
		{"id preferred over email", "SELECT Id FROM Lead WHERE Email = 'di@x.com' AND Id = '00Q000000000006AAA'", []string{"6"}, 1, 0},
		{"nested and", "SELECT Id FROM Lead WHERE (Status = 'Open' AND (IsConverted = false AND Email = 'di@x.com'))", []string{"6"}, 1, 0},
		{"not indexed scans", "SELECT Id FROM Lead WHERE LastName = 'Jones'", []string{"4"}, 0, 1},
		{"or scans", "SELECT Id FROM Lead WHERE Email = 'di@x.com' OR LastName = 'Jones'", []string{"4", "6"}, 0, 1},
		{"not equal scans", "SELECT Id FROM Lead WHERE Email != 'di@x.com' AND Email != null AND IsConverted = true", []string{"2"}, 0, 1},
		{"null equality scans", "SELECT Id FROM Lead WHERE Email = null", []string{"3"}, 0, 1},
		{"blank equality scans", "SELECT Id FROM Lead WHERE Email IN ('di@x.com', '')", []string{"3", "6"}, 0, 1},
		{"lookup then order and limit", "SELECT Id FROM Lead WHERE Ext__c IN ('ext-1','ext-2','ext-4') ORDER BY Id DESC LIMIT 2", []string{"4", "2"}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t) // own counters
			res := mustRun(t, f.src, tt.q, ExecOptions{Now: now})
			got := ids(res.Records)
			if !strings.Contains(tt.q, "ORDER BY") {
				slices.Sort(got)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if l, s := f.src.lookups.Load(), f.src.scans.Load(); l != tt.lookups || s != tt.scans {
				t.Errorf("lookups=%d scans=%d, want %d and %d", l, s, tt.lookups, tt.scans)
			}
		})
	}
	t.Run("lookup with deleted", func(t *testing.T) {
		t.Parallel()
		f := setup(t)
		res := mustRun(t, f.src, "SELECT Id FROM Lead WHERE Ext__c = 'ext-7'", ExecOptions{IncludeDeleted: true})
		if got := ids(res.Records); !slices.Equal(got, []string{"7"}) {
			t.Errorf("got %v", got)
		}
	})
}

func TestValidate(t *testing.T) {
	t.Parallel()
	f := setup(t)
	q, err := Parse("SELECT id, OWNER.email, convertedaccount.owner.NAME FROM lead WHERE owner.manager.EMAIL != null ORDER BY systemmodstamp")
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(q, f.src); err != nil {
		t.Fatal(err)
	}
	if q.Object != "Lead" {
		t.Errorf("Object = %q", q.Object)
	}
	want := []Path{
		{Field: "Id", Relationships: []string{}, Objects: []string{"Lead"}, FKFields: []string{}, Type: "id"},
		{Field: "Email", Relationships: []string{"Owner"}, Objects: []string{"Lead", "User"}, FKFields: []string{"OwnerId"}, Type: "email"},
		{Field: "Name", Relationships: []string{"ConvertedAccount", "Owner"}, Objects: []string{"Lead", "Account", "User"}, FKFields: []string{"ConvertedAccountId", "OwnerId"}, Type: "string"},
	}
	for i, w := range want {
		g := q.Fields[i]
		if g.Field != w.Field || g.Type != w.Type || !slices.Equal(g.Relationships, w.Relationships) ||
			!slices.Equal(g.Objects, w.Objects) || !slices.Equal(g.FKFields, w.FKFields) {
			t.Errorf("field %d = %+v, want %+v", i, g, w)
		}
	}
	if got := q.String(); got != "SELECT Id, Owner.Email, ConvertedAccount.Owner.Name FROM Lead WHERE Owner.Manager.Email != null ORDER BY SystemModstamp ASC" {
		t.Errorf("String() = %q", got)
	}
	// Path helpers used by the emulator's projection.
	lead2, _ := f.src.Get(leadID("2"))
	if v := q.Fields[2].Value(f.src, lead2); v != "Bob" {
		t.Errorf("ConvertedAccount.Owner.Name = %v", v)
	}
	if acc, ok := q.Fields[2].Parent(f.src, lead2, 1); !ok || acc.Get("Name") != "Acme" {
		t.Errorf("Parent(1) = %v, %v", acc, ok)
	}
	lead3, _ := f.src.Get(leadID("3"))
	if v := q.Fields[1].Value(f.src, lead3); v != nil {
		t.Errorf("Owner.Email of ownerless lead = %v", v)
	}
	if _, ok := q.Fields[1].Parent(f.src, lead3, 1); ok {
		t.Error("Parent of null reference reported ok")
	}
}

func TestValidateErrors(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tests := []struct {
		name     string
		q        string
		code     string
		row, col int
		text     string
	}{
		{"unknown field", "SELECT Naem FROM Lead", CodeInvalidField, 1, 8,
			"No such column 'Naem' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"unknown object", "SELECT Id FROM Foo", CodeInvalidType, 1, 16,
			"sObject type 'Foo' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."},
		{"unknown relationship", "SELECT Ownr.Email FROM Lead", CodeInvalidField, 1, 8,
			"Didn't understand relationship 'Ownr' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names."},
		{"unknown parent field", "SELECT Id, Owner.Emial FROM Lead", CodeInvalidField, 1, 12,
			"No such column 'Emial' on entity 'User'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"unknown where field on line 3", "SELECT Id\nFROM Lead\nWHERE  Bogus__c = 'x'", CodeInvalidField, 3, 8,
			"No such column 'Bogus__c' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"unknown order field", "SELECT Id FROM Lead ORDER BY Nope", CodeInvalidField, 1, 30,
			"No such column 'Nope' on entity 'Lead'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."},
		{"string vs datetime", "SELECT Id FROM Lead WHERE CreatedDate > '2024-01-01'", CodeInvalidField, 1, 41,
			"value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes"},
		{"date vs datetime", "SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01", CodeInvalidField, 1, 41,
			"value of filter criterion for field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes"},
		{"datetime vs date", "SELECT Id FROM Lead WHERE Birthday__c = 2024-01-01T00:00:00Z", CodeInvalidField, 1, 41,
			"value of filter criterion for field 'Birthday__c' must be of type date and should not be enclosed in quotes"},
		{"string vs boolean", "SELECT Id FROM Lead WHERE IsConverted = 'false'", CodeInvalidField, 1, 41,
			"value of filter criterion for field 'IsConverted' must be of type boolean and should not be enclosed in quotes"},
		{"string vs int", "SELECT Id FROM Lead WHERE NumberOfEmployees = '5'", CodeInvalidField, 1, 47,
			"value of filter criterion for field 'NumberOfEmployees' must be of type integer and should not be enclosed in quotes"},
		{"string vs currency", "SELECT Id FROM Lead WHERE AnnualRevenue IN (1, '5')", CodeInvalidField, 1, 48,
			"value of filter criterion for field 'AnnualRevenue' must be of type double and should not be enclosed in quotes"},
		{"number vs string", "SELECT Id FROM Lead WHERE Email = 5", CodeInvalidField, 1, 35,
			"value of filter criterion for field 'Email' must be of type string and should be enclosed in quotes"},
		{"boolean vs string on parent", "SELECT Id FROM Lead WHERE Owner.Name = true", CodeInvalidField, 1, 40,
			"value of filter criterion for field 'Owner.Name' must be of type string and should be enclosed in quotes"},
		{"number vs id", "SELECT Id FROM Lead WHERE Id = 5", CodeInvalidField, 1, 32,
			"value of filter criterion for field 'Id' must be of type id and should be enclosed in quotes"},
		{"like on number", "SELECT Id FROM Lead WHERE NumberOfEmployees LIKE '1%'", CodeInvalidField, 1, 27,
			"invalid operator on int field: NumberOfEmployees"},
		{"less on boolean", "SELECT Id FROM Lead WHERE IsConverted < true", CodeInvalidField, 1, 27,
			"invalid operator on boolean field: IsConverted"},
		{"malformed id", "SELECT Id FROM Lead WHERE Id IN ('00Q000000000001AAA', '123')", CodeInvalidQueryFilterOperator, 1, 56,
			"invalid ID field: 123"},
		{"malformed reference", "SELECT Id FROM Lead WHERE OwnerId = '005-00000000001'", CodeInvalidQueryFilterOperator, 1, 37,
			"invalid ID field: 005-00000000001"},
		{"duplicate field", "SELECT Id, Email, ID FROM Lead", CodeInvalidField, 0, 0, "duplicate field selected: Id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := run(t, f.src, tt.q, ExecOptions{Now: now})
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *Error", err)
			}
			if se.Code != tt.code || se.Row != tt.row || se.Column != tt.col || se.Text != tt.text {
				t.Errorf("got %s row %d col %d %q\nwant %s row %d col %d %q", se.Code, se.Row, se.Column, se.Text, tt.code, tt.row, tt.col, tt.text)
			}
		})
	}
}

// TestSalesforceExample pins the exact message from Salesforce's own
// documentation example.
func TestSalesforceExample(t *testing.T) {
	t.Parallel()
	s := newMemSource()
	s.addObject("Account", []string{"Id:id", "Name:string"}, nil, nil)
	_, err := run(t, s, "SELECT Naem FROM Account", ExecOptions{})
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("err = %v", err)
	}
	want := "\nSELECT Naem FROM Account\n       ^\nERROR at Row:1:Column:8\nNo such column 'Naem' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."
	if se.Message != want || se.Code != "INVALID_FIELD" {
		t.Errorf("got %s %q\nwant %q", se.Code, se.Message, want)
	}
}
