package sync

import "fmt"

// PersonMatch is the outcome of matching a person with both sides'
// candidates weighed: the Intercom contacts that share the key and the
// Salesforce Leads and Contacts that do.
type PersonMatch struct {
	Outcome Outcome
	// Intercom is the Intercom person the key leads to: set when Matched,
	// and when Ambiguous among Salesforce records (it is the one listed for
	// review).
	Intercom ICPerson
	// Salesforce is the record Intercom maps to when Matched. It need not be
	// the record the match started from: a Contact wins over the Lead that
	// was polled (F2.2).
	Salesforce SFPerson
	// SFCandidates are the tying Salesforce records (Ambiguous on the
	// Salesforce side); ICCandidates the tying Intercom contacts (Ambiguous
	// on the Intercom side, Intercom unset).
	SFCandidates []SFPerson
	ICCandidates []ICPerson
	Reason       string
}

// MatchFromSalesforce matches a Salesforce Lead or Contact found by a poll so
// that the legacy multiple-match rules (F2.2) hold as they do when Intercom
// finds the match first: the key leads to one Intercom person
// ([MatchIntercom]), and that person is matched against every Lead and
// Contact with the key ([MatchPerson]), rec included even when the lookup
// missed it. So two Leads and no Contact are multiple matches, listed for
// review, and a Lead polled next to a Contact with its email leaves the
// Intercom person to the Contact. sf are the Leads and Contacts found by
// rec's key.
func MatchFromSalesforce(rec SFPerson, key PersonKey, ic []ICPerson, sf []SFPerson) PersonMatch {
	im := MatchIntercom(rec, key, ic)
	switch im.Outcome {
	case NoMatch:
		return PersonMatch{Reason: im.Reason}
	case Ambiguous:
		return PersonMatch{Outcome: Ambiguous, ICCandidates: im.Candidates, Reason: im.Reason}
	}
	p := im.Record
	all := sf
	if !containsID(sf, rec.ID) {
		all = append(append([]SFPerson(nil), sf...), rec)
	}
	sm := MatchPerson(p, key, all)
	switch sm.Outcome {
	case Matched:
		reason := im.Reason + "; " + sm.Reason
		if sm.Record.ID != rec.ID {
			reason = fmt.Sprintf("Intercom %s %s goes to %s %s, not %s %s: %s", roleName(p.Role), p.ID,
				sm.Record.Object, sm.Record.ID, rec.Object, rec.ID, sm.Reason)
		}
		return PersonMatch{Outcome: Matched, Intercom: p, Salesforce: sm.Record, Reason: reason}
	case Ambiguous:
		return PersonMatch{Outcome: Ambiguous, Intercom: p, SFCandidates: sm.Candidates, Reason: sm.Reason}
	}
	return PersonMatch{Reason: sm.Reason}
}

func containsID(ps []SFPerson, id string) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}
