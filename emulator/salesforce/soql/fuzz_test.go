package soql

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that every failure is an
// *Error, and that a successful parse prints to a query that parses back
// to the same text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT Id FROM Lead",
		"SELECT Id, Email, SystemModstamp FROM Lead WHERE SystemModstamp > 2024-01-01T00:00:00Z AND IsConverted = false ORDER BY SystemModstamp ASC LIMIT 200",
		"SELECT COUNT() FROM Lead WHERE Owner.Email LIKE '%\\_x' OR (Id IN ('a','b') AND NOT Name = null)",
		"select id from lead order by name desc nulls first, id limit 5 offset 10",
		`SELECT Id FROM Lead WHERE Name = 'Bob\'s \u00e9 \n' AND CreatedDate = LAST_N_DAYS:7`,
		"SELECT Id FROM Lead WHERE A <> -1.5 AND B >= 2024-01-01 AND C < 2024-01-01T00:00:00.000+0000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		q, err := Parse(in)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T is not *Error", in, err)
			}
			if se.Code == "" || se.Text == "" || se.Message == "" {
				t.Fatalf("Parse(%q) incomplete error %+v", in, se)
			}
			return
		}
		printed := q.String()
		q2, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String() %q fails: %v", in, printed, err)
		}
		if again := q2.String(); again != printed {
			t.Fatalf("round trip of %q:\n%q\n%q", in, printed, again)
		}
	})
}

// FuzzExecute runs whatever parses against the fixture store: validation
// and evaluation must fail only with *Error and never panic.
func FuzzExecute(f *testing.F) {
	for _, s := range []string{
		"SELECT Id, Owner.Email FROM Lead WHERE Owner.Manager.Name LIKE 'b%' ORDER BY Owner.Name DESC NULLS FIRST, Id LIMIT 3",
		"SELECT COUNT() FROM Lead WHERE CreatedDate = LAST_N_DAYS:30 OR Birthday__c < 2000-01-01",
		"SELECT Id FROM Lead WHERE Id IN ('00Q000000000001', 'x') AND NumberOfEmployees NOT IN (1, 2, null)",
		"SELECT Id FROM Lead WHERE Email = 'ann@acme.com' AND NOT IsConverted = true ORDER BY SystemModstamp, Id OFFSET 1",
	} {
		f.Add(s)
	}
	fx := setup(f)
	f.Fuzz(func(t *testing.T, in string) {
		q, err := Parse(in)
		if err != nil {
			return
		}
		res, err := Execute(q, fx.src, ExecOptions{Now: now})
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("Execute(%q) error %T is not *Error", in, err)
			}
			return
		}
		if q.Limit != NoLimit && len(res.Records) > q.Limit {
			t.Fatalf("Execute(%q) returned %d records over LIMIT %d", in, len(res.Records), q.Limit)
		}
	})
}
