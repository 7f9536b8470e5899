package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// InboxPerson is the Intercom contact a teammate has open in the inbox, as
// Intercom describes it in an inbox app request.
type InboxPerson struct {
	IntercomID string
	Email      string
	Name       string
	Phone      string
	Company    string
}

// InboxMatch kinds: what ferry found in Salesforce for an InboxPerson.
const (
	InboxContact  = "contact"
	InboxLead     = "lead"
	InboxMultiple = "multiple"
	InboxNone     = "none"
)

// InboxView is what the inbox app shows beside a conversation, read live
// from Salesforce (F8.4).
type InboxView struct {
	// Kind is one of InboxContact, InboxLead, InboxMultiple, InboxNone.
	Kind    string
	Contact *SFContact
	Account *SFAccount
	Lead    *SFLead
	// Opportunities are the Contact's Account's, latest close date first.
	Opportunities []SFOpportunity
	// OpenCases are the Contact's cases not closed, newest first.
	OpenCases []SFCase
	// Cases says cases are shown and created from the inbox (settings
	// cases.enabled; F6.4).
	Cases bool
	// Matches are the records of several matches (Kind InboxMultiple).
	Matches []SFMatch
	// Person is the Intercom contact the view is for.
	Person InboxPerson
	// Calls is how many Salesforce API calls the view took.
	Calls int
}

// SFContact is a Salesforce Contact as the inbox shows it.
type SFContact struct {
	ID, Name, Email, Owner, AccountID, URL string
}

// SFAccount is a Salesforce Account as the inbox shows it.
type SFAccount struct {
	ID, Name, Domain, Owner, Country, URL string
}

// SFLead is a Salesforce Lead as the inbox shows it.
type SFLead struct {
	ID, Name, Email, Company, Status, Owner, URL string
}

// SFOpportunity is a Salesforce Opportunity as the inbox shows it.
type SFOpportunity struct {
	ID, Name, Owner, Stage, CloseDate, Amount, URL string
}

// SFCase is a Salesforce Case as the inbox shows it.
type SFCase struct {
	ID, Number, Subject, Status, Priority, URL string
}

// SFMatch is one of several Salesforce records matching a person.
type SFMatch struct {
	Object, ID, Name, URL string
	// Company is a Lead's company or a Contact's Account; Status a
	// Lead's status; Owner the record's (a Contact's Account's) owner:
	// what tells a teammate which match is the right one.
	Company, Status, Owner string
}

// inboxMaxOpportunities is the most opportunities the inbox lists: a
// dropdown takes at most 10 options.
const inboxMaxOpportunities = 10

// inboxMaxCases is the most open cases the inbox lists (the count is
// exact up to this many).
const inboxMaxCases = 20

// InboxConnection returns the connection of an Intercom workspace: the one
// that names it, else the only connection there is or the default one
// while they have no workspace yet. A workspace no connection belongs to
// is a NotFound error.
func (a *App) InboxConnection(ctx context.Context, workspaceID string) (store.Connection, error) {
	conns, err := a.store.ListConnections(ctx)
	if err != nil {
		return store.Connection{}, err
	}
	if c, ok := WorkspaceConnection(conns, workspaceID, a.defConn); ok {
		return c, nil
	}
	return store.Connection{}, errorf(NotFound, "This Intercom workspace is not connected to ferry.")
}

// WorkspaceConnection picks the connection of an Intercom workspace among
// conns: the one that names it, else the only connection there is, or the
// default one (defConn) while it has no workspace yet (a token from the
// environment, before its first check).
func WorkspaceConnection(conns []store.Connection, workspaceID string, defConn int64) (store.Connection, bool) {
	for _, c := range conns {
		if workspaceID != "" && c.IntercomWorkspaceID == workspaceID {
			return c, true
		}
	}
	if len(conns) == 1 && (conns[0].IntercomWorkspaceID == "" || workspaceID == "") {
		return conns[0], true
	}
	for _, c := range conns {
		if c.ID == defConn && c.IntercomWorkspaceID == "" {
			return c, true
		}
	}
	return store.Connection{}, false
}

