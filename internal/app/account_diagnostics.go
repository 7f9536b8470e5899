package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// Account sync diagnostics bounds.
const (
	// diagCompaniesRead bounds how many Intercom companies the diagnosis
	// reads looking for a recent change (it stops at the first one once
	// the sample is full: 167 calls at most); diagSample how many of them,
	// with a company_id, are tried against the Account's fields.
	diagCompaniesRead = 10000
	diagSample        = 200
	// diagRecent is how far back a create or update counts as a change
	// that triggers account sync.
	diagRecent = 30 * 24 * time.Hour
	// diagFieldsPerQuery is how many Account fields one query tries at
	// once (their IN lists OR'd), and diagValuesPerList the most values in
	// one IN list; the lists are cut shorter to keep the URI within
	// Salesforce's limit.
	diagFieldsPerQuery = 5
	diagValuesPerList  = 300
)

// The account sync problems a diagnosis can find, in the order they are
// checked: each one alone keeps account sync from working.
const (
	AccountCompaniesDisabled = "companies_disabled"
	AccountNoCompanies       = "no_companies"
	AccountNoCompanyChanges  = "no_company_changes"
	AccountNoAccountChanges  = "no_account_changes"
	AccountSyncOff           = "account_sync_off"
	AccountNoMappings        = "no_identity_mappings"
)

// AccountDiagnosis says why account sync does or does not work on a
// connection: each problem found with what it means and how to fix it, and,
// when companies are not being matched, the Account field that would match
// the most sampled companies.
type AccountDiagnosis struct {
	ConnectionID int64     `json:"connection_id"`
	CheckedAt    time.Time `json:"checked_at"`
	// OK: no problem found.
	OK bool `json:"ok"`
	// CompanyField is the Account field compared with company_id in the
	// settings ("" while account sync is off).
	CompanyField string `json:"company_field,omitempty"`
	// CompaniesRead is how many Intercom companies were read: all of them,
	// up to a bound, unless one changed recently; CompaniesTotal is how
	// many the workspace has.
	CompaniesRead  int `json:"companies_read"`
	CompaniesTotal int `json:"companies_total"`
	// LatestCompanyChange is the latest created or updated time among them.
	LatestCompanyChange *time.Time `json:"latest_company_change,omitempty"`
	// CompanyMappings is how many companies are mapped to Accounts.
	CompanyMappings int              `json:"company_mappings"`
	Problems        []AccountProblem `json:"problems"`
	// Suggestion is the field that would match the most sampled
	// companies, when companies are not matched.
	Suggestion *FieldSuggestion `json:"suggestion,omitempty"`
}

// AccountProblem is one reason account sync does not work.
type AccountProblem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Fix     string `json:"fix"`
}

// FieldSuggestion is the outcome of trying sampled companies' company_id
// against the Account's text-like fields.
type FieldSuggestion struct {
	// Field is the Account field that matched the most sampled companies
	// ("" when none matched any); Label is its label.
	Field string `json:"field,omitempty"`
	Label string `json:"label,omitempty"`
	// Matched is how many of the Sampled companies it matched.
	Matched int `json:"matched"`
	Sampled int `json:"sampled"`
	// Candidates is every field tried with how many it matched, best
	// first.
	Candidates []FieldMatches `json:"candidates"`
	// Queries is how many Salesforce queries the trial took.
	Queries int `json:"queries"`
}

// FieldMatches is how many sampled companies one Account field matched.
type FieldMatches struct {
	Field   string `json:"field"`
	Matched int    `json:"matched"`
}

