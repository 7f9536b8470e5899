package sync

import (
	"reflect"
	"strings"
	"testing"
)

func TestMatchPerson(t *testing.T) {
	t.Parallel()
	lead := func(id, key string) SFPerson { return SFPerson{Object: "Lead", ID: id, Key: key} }
	converted := func(id, key string) SFPerson { return SFPerson{Object: "Lead", ID: id, Key: key, IsConverted: true} }
	contact := func(id, key string) SFPerson { return SFPerson{Object: "Contact", ID: id, Key: key} }
	ann := ICPerson{ID: "ic1", Role: "lead", Email: "Ann@Example.com ", ExternalID: "u-1"}
	annUser := ann
	annUser.Role = "user"
	tests := []struct {
		name       string
		person     ICPerson
		key        PersonKey
		candidates []SFPerson
		outcome    Outcome
		record     string   // ID when Matched
		ids        []string // candidate IDs when Ambiguous
		reason     string
	}{
		{"no candidates", ann, KeyEmail, nil, NoMatch, "", nil, "no Lead or Contact has email ann@example.com"},
		{"one Lead, email case and spaces differ", ann, KeyEmail, []SFPerson{lead("00Q1", " ANN@example.COM")}, Matched, "00Q1", nil, "no Contact and one Lead"},
		{"seed 003: one contact & one lead → the contact", ann, KeyEmail, []SFPerson{lead("00Q1", "ann@example.com"), contact("0031", "ann@example.com")}, Matched, "0031", nil, "one Contact"},
		{"seed 003: one contact & multiple leads → the contact", ann, KeyEmail, []SFPerson{lead("00Q1", "ann@example.com"), lead("00Q2", "ann@example.com"), contact("0031", "ann@example.com")}, Matched, "0031", nil, ""},
		{"seed 003: no contact & multiple leads → ambiguous", ann, KeyEmail, []SFPerson{lead("00Q1", "ann@example.com"), lead("00Q2", "ann@example.com")}, Ambiguous, "", []string{"00Q1", "00Q2"}, "multiple matches: no Contact and 2 Leads"},
		{"seed 003: multiple contacts + none leads → ambiguous", ann, KeyEmail, []SFPerson{contact("0031", "ann@example.com"), contact("0032", "ann@example.com")}, Ambiguous, "", []string{"0031", "0032"}, "multiple matches: 2 Contacts"},
		{"seed 003: multiple contacts + multiple leads → ambiguous, contacts listed", ann, KeyEmail, []SFPerson{lead("00Q1", "ann@example.com"), contact("0031", "ann@example.com"), lead("00Q2", "ann@example.com"), contact("0032", "ann@example.com")}, Ambiguous, "", []string{"0031", "0032"}, ""},
		{"F2.1: user matches a Lead when no Contact exists", annUser, KeyEmail, []SFPerson{lead("00Q1", "ann@example.com")}, Matched, "00Q1", nil, ""},
		{"F2.1: user prefers the Contact", annUser, KeyEmail, []SFPerson{lead("00Q1", "ann@example.com"), contact("0031", "ann@example.com")}, Matched, "0031", nil, ""},
		{"F2.1: converted Leads never match", ann, KeyEmail, []SFPerson{converted("00Q1", "ann@example.com")}, NoMatch, "", nil, ""},
		{"converted Lead does not make the other Lead ambiguous", ann, KeyEmail, []SFPerson{converted("00Q1", "ann@example.com"), lead("00Q2", "ann@example.com")}, Matched, "00Q2", nil, ""},
		{"candidates with another key are ignored", ann, KeyEmail, []SFPerson{lead("00Q1", "bob@example.com")}, NoMatch, "", nil, ""},
		{"no email never matches", ICPerson{ID: "ic2", Role: "lead"}, KeyEmail, []SFPerson{lead("00Q1", "")}, NoMatch, "", nil, "has no email"},
		{"external_id exact", ann, KeyExternalID, []SFPerson{lead("00Q1", "u-1")}, Matched, "00Q1", nil, ""},
		{"external_id is case-sensitive", ann, KeyExternalID, []SFPerson{lead("00Q1", "U-1")}, NoMatch, "", nil, ""},
		{"external_id is not trimmed", ann, KeyExternalID, []SFPerson{lead("00Q1", "u-1 ")}, NoMatch, "", nil, ""},
		{"empty external_id never matches", ICPerson{ID: "ic3", Email: "x@y.z"}, KeyExternalID, []SFPerson{lead("00Q1", "")}, NoMatch, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := MatchPerson(tt.person, tt.key, tt.candidates)
			if got.Outcome != tt.outcome {
				t.Fatalf("outcome = %v (%s), want %v", got.Outcome, got.Reason, tt.outcome)
			}
			if tt.outcome == Matched && got.Record.ID != tt.record {
				t.Errorf("record = %s, want %s", got.Record.ID, tt.record)
			}
			var ids []string
			for _, c := range got.Candidates {
				ids = append(ids, c.ID)
			}
			if !reflect.DeepEqual(ids, tt.ids) {
				t.Errorf("candidates = %v, want %v", ids, tt.ids)
			}
			if !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("reason = %q, want containing %q", got.Reason, tt.reason)
			}
		})
	}
}