// InboxView reads what Salesforce holds about p, live, in at most two API
// calls of the inbox lane: one composite request finds the Contacts and
// Leads (by the person's mapping or email); a second one, only for a single
// Contact (or a converted Lead's Contact), reads the Contact, its Account's
// Opportunities and its open Cases.
func (a *App) InboxView(ctx context.Context, c store.Connection, p InboxPerson) (InboxView, error) {
	v := InboxView{Person: p, Kind: InboxNone}
	mapped := ""
	if p.IntercomID != "" {
		m, err := a.store.GetMappingByIntercomID(ctx, c.ID, p.IntercomID)
		switch {
		case err == nil && m.Kind == store.MappingPerson:
			mapped = m.SFID
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return v, err
		}
	}
	if mapped == "" && p.Email == "" {
		return v, nil
	}
	sf, err := a.inboxSalesforce(ctx, c.ID)
	if err != nil {
		return v, err
	}
	var where []string
	if p.Email != "" {
		where = append(where, "Email = "+salesforce.QuoteSOQL(p.Email))
	}
	if mapped != "" {
		where = append(where, "Id = "+salesforce.QuoteSOQL(mapped))
	}
	cond := strings.Join(where, " OR ")
	var contacts []sfContactRow
	var leads []sfLeadRow
	err = inboxQueries(ctx, sf, &v.Calls, []inboxQuery{
		{"contacts", "SELECT Id, Name, Email, AccountId, Account.Name, Account.Owner.Name FROM Contact WHERE " + cond + " LIMIT 10", &contacts},
		{"leads", "SELECT Id, Name, Email, Company, Status, Owner.Name, IsConverted, ConvertedContactId, ConvertedAccountId FROM Lead WHERE " + cond + " LIMIT 10", &leads},
	})
	if err != nil {
		return v, err
	}
	base := strings.TrimRight(c.SalesforceInstanceURL, "/")
	link := func(id string) string {
		if base == "" || id == "" {
			return ""
		}
		return base + "/" + url.PathEscape(id)
	}

	// A converted Lead stands for its Contact; the mapped record wins over
	// other records that share the email.
	var open []sfLeadRow
	converted := map[string]sfLeadRow{}
	for _, l := range leads {
		if l.IsConverted && l.ConvertedContactID != "" {
			converted[l.ConvertedContactID] = l
			continue
		}
		open = append(open, l)
	}
	contactIDs := map[string]bool{}
	for _, ct := range contacts {
		contactIDs[ct.ID] = true
	}
	var extra []string // converted Leads' Contacts the email did not find
	for id, l := range converted {
		if !contactIDs[id] && (len(contacts) == 0 || l.ID == mapped) {
			extra = append(extra, id)
		}
	}
	pick := func() (contactID, accountID string, lead *sfLeadRow) {
		for _, ct := range contacts {
			if ct.ID == mapped {
				return ct.ID, ct.AccountID, nil
			}
		}
		for i, l := range open {
			if l.ID == mapped {
				return "", "", &open[i]
			}
		}
		if l, ok := converted[mapped]; ok || (mapped != "" && len(extra) == 1) {
			if !ok {
				l = converted[extra[0]]
			}
			return l.ConvertedContactID, l.ConvertedAccountID, nil
		}
		switch n := len(contacts) + len(open) + len(extra); {
		case n != 1:
			return "", "", nil
		case len(contacts) == 1:
			return contacts[0].ID, contacts[0].AccountID, nil
		case len(open) == 1:
			return "", "", &open[0]
		default:
			l := converted[extra[0]]
			return l.ConvertedContactID, l.ConvertedAccountID, nil
		}
	}
	contactID, accountID, lead := pick()
	switch {
	case lead != nil:
		v.Kind = InboxLead
		v.Lead = &SFLead{ID: lead.ID, Name: lead.Name, Email: lead.Email, Company: lead.Company, Status: lead.Status,
			Owner: lead.Owner.Name, URL: link(lead.ID)}
		return v, nil
	case contactID == "":
		if n := len(contacts) + len(open) + len(extra); n > 1 {
			v.Kind = InboxMultiple
			for _, ct := range contacts {
				m := SFMatch{Object: "Contact", ID: ct.ID, Name: ct.Name, URL: link(ct.ID)}
				if ct.Account != nil {
					m.Company, m.Owner = ct.Account.Name, ct.Account.Owner.Name
				}
				v.Matches = append(v.Matches, m)
			}
			for _, l := range open {
				v.Matches = append(v.Matches, SFMatch{Object: "Lead", ID: l.ID, Name: l.Name, URL: link(l.ID),
					Company: l.Company, Status: l.Status, Owner: l.Owner.Name})
			}
			for _, id := range extra {
				v.Matches = append(v.Matches, SFMatch{Object: "Contact", ID: id, Name: converted[id].Name, URL: link(id),
					Company: converted[id].Company})
			}
		}
		return v, nil
	}

	// The Contact, its Account, its Account's Opportunities and its open
	// Cases, in one composite request.
	var full []sfContactRow
	var opps []sfOpportunityRow
	var cases []sfCaseRow
	sv, err := a.Settings(ctx, c.ID)
	if err != nil {
		return v, err
	}
	v.Cases = sv.Document.Cases.Enabled
	qs := []inboxQuery{
		{"contact", "SELECT Id, Name, Email, AccountId, Account.Name, Account.Website, Account.BillingCountry, Account.Owner.Name FROM Contact WHERE Id = " +
			salesforce.QuoteSOQL(contactID), &full},
	}
	if v.Cases {
		qs = append(qs, inboxQuery{"cases", fmt.Sprintf("SELECT Id, CaseNumber, Subject, Status, Priority FROM Case WHERE ContactId = %s AND IsClosed = false ORDER BY CreatedDate DESC LIMIT %d",
			salesforce.QuoteSOQL(contactID), inboxMaxCases), &cases})
	}
	if accountID != "" {
		qs = append(qs, inboxQuery{"opportunities", fmt.Sprintf("SELECT Id, Name, StageName, CloseDate, Amount, Owner.Name FROM Opportunity WHERE AccountId = %s ORDER BY CloseDate DESC LIMIT %d",
			salesforce.QuoteSOQL(accountID), inboxMaxOpportunities), &opps})
	}
	if err := inboxQueries(ctx, sf, &v.Calls, qs); err != nil {
		return v, err
	}
	if len(full) == 0 {
		// Deleted between the two calls: nothing to show but the lookup.
		return v, nil
	}
	ct := full[0]
	v.Kind = InboxContact
	v.Contact = &SFContact{ID: ct.ID, Name: ct.Name, Email: ct.Email, AccountID: ct.AccountID, URL: link(ct.ID)}
	if ct.Account != nil {
		v.Contact.Owner = ct.Account.Owner.Name
		v.Account = &SFAccount{ID: ct.AccountID, Name: ct.Account.Name, Domain: domainOf(ct.Account.Website),
			Owner: ct.Account.Owner.Name, Country: ct.Account.BillingCountry, URL: link(ct.AccountID)}
	}
	for _, o := range opps {
		v.Opportunities = append(v.Opportunities, SFOpportunity{ID: o.ID, Name: o.Name, Owner: o.Owner.Name, Stage: o.StageName,
			CloseDate: o.CloseDate, Amount: amount(o.Amount), URL: link(o.ID)})
	}
	for _, cs := range cases {
		v.OpenCases = append(v.OpenCases, SFCase{ID: cs.ID, Number: cs.CaseNumber, Subject: cs.Subject, Status: cs.Status,
			Priority: cs.Priority, URL: link(cs.ID)})
	}
	return v, nil
}