// DiagnoseAccounts checks connection id's account sync (0: the default
// connection) in the order it depends on things: the workspace's company
// feature, companies existing, recent company changes, recent Account
// changes, a matching field chosen and companies mapped by it. When no
// company is mapped it samples companies, tries their company_id against
// the Account's text-like fields and suggests the best field. It only
// reads, on both sides.
func (a *App) DiagnoseAccounts(ctx context.Context, id int64) (AccountDiagnosis, error) {
	c, err := a.Connection(ctx, id)
	if err != nil {
		return AccountDiagnosis{}, err
	}
	now := a.now()
	d := AccountDiagnosis{ConnectionID: c.ID, CheckedAt: now.UTC(), Problems: []AccountProblem{}}
	ic, err := a.manager.Intercom(ctx, c.ID)
	if err != nil {
		return d, notConnected(c.ID, "Intercom", err)
	}
	sf, err := a.manager.Salesforce(ctx, c.ID)
	if err != nil {
		return d, notConnected(c.ID, "Salesforce", err)
	}
	if cur, err := a.store.GetSettings(ctx, c.ID); err == nil {
		if doc, err := settings.Parse(cur.Doc); err == nil {
			d.CompanyField = strings.TrimSpace(doc.Identity.Company.Salesforce)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return d, err
	}
	if d.CompanyMappings, err = a.store.CountMappings(ctx, c.ID, store.MappingCompany); err != nil {
		return d, err
	}
	add := func(code, msg, fix string) {
		d.Problems = append(d.Problems, AccountProblem{Code: code, Message: msg, Fix: fix})
	}

	var sample []string
	var latest time.Time
	recent := now.Add(-diagRecent)
	total := func(n int) { d.CompaniesTotal = n }
	for co, err := range ic.ListCompanies(ctx, intercom.ListOptions{PerPage: 60, Total: total}) {
		if err != nil {
			var ae *intercom.APIError
			if errors.As(err, &ae) && ae.StatusCode == http.StatusForbidden {
				add(AccountCompaniesDisabled,
					"Companies are switched off in the Intercom workspace, so there is nothing to match Accounts with (Intercom answered: "+ae.Message+").",
					"In Intercom, open Settings > Workspace > General and turn companies on; then create companies with the Messenger or the API.")
				return a.accountChanges(ctx, sf, d, now)
			}
			return d, errorf(Unavailable, "cannot list the Intercom companies: %v", err)
		}
		d.CompaniesRead++
		latest = latestOf(latest, co.CreatedAt.Time(), co.UpdatedAt.Time())
		if cid := string(co.CompanyID); cid != "" && len(sample) < diagSample {
			sample = append(sample, cid)
		}
		// One recent change is enough to know companies trigger account
		// sync; without one, every company is read (up to the bound).
		if !latest.Before(recent) && len(sample) >= diagSample || d.CompaniesRead >= diagCompaniesRead {
			break
		}
	}
	d.CompaniesTotal = max(d.CompaniesTotal, d.CompaniesRead)
	if d.CompaniesRead == 0 {
		add(AccountNoCompanies, "The Intercom workspace has no companies, so there is nothing to match Accounts with.",
			"Create companies with the Messenger snippet or the API, setting company_id to the value of the Salesforce Account field used for matching, and add people to them (Intercom lists only companies that have people).")
		return a.accountChanges(ctx, sf, d, now)
	}
	if !latest.IsZero() {
		d.LatestCompanyChange = &latest
	}
	if latest.Before(recent) {
		which := "No Intercom company"
		if d.CompaniesRead < d.CompaniesTotal {
			// The bound was reached: say what was read, not more.
			which = fmt.Sprintf("None of the first %d of the %d Intercom companies", d.CompaniesRead, d.CompaniesTotal)
		}
		add(AccountNoCompanyChanges,
			fmt.Sprintf("%s was created or updated in the last %d days (latest: %s), so nothing in Intercom triggers account sync.",
				which, int(diagRecent.Hours()/24), dateOrNever(latest)),
			"Create or update companies in Intercom (Messenger or API), with company_id set to the value of the Account field used for matching.")
	}
	if d, err = a.accountChanges(ctx, sf, d, now); err != nil {
		return d, err
	}
	if d.CompanyField != "" && d.CompanyMappings > 0 {
		d.OK = len(d.Problems) == 0
		return d, nil
	}
	s, err := suggestCompanyField(ctx, sf, sample)
	if err != nil {
		return d, errorf(Unavailable, "cannot try the companies' company_id against the Account fields: %v", err)
	}
	d.Suggestion = &s
	fix := fmt.Sprintf("None of the Account's %d text fields holds any of the %d sampled company_id values: when companies are created or updated, set company_id to the value of one Account field (for example AccountNumber), and choose that field in the settings (identity.company.salesforce).",
		len(s.Candidates), s.Sampled)
	if s.Field != "" {
		fix = fmt.Sprintf("Choose %s (%s) in the settings (identity.company.salesforce): it matched %d of %d sampled companies.",
			s.Field, s.Label, s.Matched, s.Sampled)
	}
	if s.Field != "" && strings.EqualFold(s.Field, d.CompanyField) {
		// The chosen field is right; matching has not run since.
		fix = fmt.Sprintf("Account.%s matches %d of %d sampled companies, but matching has not mapped them yet: match again (resync).",
			d.CompanyField, s.Matched, s.Sampled)
	}
	if d.CompanyField == "" {
		add(AccountSyncOff, "Account sync is off: no Salesforce Account field is chosen to match Intercom's company_id.", fix)
	} else {
		add(AccountNoMappings,
			fmt.Sprintf("Account sync compares company_id with Account.%s, but no company is mapped to an Account: no company_id matches that field.", d.CompanyField),
			fix)
	}
	return d, nil
}

// accountChanges adds the problem of no recently created or updated
// Account: one query for a single Id.
func (a *App) accountChanges(ctx context.Context, sf *salesforce.Client, d AccountDiagnosis, now time.Time) (AccountDiagnosis, error) {
	since := now.Add(-diagRecent).UTC().Format("2006-01-02T15:04:05Z")
	found := false
	for _, err := range sf.Query(ctx, "SELECT Id FROM Account WHERE SystemModstamp >= "+since+" LIMIT 1") {
		if err != nil {
			return d, errorf(Unavailable, "cannot query the Salesforce Accounts: %v", err)
		}
		found = true
	}
	if !found {
		d.Problems = append(d.Problems, AccountProblem{Code: AccountNoAccountChanges,
			Message: fmt.Sprintf("No Salesforce Account was created or updated in the last %d days, so nothing in Salesforce triggers account sync.", int(diagRecent.Hours()/24)),
			Fix:     "Create or update Accounts in Salesforce, with the matching field holding the company's company_id."})
	}
	return d, nil
}

// suggestCompanyField tries the sample of company_id values against every
// filterable text-like Account field, a few fields a query with their IN
// lists OR'd, the lists cut to keep each query's URI within Salesforce's
// limit, and returns the field that matched the most companies exactly
// (as matching compares them).
func suggestCompanyField(ctx context.Context, sf *salesforce.Client, sample []string) (FieldSuggestion, error) {
	s := FieldSuggestion{Sampled: len(sample), Candidates: []FieldMatches{}}
	// A field added since the last describe is a candidate too.
	sf.InvalidateDescribe("Account")
	desc, err := sf.Describe(ctx, "Account")
	if err != nil {
		return s, err
	}
	var fields []salesforce.Field
	for _, f := range desc.Fields {
		switch f.Type {
		case "string", "url", "phone", "email", "picklist", "combobox":
			if f.Filterable {
				fields = append(fields, f)
			}
		}
	}
	if len(sample) == 0 {
		for _, f := range fields {
			s.Candidates = append(s.Candidates, FieldMatches{Field: f.Name})
		}
		return s, nil
	}
	want := map[string]bool{}
	for _, v := range sample {
		want[v] = true
	}
	matched := map[string]map[string]bool{}
	for group := range slices.Chunk(fields, diagFieldsPerQuery) {
		names := make([]string, len(group))
		for i, f := range group {
			names[i] = f.Name
		}
		for rest := sample; len(rest) > 0; {
			n, soql, err := fitFieldsQuery(sf, names, rest)
			if err != nil {
				return s, err
			}
			rest = rest[n:]
			if soql == "" {
				continue
			}
			s.Queries++
			for rec, err := range sf.Query(ctx, soql) {
				if err != nil {
					return s, err
				}
				for _, name := range names {
					if v := rec.String(name); want[v] {
						if matched[name] == nil {
							matched[name] = map[string]bool{}
						}
						matched[name][v] = true
					}
				}
			}
		}
	}
	for _, f := range fields {
		s.Candidates = append(s.Candidates, FieldMatches{Field: f.Name, Matched: len(matched[f.Name])})
	}
	slices.SortStableFunc(s.Candidates, func(x, y FieldMatches) int { return y.Matched - x.Matched })
	if len(s.Candidates) > 0 && s.Candidates[0].Matched > 0 {
		best := s.Candidates[0]
		s.Field, s.Matched = best.Field, best.Matched
		for _, f := range fields {
			if f.Name == best.Field {
				s.Label = f.Label
			}
		}
	}
	return s, nil
}

// fitFieldsQuery builds the query trying the first values against fields
// (WHERE f1 IN (…) OR f2 IN (…) …) with as many values as fit in one URI
// and one IN list, and says how many it took.
func fitFieldsQuery(sf *salesforce.Client, fields []string, values []string) (int, string, error) {
	build := func(vals []string) (string, error) {
		list, err := salesforce.InList(vals)
		if err != nil {
			return "", err
		}
		where := make([]string, len(fields))
		for i, f := range fields {
			where[i] = f + " IN " + list
		}
		return "SELECT Id, " + strings.Join(fields, ", ") + " FROM Account WHERE " + strings.Join(where, " OR "), nil
	}
	// The longest prefix that fits, by bisection.
	lo, hi := 0, min(len(values), diagValuesPerList)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		q, err := build(values[:mid])
		if err != nil {
			return 0, "", err
		}
		if sf.QueryURIBytes(q) <= sf.MaxQueryURIBytes() {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		// A value too long to be asked about even alone is skipped (no
		// query): no Account field is that long either.
		return 1, "", nil
	}
	q, err := build(values[:lo])
	return lo, q, err
}

// notConnected turns a missing client into the error admins see.
func notConnected(connID int64, side string, err error) error {
	if errors.Is(err, connection.ErrNotConnected) {
		return errorf(Conflict, "%s is not connected on connection %d: connect it, then diagnose account sync", side, connID)
	}
	return err
}

func latestOf(t time.Time, more ...time.Time) time.Time {
	for _, m := range more {
		if m.After(t) {
			t = m
		}
	}
	return t
}

func dateOrNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02")
}

// UseCompanyField makes account sync match company_id with Account field
// (the diagnosis's suggestion): the settings are saved with it, validated
// like any settings, which starts matching companies again.
func (a *App) UseCompanyField(ctx context.Context, connID int64, field string) (SettingsView, error) {
	field = strings.TrimSpace(field)
	if field == "" {
		return SettingsView{}, errorf(Invalid, "no Account field given")
	}
	cur, err := a.Settings(ctx, connID)
	if err != nil {
		return SettingsView{}, err
	}
	doc := cur.Document
	doc.Identity.Company.Intercom = "company_id"
	doc.Identity.Company.Salesforce = field
	raw, err := json.Marshal(doc)
	if err != nil {
		return SettingsView{}, err
	}
	return a.SaveSettings(ctx, connID, raw, cur.Version)
}
