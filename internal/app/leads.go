package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
)

// NotProvided fills a detail Salesforce requires that the person does not
// have (F4.2).
const NotProvided = "[not provided]"

// LeadSourceIntercom is the LeadSource of the Leads ferry creates (F4.1).
const LeadSourceIntercom = "Intercom"

// LeadRequest asks for a Salesforce Lead for an Intercom contact (F4.1).
// Empty details are taken from the contact.
type LeadRequest struct {
	IntercomID string `json:"intercom_contact_id"`
	Name       string `json:"name,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
	Company    string `json:"company,omitempty"`
}

// LeadDraft is what a Lead would be created with: the contact's details,
// for a form to show and edit.
type LeadDraft struct {
	IntercomID, Name, Email, Phone, Company string
}

// LeadResult is the Lead of a LeadRequest.
type LeadResult struct {
	// LeadID is the Salesforce Lead (or the Contact the person already is).
	LeadID string `json:"salesforce_id"`
	// Object is "Lead", or "Contact" when the person already was one.
	Object string `json:"object"`
	// Existed says the record was there before this request.
	Existed bool   `json:"existed"`
	URL     string `json:"url,omitempty"`
}

// LeadDraft reads the Intercom contact whose Lead a teammate is about to
// create: its name, email, phone and first company's name. A contact
// without an email is an Invalid error that says so.
func (a *App) LeadDraft(ctx context.Context, connID int64, intercomID string) (LeadDraft, error) {
	if intercomID == "" {
		return LeadDraft{}, errorf(Invalid, "Name the Intercom contact to create the Lead for.")
	}
	ic, err := a.manager.Intercom(ctx, connID)
	if err != nil {
		return LeadDraft{}, err
	}
	c, err := ic.GetContact(ctx, intercomID)
	if intercom.IsNotFound(err) {
		return LeadDraft{}, errorf(NotFound, "This person is no longer in Intercom (deleted or merged). Reload the conversation.")
	} else if err != nil {
		return LeadDraft{}, fmt.Errorf("read Intercom contact %s: %w", intercomID, err)
	}
	d := LeadDraft{IntercomID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone}
	if c.Companies != nil && len(c.Companies.Data) > 0 {
		if co, err := ic.GetCompany(ctx, c.Companies.Data[0].ID); err == nil {
			d.Company = co.Name
		}
	}
	if d.Email == "" {
		return d, errorf(Invalid, "This person has no email address in Intercom. Add their email to their Intercom profile, then create the Lead.")
	}
	return d, nil
}

// CreateLead creates the Salesforce Lead of an Intercom contact (F4.1–F4.3)
// in the inbox lane of the API budget: LeadSource Intercom, required
// details left empty as [not provided], then the identity mapping and the
// first full sync of the pair (F3.4). The same request twice — a double
// click, a retry, two instances — makes one Lead: a claim row is committed
// before the create, and later requests wait for it and answer its Lead
// with Existed. A person already in Salesforce by email is answered with
// that record, Existed, and mapped.
func (a *App) CreateLead(ctx context.Context, connID int64, req LeadRequest) (LeadResult, error) {
	c, err := a.Connection(ctx, connID)
	if err != nil {
		return LeadResult{}, err
	}
	link := func(r LeadResult) LeadResult {
		if base := strings.TrimRight(c.SalesforceInstanceURL, "/"); base != "" {
			r.URL = base + "/" + r.LeadID
		}
		return r
	}
	if req.IntercomID == "" {
		return LeadResult{}, errorf(Invalid, "Name the Intercom contact to create the Lead for.")
	}
	if m, err := a.store.GetMappingByIntercomID(ctx, connID, req.IntercomID); err == nil && m.Kind == store.MappingPerson {
		return link(LeadResult{LeadID: m.SFID, Object: string(m.SFObject), Existed: true}), nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return LeadResult{}, err
	}
	var found LeadResult
	id, existed, err := a.once(ctx, connID, "lead:"+req.IntercomID, func() (string, error) {
		var err error
		found, err = a.createLead(ctx, connID, req)
		return found.LeadID, err
	}, func(tx store.Tx, id string) error {
		return engine.EnqueueMapRecord(ctx, tx, connID, req.IntercomID, id)
	})
	if err != nil {
		return LeadResult{}, err
	}
	r := LeadResult{LeadID: id, Object: "Lead", Existed: existed || found.Existed}
	if strings.HasPrefix(id, "003") {
		r.Object = "Contact"
	}
	a.log.InfoContext(ctx, "Lead created from Intercom", "connection", connID, "intercom_id", req.IntercomID,
		"salesforce_id", r.LeadID, "existed", r.Existed)
	return link(r), nil
}

// createLead finds the person in Salesforce by email and, when absent,
// creates the Lead: two Salesforce calls of the inbox lane.
func (a *App) createLead(ctx context.Context, connID int64, req LeadRequest) (LeadResult, error) {
	d, err := a.LeadDraft(ctx, connID, req.IntercomID)
	if req.Email != "" && KindOf(err) == Invalid && d.IntercomID != "" {
		err = nil // the request gives the email the contact lacks
	}
	if err != nil {
		return LeadResult{}, err
	}
	for _, o := range []struct {
		to *string
		v  string
	}{{&d.Name, req.Name}, {&d.Email, req.Email}, {&d.Phone, req.Phone}, {&d.Company, req.Company}} {
		if v := strings.TrimSpace(o.v); v != "" {
			*o.to = v
		}
	}
	if !strings.Contains(d.Email, "@") {
		return LeadResult{}, errorf(Invalid, "%q is not an email address.", d.Email)
	}
	sf, err := a.inboxSalesforce(ctx, connID)
	if err != nil {
		return LeadResult{}, err
	}
	var calls int
	var leads, contacts []struct {
		ID string `json:"Id"`
	}
	email := salesforce.QuoteSOQL(d.Email)
	err = inboxQueries(ctx, sf, &calls, []inboxQuery{
		{"leads", "SELECT Id FROM Lead WHERE Email = " + email + " AND IsConverted = false LIMIT 1", &leads},
		{"contacts", "SELECT Id FROM Contact WHERE Email = " + email + " LIMIT 1", &contacts},
	})
	if err != nil {
		return LeadResult{}, err
	}
	switch {
	case len(contacts) > 0:
		return LeadResult{LeadID: contacts[0].ID, Object: "Contact", Existed: true}, nil
	case len(leads) > 0:
		return LeadResult{LeadID: leads[0].ID, Object: "Lead", Existed: true}, nil
	}
	first, last := splitName(d.Name)
	fields := map[string]any{"FirstName": first, "LastName": orNotProvided(last), "Email": d.Email,
		"Company": orNotProvided(d.Company), "LeadSource": LeadSourceIntercom}
	if d.Phone != "" {
		fields["Phone"] = d.Phone
	}
	id, err := sf.Create(connection.WithPurpose(ctx, connection.PurposeInbox), "Lead", fields)
	if err != nil {
		return LeadResult{}, salesforceRefusal("Lead", err)
	}
	return LeadResult{LeadID: id, Object: "Lead"}, nil
}

// splitName splits a full name into first and last name; a single word is
// the last name (Salesforce requires one).
func splitName(name string) (first, last string) {
	name = strings.TrimSpace(name)
	i := strings.LastIndex(name, " ")
	if i < 0 {
		return "", name
	}
	return strings.TrimSpace(name[:i]), name[i+1:]
}

func orNotProvided(s string) string {
	if strings.TrimSpace(s) == "" {
		return NotProvided
	}
	return s
}