// inboxSalesforce returns the connection's Salesforce client after checking
// that the inbox lane of the API budget (F8.1) still has calls today.
func (a *App) inboxSalesforce(ctx context.Context, connID int64) (*salesforce.Client, error) {
	sv, err := a.Settings(ctx, connID)
	if err != nil {
		return nil, err
	}
	used, err := connection.UsedToday(ctx, a.store, connID, a.now())
	if err != nil {
		return nil, err
	}
	if !sv.Document.APIBudget.Allows(settings.LaneInbox, used, -1) {
		return nil, ErrInboxBudgetSpent
	}
	return a.manager.Salesforce(ctx, connID)
}

// ErrInboxBudgetSpent: today's Salesforce API budget has no calls left, not
// even the reserve kept for inbox actions.
var ErrInboxBudgetSpent = errors.New("today's Salesforce API budget is spent, the inbox reserve included")

// inboxQuery is one SOQL query of a composite request and where its
// records are decoded.
type inboxQuery struct {
	ref  string
	soql string
	into any
}

// inboxQueries runs qs as one composite request in the inbox lane and
// decodes each query's records.
func inboxQueries(ctx context.Context, sf *salesforce.Client, calls *int, qs []inboxQuery) error {
	ctx = connection.WithPurpose(ctx, connection.PurposeInbox)
	subs := make([]salesforce.Subrequest, len(qs))
	for i, q := range qs {
		subs[i] = salesforce.Subrequest{Method: "GET", URL: "query?q=" + url.QueryEscape(q.soql), ReferenceID: q.ref}
	}
	*calls++
	res, err := sf.Composite(ctx, false, subs)
	if err != nil {
		return err
	}
	if len(res) != len(qs) {
		return fmt.Errorf("salesforce: composite answered %d results for %d queries", len(res), len(qs))
	}
	for i, r := range res {
		if err := r.Err(); err != nil {
			return fmt.Errorf("salesforce: %s query: %w", qs[i].ref, err)
		}
		var page struct {
			Records json.RawMessage `json:"records"`
		}
		if err := json.Unmarshal(r.Body, &page); err != nil {
			return fmt.Errorf("salesforce: %s query: %w", qs[i].ref, err)
		}
		if err := json.Unmarshal(page.Records, qs[i].into); err != nil {
			return fmt.Errorf("salesforce: %s records: %w", qs[i].ref, err)
		}
	}
	return nil
}

