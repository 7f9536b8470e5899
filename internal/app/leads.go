package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// NotProvided fills a detail Salesforce requires that the person does not
// have (F4.2).
const NotProvided = "[not provided]"

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
	// OwnerID is the Salesforce user ferry made the new Lead's owner
	// (settings ownership.lead_owner_from_intercom), "" when Salesforce's
	// lead assignment decided; OwnerNote says which and why.
	OwnerID   string `json:"owner_id,omitempty"`
	OwnerNote string `json:"owner_note,omitempty"`
}

// LeadDraft reads the Intercom contact whose Lead a teammate is about to
// create: its name, email, phone and first company's name. A contact
// without an email is an Invalid error that says so.
func (a *App) LeadDraft(ctx context.Context, connID int64, intercomID string) (LeadDraft, error) {
	d, _, err := a.leadContact(ctx, connID, intercomID)
	return d, err
}

// leadContact is LeadDraft with the Intercom contact it was read from.
func (a *App) leadContact(ctx context.Context, connID int64, intercomID string) (LeadDraft, *intercom.Contact, error) {
	if intercomID == "" {
		return LeadDraft{}, nil, errorf(Invalid, "Name the Intercom contact to create the Lead for.")
	}
	ic, err := a.manager.Intercom(ctx, connID)
	if err != nil {
		return LeadDraft{}, nil, err
	}
	c, err := ic.GetContact(ctx, intercomID)
	if intercom.IsNotFound(err) {
		return LeadDraft{}, nil, errorf(NotFound, "This person is no longer in Intercom (deleted or merged). Reload the conversation.")
	} else if err != nil {
		return LeadDraft{}, nil, fmt.Errorf("read Intercom contact %s: %w", intercomID, err)
	}
	d := LeadDraft{IntercomID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone}
	if c.Companies != nil && len(c.Companies.Data) > 0 {
		if co, err := ic.GetCompany(ctx, c.Companies.Data[0].ID); err == nil {
			d.Company = co.Name
		}
	}
	if d.Email == "" {
		return d, c, errorf(Invalid, "This person has no email address in Intercom. Add their email to their Intercom profile, then create the Lead.")
	}
	return d, c, nil
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
	if !r.Existed {
		r.OwnerID, r.OwnerNote = found.OwnerID, found.OwnerNote
	}
	if strings.HasPrefix(id, "003") {
		r.Object = "Contact"
	}
	a.log.InfoContext(ctx, "Lead created from Intercom", "connection", connID, "intercom_id", req.IntercomID,
		"salesforce_id", r.LeadID, "existed", r.Existed)
	return link(r), nil
}

// createLead finds the person in Salesforce by email and, when absent,
// creates the Lead with the mapped attributes that write to Salesforce
// (F3.7), the teammate's details, the LeadSource of the settings and, when
// ownership.lead_owner_from_intercom is on, the owner: two Salesforce calls
// of the inbox lane once the engine's settings are cached.
func (a *App) createLead(ctx context.Context, connID int64, req LeadRequest) (LeadResult, error) {
	d, contact, err := a.leadContact(ctx, connID, req.IntercomID)
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
	sv, err := a.Settings(ctx, connID)
	if err != nil {
		return LeadResult{}, err
	}
	conn, err := a.Connection(ctx, connID)
	if err != nil {
		return LeadResult{}, err
	}
	sf, err := a.inboxSalesforce(ctx, connID)
	if err != nil {
		return LeadResult{}, err
	}
	fields, err := a.planner().LeadFields(ctx, conn, contact)
	if err != nil {
		return LeadResult{}, err
	}
	var owner leadOwner
	if sv.Document.Ownership.LeadOwnerFromIntercom {
		if owner, err = a.intercomOwner(ctx, connID, contact); err != nil {
			return LeadResult{}, err
		}
	}

	var calls int
	var leads, contacts []struct {
		ID string `json:"Id"`
	}
	email := salesforce.QuoteSOQL(d.Email)
	qs := []inboxQuery{
		{"leads", "SELECT Id FROM Lead WHERE Email = " + email + " AND IsConverted = false LIMIT 1", &leads},
		{"contacts", "SELECT Id FROM Contact WHERE Email = " + email + " LIMIT 1", &contacts},
	}
	if owner.email != "" {
		qs = append(qs, inboxQuery{"owner", "SELECT Id, Email FROM User WHERE Email = " + salesforce.QuoteSOQL(owner.email) + " AND IsActive = true", &owner.users})
	}
	if err := inboxQueries(ctx, sf, &calls, qs); err != nil {
		return LeadResult{}, err
	}
	switch {
	case len(contacts) > 0:
		return LeadResult{LeadID: contacts[0].ID, Object: "Contact", Existed: true}, nil
	case len(leads) > 0:
		return LeadResult{LeadID: leads[0].ID, Object: "Lead", Existed: true}, nil
	}
	first, last := splitName(d.Name)
	if _, mapped := fields["LeadSource"]; !mapped && sv.Document.Leads.LeadSource != "" {
		fields["LeadSource"] = sv.Document.Leads.LeadSource
	}
	fields["FirstName"], fields["LastName"], fields["Email"] = first, orNotProvided(last), d.Email
	fields["Company"] = orNotProvided(d.Company)
	if d.Phone != "" {
		fields["Phone"] = d.Phone
	}
	res := LeadResult{Object: "Lead"}
	autoAssign := "TRUE"
	if sv.Document.Ownership.LeadOwnerFromIntercom {
		user, note := owner.pick()
		if user != "" {
			fields["OwnerId"] = user
			autoAssign = "FALSE" // an active lead assignment rule would override the owner
			res.OwnerID = user
		}
		res.OwnerNote = note
	}
	id, err := createAssigned(ctx, sf, "Lead", fields, autoAssign)
	if err != nil {
		return LeadResult{}, salesforceRefusal("Lead", err)
	}
	res.LeadID = id
	return res, nil
}