func TestMatchIntercom(t *testing.T) {
	t.Parallel()
	user := func(id, email string) ICPerson {
		return ICPerson{ID: id, Role: "user", Email: email, ExternalID: "x-" + id}
	}
	lead := func(id, email string) ICPerson { return ICPerson{ID: id, Role: "lead", Email: email} }
	rec := SFPerson{Object: "Contact", ID: "0031", Key: "Ann@Example.com"}
	tests := []struct {
		name       string
		rec        SFPerson
		key        PersonKey
		candidates []ICPerson
		outcome    Outcome
		record     string
		ids        []string
	}{
		{"no candidates", rec, KeyEmail, nil, NoMatch, "", nil},
		{"one user", rec, KeyEmail, []ICPerson{user("u1", "ann@example.com")}, Matched, "u1", nil},
		{"one lead", rec, KeyEmail, []ICPerson{lead("l1", " ann@EXAMPLE.com")}, Matched, "l1", nil},
		{"user ranks over leads", rec, KeyEmail, []ICPerson{lead("l1", "ann@example.com"), user("u1", "ann@example.com"), lead("l2", "ann@example.com")}, Matched, "u1", nil},
		{"several users", rec, KeyEmail, []ICPerson{user("u1", "ann@example.com"), user("u2", "ann@example.com"), lead("l1", "ann@example.com")}, Ambiguous, "", []string{"u1", "u2"}},
		{"several leads", rec, KeyEmail, []ICPerson{lead("l1", "ann@example.com"), lead("l2", "ann@example.com")}, Ambiguous, "", []string{"l1", "l2"}},
		{"other emails ignored", rec, KeyEmail, []ICPerson{user("u1", "bob@example.com")}, NoMatch, "", nil},
		{"converted Lead never matches", SFPerson{Object: "Lead", ID: "00Q1", Key: "ann@example.com", IsConverted: true}, KeyEmail, []ICPerson{lead("l1", "ann@example.com")}, NoMatch, "", nil},
		{"empty key never matches", SFPerson{Object: "Lead", ID: "00Q1"}, KeyEmail, []ICPerson{lead("l1", "")}, NoMatch, "", nil},
		{"external id exact", SFPerson{Object: "Contact", ID: "0031", Key: "x-u1"}, KeyExternalID, []ICPerson{user("u1", "a@b.c"), user("u2", "a@b.c")}, Matched, "u1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := MatchIntercom(tt.rec, tt.key, tt.candidates)
			if got.Outcome != tt.outcome {
				t.Fatalf("outcome = %v (%s), want %v", got.Outcome, got.Reason, tt.outcome)
			}
			if tt.outcome == Matched && got.Record.ID != tt.record {
				t.Errorf("record = %s, want %s", got.Record.ID, tt.record)
			}
			var ids []string
			for _, c := range got.Candidates {
				ids = append(ids, c.ID)
			}
			if !reflect.DeepEqual(ids, tt.ids) {
				t.Errorf("candidates = %v, want %v", ids, tt.ids)
			}
		})
	}
}

func TestMatchCompany(t *testing.T) {
	t.Parallel()
	accts := []SFAccount{{ID: "0011", Key: "acme"}, {ID: "0012", Key: "ACME"}, {ID: "0013", Key: "dup"}, {ID: "0014", Key: "dup"}, {ID: "0015", Key: ""}}
	tests := []struct {
		companyID string
		outcome   Outcome
		record    string
		n         int
	}{
		{"acme", Matched, "0011", 0},
		{"ACME", Matched, "0012", 0},
		{"Acme", NoMatch, "", 0},
		{"dup", Ambiguous, "", 2},
		{"", NoMatch, "", 0},
	}
	for _, tt := range tests {
		t.Run("company_id="+tt.companyID, func(t *testing.T) {
			t.Parallel()
			got := MatchCompany(tt.companyID, accts)
			if got.Outcome != tt.outcome || got.Record.ID != tt.record || len(got.Candidates) != tt.n {
				t.Errorf("MatchCompany(%q) = %+v, want %v %q with %d candidates", tt.companyID, got, tt.outcome, tt.record, tt.n)
			}
		})
	}
}
