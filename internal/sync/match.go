package sync

import (
	"fmt"
	"strings"
)

// Outcome is the result kind of a match.
type Outcome int

// The match outcomes.
const (
	// NoMatch: nothing on the other side has the key; no mapping.
	NoMatch Outcome = iota
	// Matched: exactly one record wins; create (or keep) the mapping.
	Matched
	// Ambiguous: several records tie; no mapping, the record is shown as
	// "multiple matches" and goes to the review list (F2.2).
	Ambiguous
)

// String names the outcome as the review list shows it.
func (o Outcome) String() string {
	switch o {
	case Matched:
		return "matched"
	case Ambiguous:
		return "multiple matches"
	}
	return "no match"
}

// Match is the result of matching one record against candidates from the
// other side. Record is set when Outcome is Matched; Candidates lists every
// tying record when it is Ambiguous (the "links to all" of F2.2).
type Match[T any] struct {
	Outcome    Outcome
	Record     T
	Candidates []T
	Reason     string
}

// PersonKey says how people are matched (F2.1): by email (Intercom email ↔
// the Salesforce key field, Email by default) or by Intercom external_id ↔ an
// admin-chosen Salesforce field.
type PersonKey string

// The person keys.
const (
	KeyEmail      PersonKey = "email"
	KeyExternalID PersonKey = "external_id"
)

// ICPerson is an Intercom contact as matching sees it.
type ICPerson struct {
	ID         string
	Role       string // "lead" or "user"
	Email      string
	ExternalID string
}

// SFPerson is a Salesforce Lead or Contact as matching sees it. Key is the
// value of the configured key field (Email by default).
type SFPerson struct {
	Object      string // "Lead" or "Contact"
	ID          string
	Key         string
	IsConverted bool // Leads only
}

// NormalizeEmail is the form emails are compared in: trimmed and
// lower-cased, so " Ann@Example.com" matches "ann@example.com".
func NormalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// keyOf returns the value of the matching key on an Intercom person.
func keyOf(p ICPerson, key PersonKey) string {
	if key == KeyExternalID {
		return p.ExternalID
	}
	return NormalizeEmail(p.Email)
}

// sameKey compares key values: emails case-insensitively and trimmed,
// external ids exactly. An empty key never matches anything.
func sameKey(key PersonKey, a, b string) bool {
	if key == KeyExternalID {
		return a != "" && a == b
	}
	a, b = NormalizeEmail(a), NormalizeEmail(b)
	return a != "" && a == b
}

// MatchPerson matches an Intercom lead or user against Salesforce Leads and
// Contacts found by the key (F2.1, F2.2). Candidates may include records
// with another key or converted Leads; they are filtered here.
//
// The rules are the legacy app's multiple-match rules (seeds/003_*, "Here's
// what will happen in Salesforce when there are multiple matches"):
//   - converted Leads never match (F2.1; their data lives on the Contact);
//   - one Contact and any number of Leads → the Contact ("One contact & one
//     or multiple leads: The contact will be synced");
//   - several Contacts → ambiguous, listing the Contacts ("Multiple contacts
//   - none/multiple leads: … data in Intercom is not updated by SFDC");
//   - no Contact and one Lead → the Lead (a user may match a Lead when no
//     Contact exists, F2.1);
//   - no Contact and several Leads → ambiguous, listing the Leads ("No
//     contact & multiple leads: … Qualification data is not synced").
//
// The seeds rank Contacts over Leads for Intercom leads and users alike, so
// the role does not change the outcome: "Intercom lead ↔ Lead, user ↔
// Contact" (seeds/003_*, "Intercom will map your records…") describes the
// usual case, where leads exist as Leads and users as Contacts.
func MatchPerson(p ICPerson, key PersonKey, candidates []SFPerson) Match[SFPerson] {
	want := keyOf(p, key)
	if want == "" {
		return Match[SFPerson]{Reason: fmt.Sprintf("Intercom %s %s has no %s to match on", roleName(p.Role), p.ID, key)}
	}
	var leads, contacts []SFPerson
	for _, c := range candidates {
		if !sameKey(key, want, c.Key) {
			continue
		}
		switch c.Object {
		case "Contact":
			contacts = append(contacts, c)
		case "Lead":
			if !c.IsConverted {
				leads = append(leads, c)
			}
		}
	}
	switch {
	case len(contacts) == 1:
		return Match[SFPerson]{Outcome: Matched, Record: contacts[0],
			Reason: fmt.Sprintf("one Contact has %s %s", key, want)}
	case len(contacts) > 1:
		return Match[SFPerson]{Outcome: Ambiguous, Candidates: contacts,
			Reason: fmt.Sprintf("multiple matches: %d Contacts have %s %s (%s)", len(contacts), key, want, sfIDs(contacts))}
	case len(leads) == 1:
		return Match[SFPerson]{Outcome: Matched, Record: leads[0],
			Reason: fmt.Sprintf("no Contact and one Lead have %s %s", key, want)}
	case len(leads) > 1:
		return Match[SFPerson]{Outcome: Ambiguous, Candidates: leads,
			Reason: fmt.Sprintf("multiple matches: no Contact and %d Leads have %s %s (%s)", len(leads), key, want, sfIDs(leads))}
	}
	return Match[SFPerson]{Reason: fmt.Sprintf("no Lead or Contact has %s %s", key, want)}
}