// sfName is a parent relationship read for its Name (Owner.Name).
type sfName struct {
	Name string `json:"Name"`
}

type sfContactRow struct {
	ID        string `json:"Id"`
	Name      string `json:"Name"`
	Email     string `json:"Email"`
	AccountID string `json:"AccountId"`
	Account   *struct {
		Name           string `json:"Name"`
		Website        string `json:"Website"`
		BillingCountry string `json:"BillingCountry"`
		Owner          sfName `json:"Owner"`
	} `json:"Account"`
}

type sfLeadRow struct {
	ID                 string `json:"Id"`
	Name               string `json:"Name"`
	Email              string `json:"Email"`
	Company            string `json:"Company"`
	Status             string `json:"Status"`
	Owner              sfName `json:"Owner"`
	IsConverted        bool   `json:"IsConverted"`
	ConvertedContactID string `json:"ConvertedContactId"`
	ConvertedAccountID string `json:"ConvertedAccountId"`
}

type sfOpportunityRow struct {
	ID        string   `json:"Id"`
	Name      string   `json:"Name"`
	StageName string   `json:"StageName"`
	CloseDate string   `json:"CloseDate"`
	Amount    *float64 `json:"Amount"`
	Owner     sfName   `json:"Owner"`
}

type sfCaseRow struct {
	ID         string `json:"Id"`
	CaseNumber string `json:"CaseNumber"`
	Subject    string `json:"Subject"`
	Status     string `json:"Status"`
	Priority   string `json:"Priority"`
}

// domainOf is the host of a website ("https://www.acme.com/x" → acme.com).
func domainOf(website string) string {
	s := strings.TrimSpace(website)
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Hostname() == "" {
		return website
	}
	return strings.TrimPrefix(u.Hostname(), "www.")
}

// amount formats an Opportunity amount with thousands separators.
func amount(a *float64) string {
	if a == nil {
		return ""
	}
	whole := int64(*a)
	cents := int64((*a-float64(whole))*100 + 0.5)
	digits := fmt.Sprint(whole)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 && digits[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if cents > 0 {
		fmt.Fprintf(&b, ".%02d", cents)
	}
	return b.String()
}
