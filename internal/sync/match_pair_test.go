package sync

import (
	"reflect"
	"testing"
)

// TestMatchFromSalesforce: a Lead or Contact found by a poll is matched by the
// same legacy rules as an Intercom person found by a webhook (F2.2), so the
// outcome does not depend on which side finds the match first.
func TestMatchFromSalesforce(t *testing.T) {
	t.Parallel()
	lead := func(id string) SFPerson { return SFPerson{Object: "Lead", ID: id, Key: "ann@example.com"} }
	contact := func(id string) SFPerson { return SFPerson{Object: "Contact", ID: id, Key: "ann@example.com"} }
	icLead := ICPerson{ID: "ic1", Role: "lead", Email: "ann@example.com"}
	icUser := ICPerson{ID: "ic2", Role: "user", Email: "Ann@example.com"}
	tests := []struct {
		name    string
		rec     SFPerson
		ic      []ICPerson
		sf      []SFPerson
		outcome Outcome
		icID    string   // Intercom person (Matched, or Ambiguous on the Salesforce side)
		sfID    string   // Salesforce record when Matched
		sfIDs   []string // tying Salesforce records
		icIDs   []string // tying Intercom contacts
	}{
		{"one Lead and one Intercom lead: mapped", lead("00Q1"), []ICPerson{icLead}, []SFPerson{lead("00Q1")}, Matched, "ic1", "00Q1", nil, nil},
		{"two Leads and no Contact, polled from either: multiple matches, no mapping", lead("00Q1"), []ICPerson{icLead}, []SFPerson{lead("00Q1"), lead("00Q2")}, Ambiguous, "ic1", "", []string{"00Q1", "00Q2"}, nil},
		{"a Lead and a Contact, polled from the Lead: the Contact wins", lead("00Q1"), []ICPerson{icLead}, []SFPerson{lead("00Q1"), contact("0031")}, Matched, "ic1", "0031", nil, nil},
		{"a Lead and a Contact, polled from the Contact: the Contact wins", contact("0031"), []ICPerson{icLead}, []SFPerson{lead("00Q1"), contact("0031")}, Matched, "ic1", "0031", nil, nil},
		{"one Contact and several Leads, polled from a Lead: the Contact wins", lead("00Q2"), []ICPerson{icUser}, []SFPerson{lead("00Q1"), lead("00Q2"), contact("0031")}, Matched, "ic2", "0031", nil, nil},
		{"two Contacts, polled from one: multiple matches listing the Contacts", contact("0031"), []ICPerson{icUser}, []SFPerson{lead("00Q1"), contact("0031"), contact("0032")}, Ambiguous, "ic2", "", []string{"0031", "0032"}, nil},
		{"the polled record counts when the lookup missed it", lead("00Q2"), []ICPerson{icLead}, []SFPerson{lead("00Q1")}, Ambiguous, "ic1", "", []string{"00Q1", "00Q2"}, nil},
		{"a converted Lead does not make the polled Lead ambiguous", lead("00Q1"), []ICPerson{icLead}, []SFPerson{lead("00Q1"), {Object: "Lead", ID: "00Q9", Key: "ann@example.com", IsConverted: true}}, Matched, "ic1", "00Q1", nil, nil},
		{"an Intercom user wins over a lead with the email", lead("00Q1"), []ICPerson{icLead, icUser}, []SFPerson{lead("00Q1")}, Matched, "ic2", "00Q1", nil, nil},
		{"two Intercom users: multiple matches on the Intercom side", contact("0031"), []ICPerson{icUser, {ID: "ic3", Role: "user", Email: "ann@example.com"}}, []SFPerson{contact("0031")}, Ambiguous, "", "", nil, []string{"ic2", "ic3"}},
		{"no Intercom contact: no match", lead("00Q1"), nil, []SFPerson{lead("00Q1")}, NoMatch, "", "", nil, nil},
		{"a converted polled Lead never matches", SFPerson{Object: "Lead", ID: "00Q1", Key: "ann@example.com", IsConverted: true}, []ICPerson{icLead}, nil, NoMatch, "", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := MatchFromSalesforce(tt.rec, KeyEmail, tt.ic, tt.sf)
			if got.Outcome != tt.outcome {
				t.Fatalf("outcome = %v (%s), want %v", got.Outcome, got.Reason, tt.outcome)
			}
			if got.Intercom.ID != tt.icID || got.Salesforce.ID != tt.sfID {
				t.Errorf("pair = %q ↔ %q, want %q ↔ %q (%s)", got.Intercom.ID, got.Salesforce.ID, tt.icID, tt.sfID, got.Reason)
			}
			var sfIDs, icIDs []string
			for _, c := range got.SFCandidates {
				sfIDs = append(sfIDs, c.ID)
			}
			for _, c := range got.ICCandidates {
				icIDs = append(icIDs, c.ID)
			}
			if !reflect.DeepEqual(sfIDs, tt.sfIDs) || !reflect.DeepEqual(icIDs, tt.icIDs) {
				t.Errorf("candidates = %v / %v, want %v / %v", sfIDs, icIDs, tt.sfIDs, tt.icIDs)
			}
			if got.Reason == "" {
				t.Error("no reason")
			}
		})
	}
}
