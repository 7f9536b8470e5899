package sync

import (
	"fmt"
	"slices"
)

// TaskTargets decides which Salesforce records get a conversation's Task
// (F6.1, seeds/003_* section 4): the one Contact or Lead the person
// matches; every matching Lead when several Leads and no Contact match
// ("we'll create a new task for them all"); only the Contact when a Contact
// matches besides Leads; nobody when several Contacts match (the person is
// in the review list, F2.2) or nothing does. The reason says why, for the
// person's history.
func TaskTargets(p ICPerson, key PersonKey, candidates []SFPerson) ([]SFPerson, string) {
	m := MatchPerson(p, key, candidates)
	switch m.Outcome {
	case Matched:
		return []SFPerson{m.Record}, m.Reason
	case Ambiguous:
		if m.Candidates[0].Object == "Lead" {
			return m.Candidates, fmt.Sprintf("no Contact and %d Leads match: a Task for each Lead", len(m.Candidates))
		}
		return nil, "no Task: " + m.Reason
	}
	return nil, "no Task: " + m.Reason
}

// OpportunityRole is a Contact's role on an Opportunity
// (OpportunityContactRole) with whether the Opportunity is closed.
type OpportunityRole struct {
	OpportunityID string
	Closed        bool
}

// RelatedOpportunity is the Opportunity a Contact's Task is related to
// (WhatId, F6.3): the one open Opportunity the Contact has a role on; none
// when there is no such Opportunity or several ("if there are multiple open
// opportunities we will ignore them"). Several roles on the same
// Opportunity count once.
func RelatedOpportunity(roles []OpportunityRole) (string, string) {
	var open []string
	for _, r := range roles {
		if !r.Closed && !slices.Contains(open, r.OpportunityID) {
			open = append(open, r.OpportunityID)
		}
	}
	switch len(open) {
	case 0:
		return "", "the Contact has no role on an open Opportunity"
	case 1:
		return open[0], "the Contact has a role on exactly one open Opportunity"
	}
	return "", fmt.Sprintf("the Contact has roles on %d open Opportunities: not related", len(open))
}

// TaskOwner is the Salesforce User a conversation's Task belongs to
// (F6.1): the User whose email is the assigned teammate's (F5.1), else the
// User of the teammate who connected ferry.
func TaskOwner(assigneeUser, connectingUser string) string {
	if assigneeUser != "" {
		return assigneeUser
	}
	return connectingUser
}

// OwnerInput is what owner resolution (F5.2) knows of one person: the
// Salesforce owners of their Account, Contact and Lead ("" when the person
// has none of that kind), the teammate of each Salesforce User (F5.1), and
// the teammate who connected ferry.
type OwnerInput struct {
	AccountOwner, ContactOwner, LeadOwner string
	// Teammates maps Salesforce User ids to Intercom admin ids.
	Teammates map[string]string
	// Fallback is the admin id of the teammate who connected ferry.
	Fallback string
}

// OwnerDecision is the Intercom owner a person should have. Clear means no
// owner (owner_id null); otherwise Teammate is the admin id.
type OwnerDecision struct {
	Teammate string
	Clear    bool
	Rule     string
}

// ResolveOwner decides a person's Intercom owner from Salesforce (F5.2,
// seeds/003_* "Automatically sync your Salesforce lead owners"): the
// Account owner's teammate; an Account owner without a teammate clears the
// owner even when the Contact owner has one ("account owners override
// contact owners"); without an Account owner, the Contact owner's
// teammate, else the Lead owner's, else the teammate who connected ferry.
func ResolveOwner(in OwnerInput) OwnerDecision {
	if in.AccountOwner != "" {
		if tm := in.Teammates[in.AccountOwner]; tm != "" {
			return OwnerDecision{Teammate: tm, Rule: "the Account owner's teammate"}
		}
		return OwnerDecision{Clear: true, Rule: "the Account owner has no teammate in Intercom: the owner is cleared"}
	}
	if tm := in.Teammates[in.ContactOwner]; in.ContactOwner != "" && tm != "" {
		return OwnerDecision{Teammate: tm, Rule: "the Contact owner's teammate"}
	}
	if tm := in.Teammates[in.LeadOwner]; in.LeadOwner != "" && tm != "" {
		return OwnerDecision{Teammate: tm, Rule: "the Lead owner's teammate"}
	}
	if in.Fallback != "" {
		return OwnerDecision{Teammate: in.Fallback, Rule: "no owner with a teammate: the teammate who connected ferry"}
	}
	return OwnerDecision{Clear: true, Rule: "no owner with a teammate and no connecting teammate: the owner is cleared"}
}

// UsersByEmail indexes Salesforce Users (id → email) by normalized email.
// When several Users share an email the lowest id wins, so that every
// reader (owner sync, inbox actions) picks the same User (F5.1). Inactive
// Users should be left out by the caller.
func UsersByEmail(users map[string]string) map[string]string {
	out := make(map[string]string, len(users))
	for id, email := range users {
		if n := NormalizeEmail(email); n != "" {
			if prev, ok := out[n]; !ok || id < prev {
				out[n] = id
			}
		}
	}
	return out
}

// TeammatesByEmail maps Salesforce Users to Intercom admins whose email is
// the same, ignoring case and spaces (F5.1). Users are id → email, admins
// id → email; inactive Users should be left out by the caller.
func TeammatesByEmail(users, admins map[string]string) map[string]string {
	byEmail := map[string]string{}
	for id, email := range admins {
		if e := NormalizeEmail(email); e != "" {
			if prev, ok := byEmail[e]; !ok || id < prev {
				byEmail[e] = id // deterministic when two admins share an email
			}
		}
	}
	out := map[string]string{}
	for id, email := range users {
		if a := byEmail[NormalizeEmail(email)]; a != "" && NormalizeEmail(email) != "" {
			out[id] = a
		}
	}
	return out
}
