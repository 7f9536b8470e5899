package soql

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string // Query.String()
	}{
		{"minimal", "SELECT Id FROM Lead", "SELECT Id FROM Lead"},
		{"keywords any case", "select id, email from lead where email = 'a@b.c' order by id desc limit 5",
			"SELECT id, email FROM lead WHERE email = 'a@b.c' ORDER BY id DESC LIMIT 5"},
		{"sync poll", "SELECT Id, Email, SystemModstamp FROM Lead WHERE SystemModstamp > 2024-01-01T00:00:00Z AND IsConverted = false ORDER BY SystemModstamp ASC LIMIT 200",
			"SELECT Id, Email, SystemModstamp FROM Lead WHERE (SystemModstamp > 2024-01-01T00:00:00Z AND IsConverted = false) ORDER BY SystemModstamp ASC LIMIT 200"},
		{"parent paths", "SELECT Owner.Email, Owner.Manager.Name FROM Lead", "SELECT Owner.Email, Owner.Manager.Name FROM Lead"},
		{"count", "SELECT COUNT() FROM Lead WHERE Status = 'Open'", "SELECT COUNT() FROM Lead WHERE Status = 'Open'"},
		{"count spaced", "SELECT count ( ) FROM Lead", "SELECT COUNT() FROM Lead"},
		{"diamond is not-equal", "SELECT Id FROM Lead WHERE Email <> null", "SELECT Id FROM Lead WHERE Email != null"},
		{"all comparison ops", "SELECT Id FROM Lead WHERE A = 1 AND B != 2 AND C < 3 AND D <= 4 AND E > 5 AND F >= -6.5",
			"SELECT Id FROM Lead WHERE (A = 1 AND B != 2 AND C < 3 AND D <= 4 AND E > 5 AND F >= -6.5)"},
		{"in and not in", "SELECT Id FROM Lead WHERE Id IN ('00Q1','00Q2') AND Email NOT IN ('x', null)",
			"SELECT Id FROM Lead WHERE (Id IN ('00Q1', '00Q2') AND Email NOT IN ('x', null))"},
		{"like", "SELECT Id FROM Lead WHERE Name LIKE 'Ac%\\_x'", "SELECT Id FROM Lead WHERE Name LIKE 'Ac%\\_x'"},
		{"not binds tighter", "SELECT Id FROM Lead WHERE NOT A = 1 AND B = 2", "SELECT Id FROM Lead WHERE ((NOT A = 1) AND B = 2)"},
		{"parentheses", "SELECT Id FROM Lead WHERE (A = 1 OR B = 2) AND C = 3", "SELECT Id FROM Lead WHERE ((A = 1 OR B = 2) AND C = 3)"},
		{"nested parentheses", "SELECT Id FROM Lead WHERE ((A = 1))", "SELECT Id FROM Lead WHERE A = 1"},
		{"not of group", "SELECT Id FROM Lead WHERE NOT (A = 1 OR B = 2)", "SELECT Id FROM Lead WHERE (NOT (A = 1 OR B = 2))"},
		{"booleans and null any case", "SELECT Id FROM Lead WHERE A = TRUE AND B = False AND C = NULL",
			"SELECT Id FROM Lead WHERE (A = true AND B = false AND C = null)"},
		{"date", "SELECT Id FROM Lead WHERE Birthday__c >= 2024-01-31", "SELECT Id FROM Lead WHERE Birthday__c >= 2024-01-31"},
		{"datetime offset", "SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01T00:00:00+01:00", "SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01T00:00:00+01:00"},
		{"datetime millis +0000", "SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01T00:00:00.000+0000", "SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01T00:00:00.000+0000"},
		{"datetime millis Z", "SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01T00:00:00.000Z", "SELECT Id FROM Lead WHERE CreatedDate > 2024-01-01T00:00:00.000Z"},
		{"relative dates", "SELECT Id FROM Lead WHERE CreatedDate = today OR CreatedDate = YESTERDAY OR CreatedDate > last_n_days:30",
			"SELECT Id FROM Lead WHERE (CreatedDate = TODAY OR CreatedDate = YESTERDAY OR CreatedDate > LAST_N_DAYS:30)"},
		{"escapes", `SELECT Id FROM Lead WHERE Name = 'Bob\'s \"BBQ\" \\ \n\t\u00e9'`, `SELECT Id FROM Lead WHERE Name = 'Bob\'s \"BBQ\" \\ \n\t\u00e9'`},
		{"order by several", "SELECT Id FROM Lead ORDER BY LastName DESC NULLS LAST, FirstName NULLS FIRST, Id",
			"SELECT Id FROM Lead ORDER BY LastName DESC NULLS LAST, FirstName ASC NULLS FIRST, Id ASC"},
		{"limit offset", "SELECT Id FROM Lead LIMIT 10 OFFSET 2000", "SELECT Id FROM Lead LIMIT 10 OFFSET 2000"},
		{"limit zero", "SELECT Id FROM Lead LIMIT 0", "SELECT Id FROM Lead LIMIT 0"},
		{"multi-line", "SELECT Id,\n  Email\nFROM Lead\nWHERE Email = 'x'\n", "SELECT Id, Email FROM Lead WHERE Email = 'x'"},
		{"custom names", "SELECT Ext__c, Partner__r.Name FROM Thing__c", "SELECT Ext__c, Partner__r.Name FROM Thing__c"},
		{"group object", "SELECT Id FROM Group WHERE Name = 'x'", "SELECT Id FROM Group WHERE Name = 'x'"},
		{"order object", "SELECT Id FROM Order ORDER BY Id", "SELECT Id FROM Order ORDER BY Id ASC"},
		{"no space around ops", "SELECT Id FROM Lead WHERE A=1 AND B!='x'", "SELECT Id FROM Lead WHERE (A = 1 AND B != 'x')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := q.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseClauses(t *testing.T) {
	t.Parallel()
	q, err := Parse("SELECT COUNT() FROM Lead LIMIT 7 OFFSET 3")
	if err != nil {
		t.Fatal(err)
	}
	if !q.IsCount || q.Limit != 7 || q.Offset != 3 || len(q.Fields) != 0 {
		t.Errorf("got IsCount=%v Limit=%d Offset=%d Fields=%v", q.IsCount, q.Limit, q.Offset, q.Fields)
	}
	q, err = Parse("SELECT Owner.Manager.Email FROM Lead")
	if err != nil {
		t.Fatal(err)
	}
	if q.Limit != NoLimit || q.IsCount {
		t.Errorf("Limit = %d, IsCount = %v", q.Limit, q.IsCount)
	}
	p := q.Fields[0]
	if strings.Join(p.Relationships, "/") != "Owner/Manager" || p.Field != "Email" {
		t.Errorf("path = %+v", p)
	}
	q, err = Parse(`SELECT Id FROM Lead WHERE Name = 'a\'b\\c\u0041\n' AND Name LIKE 'x\%y\_z'`)
	if err != nil {
		t.Fatal(err)
	}
	terms := q.Where.(*Logical).Terms
	if got := terms[0].(*Condition).Value.Str; got != "a'b\\cA\n" {
		t.Errorf("unescaped = %q", got)
	}
	if got := terms[1].(*Condition).Value.Str; got != `x\%y\_z` {
		t.Errorf("like operand = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		code     string
		row, col int
		text     string
	}{
		{"empty", "", CodeMalformedQuery, 1, 1, "unexpected token: '<EOF>'"},
		{"not select", "UPDATE Lead", CodeMalformedQuery, 1, 1, "unexpected token: 'UPDATE'"},
		{"no fields", "SELECT FROM Lead", CodeMalformedQuery, 1, 8, "unexpected token: 'FROM'"},
		{"trailing comma", "SELECT Id, FROM Lead", CodeMalformedQuery, 1, 12, "unexpected token: 'FROM'"},
		{"missing from", "SELECT Id Lead", CodeMalformedQuery, 1, 11, "a field alias is not supported by this emulator"},
		{"missing object", "SELECT Id FROM", CodeMalformedQuery, 1, 15, "unexpected token: '<EOF>'"},
		{"missing value", "SELECT Id FROM Lead WHERE Email =", CodeMalformedQuery, 1, 34, "unexpected token: '<EOF>'"},
		{"double quotes", `SELECT Id FROM Lead WHERE Email = "x"`, CodeMalformedQuery, 1, 35, `unexpected token: '"'`},
		{"unterminated string", "SELECT Id FROM Lead WHERE Email = 'x", CodeMalformedQuery, 1, 35, "unexpected token: '<EOF>'"},
		{"bad escape", `SELECT Id FROM Lead WHERE Email = 'a\qb'`, CodeMalformedQuery, 1, 35,
			`Invalid string literal 'a\qb'. Illegal character sequence '\q' in string literal.`},
		{"like escape outside like", `SELECT Id FROM Lead WHERE Email = 'a\%'`, CodeMalformedQuery, 1, 35,
			`Invalid string literal 'a\%'. Illegal character sequence '\%' in string literal.`},
		{"short unicode escape", `SELECT Id FROM Lead WHERE Email = '\u12'`, CodeMalformedQuery, 1, 35,
			`Invalid string literal '\u12'. Illegal character sequence '\u' in string literal.`},
		{"mixed and or", "SELECT Id FROM Lead WHERE A = 1 AND B = 2 OR C = 3", CodeMalformedQuery, 1, 43, "unexpected token: 'OR'"},
		{"mixed or and", "SELECT Id FROM Lead WHERE A = 1 OR B = 2 AND C = 3", CodeMalformedQuery, 1, 42, "unexpected token: 'AND'"},
		{"unbalanced paren", "SELECT Id FROM Lead WHERE (A = 1", CodeMalformedQuery, 1, 33, "unexpected token: '<EOF>'"},
		{"extra paren", "SELECT Id FROM Lead WHERE A = 1)", CodeMalformedQuery, 1, 32, "unexpected token: ')'"},
		{"bare word value", "SELECT Id FROM Lead WHERE A = foo", CodeMalformedQuery, 1, 31, "unexpected token: 'foo'"},
		{"bad datetime", "SELECT Id FROM Lead WHERE A > 2024-01-01T00:00", CodeMalformedQuery, 1, 31, "unexpected token: '2024-01-01T00:00'"},
		{"glued date", "SELECT Id FROM Lead WHERE A > 2024-01-01x", CodeMalformedQuery, 1, 31, "unexpected token: '2024-01-01x'"},
		{"limit not number", "SELECT Id FROM Lead LIMIT x", CodeMalformedQuery, 1, 27, "unexpected token: 'x'"},
		{"negative limit", "SELECT Id FROM Lead LIMIT -1", CodeMalformedQuery, 1, 27, "unexpected token: '-1'"},
		{"offset before limit", "SELECT Id FROM Lead OFFSET 1 LIMIT 1", CodeMalformedQuery, 1, 30, "unexpected token: 'LIMIT'"},
		{"offset too large", "SELECT Id FROM Lead OFFSET 2001", CodeNumberOutsideValidRange, 0, 0, "Maximum SOQL offset allowed is 2000"},
		{"group by", "SELECT Status FROM Lead GROUP BY Status", CodeMalformedQuery, 1, 25, "GROUP BY is not supported by this emulator"},
		{"for update", "SELECT Id FROM Lead LIMIT 1 FOR UPDATE", CodeMalformedQuery, 1, 29, "FOR UPDATE is not supported by this emulator"},
		{"subquery", "SELECT Id, (SELECT Id FROM Contacts) FROM Account", CodeMalformedQuery, 1, 12, "a subquery is not supported by this emulator"},
		{"semi-join", "SELECT Id FROM Lead WHERE Id IN (SELECT LeadId FROM X)", CodeMalformedQuery, 1, 34, "a semi-join subquery is not supported by this emulator"},
		{"aggregate", "SELECT MAX(Amount) FROM Lead", CodeMalformedQuery, 1, 8, "the function MAX() is not supported by this emulator"},
		{"count field", "SELECT COUNT(Id) FROM Lead", CodeMalformedQuery, 1, 8, "COUNT(field) is not supported by this emulator"},
		{"count with field", "SELECT COUNT(), Id FROM Lead", CodeMalformedQuery, 1, 15, "unexpected token: ','"},
		{"order by with count", "SELECT COUNT() FROM Lead ORDER BY Id", CodeMalformedQuery, 1, 26, "ORDER BY is not allowed with COUNT()"},
		{"bind variable", "SELECT Id FROM Lead WHERE Id = :ids", CodeMalformedQuery, 1, 32, "a bind variable is not supported by this emulator"},
		{"empty path segment", "SELECT Owner..Email FROM Lead", CodeMalformedQuery, 1, 14, "unexpected token: 'Owner..Email'"},
		{"nulls without placement", "SELECT Id FROM Lead ORDER BY Id NULLS", CodeMalformedQuery, 1, 38, "unexpected token: '<EOF>'"},
		{"garbage after", "SELECT Id FROM Lead LIMIT 1 1", CodeMalformedQuery, 1, 29, "unexpected token: '1'"},
		{"second line", "SELECT Id\nFROM Lead\nWHERE Email = = 'x'", CodeMalformedQuery, 3, 15, "unexpected token: '='"},
		{"column counts runes", "SELECT Id FROM Lead WHERE Name = 'é' AND AND", CodeMalformedQuery, 1, 42, "unexpected token: 'AND'"},
		{"in without list", "SELECT Id FROM Lead WHERE Id IN 'x'", CodeMalformedQuery, 1, 33, "unexpected token: ''x''"},
		{"includes", "SELECT Id FROM Lead WHERE Tags__c INCLUDES ('a')", CodeMalformedQuery, 1, 35, "INCLUDES is not supported by this emulator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tt.in, q)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not *Error", err, err)
			}
			if se.Code != tt.code || se.Row != tt.row || se.Column != tt.col || se.Text != tt.text {
				t.Errorf("got %s row %d col %d %q\nwant %s row %d col %d %q", se.Code, se.Row, se.Column, se.Text, tt.code, tt.row, tt.col, tt.text)
			}
			if tt.row > 0 && !strings.HasSuffix(se.Message, "\nERROR at Row:"+strconv.Itoa(tt.row)+":Column:"+strconv.Itoa(tt.col)+"\n"+tt.text) {
				t.Errorf("Message = %q", se.Message)
			}
		})
	}
}

// TestErrorLayout checks the whole message against Salesforce's layout.
func TestErrorLayout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"single line", "SELECT Id FROM Lead WHERE", "\nSELECT Id FROM Lead WHERE\n                         ^\nERROR at Row:1:Column:26\nunexpected token: '<EOF>'"},
		{"second line shown alone", "SELECT Id\n  FROM 'x'", "\n  FROM 'x'\n       ^\nERROR at Row:2:Column:8\nunexpected token: ''x''"},
		{"crlf", "SELECT Id\r\nFROM Lead WHERE A = = 1", "\nFROM Lead WHERE A = = 1\n                    ^\nERROR at Row:2:Column:21\nunexpected token: '='"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.in)
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v", err)
			}
			if se.Message != tt.want {
				t.Errorf("Message = %q\nwant      %q", se.Message, tt.want)
			}
		})
	}
}