// MatchIntercom matches a Salesforce Lead or Contact against Intercom
// contacts found by the key (the reverse direction of F2.3). rec.Key is the
// value of the configured Salesforce key field.
//
// The seeds say nothing about several Intercom contacts sharing a key, so
// the rule mirrors MatchPerson: users rank over leads as Contacts rank over
// Leads (seeds/003_*: "one contact & one or multiple leads: the contact will
// be synced"; an Intercom lead with a user's email is normally merged into
// that user, F2.4). One user → the user; several users → ambiguous; no user
// and one lead → the lead; no user and several leads → ambiguous. A
// converted Lead never matches (F2.1).
func MatchIntercom(rec SFPerson, key PersonKey, candidates []ICPerson) Match[ICPerson] {
	if rec.IsConverted {
		return Match[ICPerson]{Reason: fmt.Sprintf("Lead %s is converted; converted Leads never match", rec.ID)}
	}
	want := rec.Key
	if key == KeyEmail {
		want = NormalizeEmail(want)
	}
	if want == "" {
		return Match[ICPerson]{Reason: fmt.Sprintf("%s %s has no key value to match on", rec.Object, rec.ID)}
	}
	var leads, users []ICPerson
	for _, c := range candidates {
		if !sameKey(key, want, keyOf(c, key)) {
			continue
		}
		if c.Role == "user" {
			users = append(users, c)
		} else {
			leads = append(leads, c)
		}
	}
	switch {
	case len(users) == 1:
		return Match[ICPerson]{Outcome: Matched, Record: users[0], Reason: fmt.Sprintf("one Intercom user has %s %s", key, want)}
	case len(users) > 1:
		return Match[ICPerson]{Outcome: Ambiguous, Candidates: users,
			Reason: fmt.Sprintf("multiple matches: %d Intercom users have %s %s (%s)", len(users), key, want, icIDs(users))}
	case len(leads) == 1:
		return Match[ICPerson]{Outcome: Matched, Record: leads[0], Reason: fmt.Sprintf("no Intercom user and one lead have %s %s", key, want)}
	case len(leads) > 1:
		return Match[ICPerson]{Outcome: Ambiguous, Candidates: leads,
			Reason: fmt.Sprintf("multiple matches: no Intercom user and %d leads have %s %s (%s)", len(leads), key, want, icIDs(leads))}
	}
	return Match[ICPerson]{Reason: fmt.Sprintf("no Intercom contact has %s %s", key, want)}
}

// SFAccount is a Salesforce Account as company matching sees it: Key is the
// value of the admin-chosen Account field (F2.5, F7.1).
type SFAccount struct {
	ID  string
	Key string
}

// MatchCompany matches an Intercom company_id against Accounts by the
// chosen field: exact comparison, an empty company_id never matches, several
// Accounts → ambiguous.
func MatchCompany(companyID string, accounts []SFAccount) Match[SFAccount] {
	if companyID == "" {
		return Match[SFAccount]{Reason: "the company has no company_id"}
	}
	var hits []SFAccount
	for _, a := range accounts {
		if a.Key == companyID {
			hits = append(hits, a)
		}
	}
	switch len(hits) {
	case 0:
		return Match[SFAccount]{Reason: fmt.Sprintf("no Account has company_id %s", companyID)}
	case 1:
		return Match[SFAccount]{Outcome: Matched, Record: hits[0], Reason: fmt.Sprintf("one Account has company_id %s", companyID)}
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return Match[SFAccount]{Outcome: Ambiguous, Candidates: hits,
		Reason: fmt.Sprintf("multiple matches: %d Accounts have company_id %s (%s)", len(hits), companyID, strings.Join(ids, ", "))}
}

func roleName(r string) string {
	if r == "" {
		return "contact"
	}
	return r
}

func sfIDs(ps []SFPerson) string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return strings.Join(ids, ", ")
}

func icIDs(ps []ICPerson) string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return strings.Join(ids, ", ")
}