// leadOwner is the person's Intercom owner and the Salesforce Users with
// their email (ownership.lead_owner_from_intercom; F4.1).
type leadOwner struct {
	email string
	// why says why there is no email to look up.
	why   string
	users []struct{ ID, Email string }
}

// intercomOwner reads the email of the person's Intercom owner.
func (a *App) intercomOwner(ctx context.Context, connID int64, contact *intercom.Contact) (leadOwner, error) {
	id := contact.OwnerID.String()
	if id == "" || id == "0" {
		return leadOwner{why: "This person has no owner in Intercom, so Salesforce's lead assignment decided the owner."}, nil
	}
	ic, err := a.manager.Intercom(ctx, connID)
	if err != nil {
		return leadOwner{}, err
	}
	ad, err := ic.GetAdmin(ctx, id)
	if intercom.IsNotFound(err) {
		return leadOwner{why: "The person's Intercom owner is no longer a teammate, so Salesforce's lead assignment decided the owner."}, nil
	} else if err != nil {
		return leadOwner{}, fmt.Errorf("read the Intercom owner %s: %w", id, err)
	}
	if strings.TrimSpace(ad.Email) == "" {
		return leadOwner{why: "The person's Intercom owner has no email, so Salesforce's lead assignment decided the owner."}, nil
	}
	return leadOwner{email: strings.TrimSpace(ad.Email)}, nil
}

// pick returns the Salesforce User to own the Lead, "" for Salesforce's
// assignment, and says which in words.
func (o leadOwner) pick() (string, string) {
	if o.email == "" {
		return "", o.why
	}
	users := map[string]string{}
	for _, u := range o.users {
		users[u.ID] = u.Email
	}
	if user := sync.UsersByEmail(users)[sync.NormalizeEmail(o.email)]; user != "" {
		return user, "Owned by the Salesforce user of the person's Intercom owner (" + o.email + ")."
	}
	return "", "No active Salesforce user has the email of the person's Intercom owner (" + o.email + "), so Salesforce's lead assignment decided the owner."
}

// createAssigned creates a record in one composite call whose subrequest
// carries the Sforce-Auto-Assign header: "TRUE" runs Salesforce's active
// assignment rule (as a request without the header does), "FALSE" keeps
// the OwnerId given.
func createAssigned(ctx context.Context, sf *salesforce.Client, object string, fields map[string]any, autoAssign string) (string, error) {
	out, err := sf.Composite(connection.WithPurpose(ctx, connection.PurposeInbox), true, []salesforce.Subrequest{
		{Method: "POST", URL: "sobjects/" + object, ReferenceID: "create", Body: fields, HTTPHeaders: map[string]string{"Sforce-Auto-Assign": autoAssign}},
	})
	if err != nil {
		return "", err
	}
	if len(out) != 1 {
		return "", fmt.Errorf("salesforce: composite answered %d results for 1 subrequest", len(out))
	}
	if err := out[0].Err(); err != nil {
		return "", fmt.Errorf("salesforce: create %s: %w", object, err)
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out[0].Body, &created); err != nil || created.ID == "" {
		return "", fmt.Errorf("salesforce: create %s: unexpected answer %s", object, out[0].Body)
	}
	return created.ID, nil
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
