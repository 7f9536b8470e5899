package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// CaseRequest asks for a Salesforce Case on the Contact of a person in an
// Intercom conversation (F6.4).
type CaseRequest struct {
	ConversationID string `json:"conversation_id"`
	// IntercomID is the person whose Contact gets the Case; default the
	// conversation's first contact.
	IntercomID string `json:"intercom_contact_id,omitempty"`
	// AdminID is the teammate creating the Case: the note's author, and
	// the owner when cases.owner is "teammate". Default the teammate who
	// connected Intercom to ferry.
	AdminID string `json:"admin_id,omitempty"`
	// Fields are the Case's values by field API name (Subject, Priority…).
	Fields map[string]string `json:"fields"`

	// AdminEmail (with AdminID) and PersonEmail spare Intercom calls when
	// the caller already knows them (the inbox app's request carries
	// both).
	AdminEmail  string `json:"-"`
	PersonEmail string `json:"-"`
}

// CaseResult is the Case of a CaseRequest.
type CaseResult struct {
	CaseID     string `json:"salesforce_id"`
	CaseNumber string `json:"case_number,omitempty"`
	ContactID  string `json:"contact_id,omitempty"`
	// OwnerID and OwnerName are the Case's owner after Salesforce's
	// assignment; Assignment is "teammate" when ferry set the teammate's
	// user, "salesforce" when Salesforce's own configuration decided, and
	// OwnerNote says why in words.
	OwnerID    string `json:"owner_id,omitempty"`
	OwnerName  string `json:"owner_name,omitempty"`
	Assignment string `json:"assignment,omitempty"`
	OwnerNote  string `json:"owner_note,omitempty"`
	// Existed says the same request created it before.
	Existed bool   `json:"existed"`
	URL     string `json:"url,omitempty"`
	// NoteAdded says the note with the link was added to the
	// conversation; NoteProblem says why not when it was not.
	NoteAdded   bool   `json:"note_added"`
	NoteProblem string `json:"note_problem,omitempty"`
}

// CaseField is one field of the New Case form, as Salesforce describes it.
type CaseField struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	// Type is the describe type: string, textarea, picklist, boolean…
	Type string `json:"type"`
	// Required: Salesforce refuses a Case without it (createable, not
	// nillable, no default).
	Required bool `json:"required"`
	// Options are a picklist's active values.
	Options []string `json:"options,omitempty"`
	// Restricted: a picklist that refuses other values.
	Restricted bool `json:"restricted,omitempty"`
	// Default is the picklist's default value, if any.
	Default string `json:"default,omitempty"`
}

// CaseForm is what the New Case form shows: the fields the admin chose
// (settings cases.fields) and every field Salesforce requires, and how the
// owner is chosen.
type CaseForm struct {
	Fields []CaseField `json:"fields"`
	// Owner is the settings' cases.owner: "salesforce" or "teammate".
	Owner string `json:"owner"`
}

// caseFilledByFerry are the Case fields ferry sets itself.
var caseFilledByFerry = []string{"ContactId", "AccountId", "OwnerId"}

// CaseForm reads the New Case form of a connection: the Case fields the
// admin chose, then the ones Salesforce requires, from the Case describe
// (one API call of the inbox lane, then cached). Creating cases turned off
// in settings is an Invalid error.
func (a *App) CaseForm(ctx context.Context, connID int64) (CaseForm, error) {
	sv, err := a.Settings(ctx, connID)
	if err != nil {
		return CaseForm{}, err
	}
	cs := sv.Document.Cases
	if !cs.Enabled {
		return CaseForm{}, errorf(Invalid, "Creating cases is turned off in ferry's settings. Ask your ferry admin to turn it on.")
	}
	sf, err := a.inboxSalesforce(ctx, connID)
	if err != nil {
		return CaseForm{}, err
	}
	d, err := sf.Describe(connection.WithPurpose(ctx, connection.PurposeInbox), "Case")
	if err != nil {
		return CaseForm{}, err
	}
	form := CaseForm{Owner: cs.Owner}
	add := func(f *salesforce.Field) {
		if f == nil || !f.Createable || slices.Contains(caseFilledByFerry, f.Name) ||
			slices.ContainsFunc(form.Fields, func(c CaseField) bool { return c.Name == f.Name }) {
			return
		}
		cf := CaseField{Name: f.Name, Label: f.Label, Type: f.Type, Required: f.Required(), Restricted: f.RestrictedPicklist}
		for _, p := range f.PicklistValues {
			if p.Active {
				cf.Options = append(cf.Options, p.Value)
				if p.DefaultValue {
					cf.Default = p.Value
				}
			}
		}
		form.Fields = append(form.Fields, cf)
	}
	for _, name := range cs.Fields {
		add(d.Field(name))
	}
	for i := range d.Fields {
		if d.Fields[i].Required() {
			add(&d.Fields[i])
		}
	}
	return form, nil
}

// values checks a request's Case values against the form and converts
// them to what Salesforce takes: a required field left empty, a value a
// restricted picklist lacks or a field the form does not have is an
// Invalid error naming the field.
func (form CaseForm) values(in map[string]string) (map[string]any, error) {
	out := map[string]any{}
	byName := map[string]CaseField{}
	for _, f := range form.Fields {
		byName[strings.ToLower(f.Name)] = f
	}
	for name := range in {
		if _, ok := byName[strings.ToLower(name)]; !ok {
			return nil, &Error{Kind: Invalid, Field: name, Msg: fmt.Sprintf("%s is not a field of the New Case form (it has: %s).", name, form.names())}
		}
	}
	for _, f := range form.Fields {
		v := ""
		for name, val := range in {
			if strings.EqualFold(name, f.Name) {
				v = strings.TrimSpace(val)
			}
		}
		if v == "" {
			if f.Required {
				return nil, &Error{Kind: Invalid, Field: f.Name, Msg: fmt.Sprintf("%s is required for a new Case.", f.Label)}
			}
			continue
		}
		switch f.Type {
		case "picklist":
			if f.Restricted && !slices.Contains(f.Options, v) {
				return nil, &Error{Kind: Invalid, Field: f.Name, Msg: fmt.Sprintf("%s cannot be %q; choose one of %s.", f.Label, v, strings.Join(f.Options, ", "))}
			}
			out[f.Name] = v
		case "boolean":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, &Error{Kind: Invalid, Field: f.Name, Msg: fmt.Sprintf("%s must be true or false.", f.Label)}
			}
			out[f.Name] = b
		case "int", "double", "currency", "percent":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, &Error{Kind: Invalid, Field: f.Name, Msg: fmt.Sprintf("%s must be a number.", f.Label)}
			}
			out[f.Name] = n
		default:
			out[f.Name] = v
		}
	}
	return out, nil
}

func (form CaseForm) names() string {
	var ns []string
	for _, f := range form.Fields {
		ns = append(ns, f.Name)
	}
	return strings.Join(ns, ", ")
}

// label returns a field's label, or its name when the form lacks it.
func (form CaseForm) label(name string) string {
	for _, f := range form.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Label
		}
	}
	return name
}

// CreateCase creates a Salesforce Case on the Contact of a person in a
// conversation (F6.4) in the inbox lane of the API budget, with the owner
// cases.owner asks for (F6.5), then adds a note with the Case's link to the
// conversation. The same request twice — a double click, a retry, two
// instances — makes one Case: a claim row keyed by the conversation, the
// person and the values is committed before the create.
func (a *App) CreateCase(ctx context.Context, connID int64, req CaseRequest) (CaseResult, error) {
	c, err := a.Connection(ctx, connID)
	if err != nil {
		return CaseResult{}, err
	}
	if req.ConversationID == "" {
		return CaseResult{}, errorf(Invalid, "Name the Intercom conversation the case comes from.")
	}
	form, err := a.CaseForm(ctx, connID)
	if err != nil {
		return CaseResult{}, err
	}
	fields, err := form.values(req.Fields)
	if err != nil {
		return CaseResult{}, err
	}
	ic, err := a.manager.Intercom(ctx, connID)
	if err != nil {
		return CaseResult{}, err
	}
	if req.IntercomID == "" {
		conv, err := ic.GetConversation(ctx, req.ConversationID)
		if intercom.IsNotFound(err) {
			return CaseResult{}, errorf(NotFound, "This conversation is no longer in Intercom.")
		} else if err != nil {
			return CaseResult{}, fmt.Errorf("read Intercom conversation %s: %w", req.ConversationID, err)
		}
		if conv.Contacts == nil || len(conv.Contacts.Contacts) == 0 {
			return CaseResult{}, errorf(Invalid, "This conversation has no contact to create the case for.")
		}
		req.IntercomID = conv.Contacts.Contacts[0].ID
	}

	if req.AdminID == "" || req.AdminEmail == "" {
		// The teammate is the note's author and, for the teammate owner
		// policy, whose user owns the Case: an unknown one is refused
		// before anything is created.
		ad, err := a.caseTeammate(ctx, ic, req.AdminID)
		if err != nil {
			return CaseResult{}, err
		}
		req.AdminID, req.AdminEmail = ad.ID, ad.Email
	}

	var res CaseResult
	id, existed, err := a.once(ctx, connID, caseKey(req, fields), func() (string, error) {
		var err error
		res, err = a.createCase(ctx, c, ic, req, form, fields)
		return res.CaseID, err
	}, nil)
	if err != nil {
		return CaseResult{}, err
	}
	if existed {
		res = CaseResult{CaseID: id, Existed: true}
	}
	if base := strings.TrimRight(c.SalesforceInstanceURL, "/"); base != "" {
		res.URL = base + "/" + res.CaseID
	}
	if !existed {
		res.NoteAdded, res.NoteProblem = a.caseNote(ctx, ic, req, res)
	}
	a.log.InfoContext(ctx, "Case created from Intercom", "connection", connID, "conversation", req.ConversationID,
		"case", res.CaseID, "existed", res.Existed, "assignment", res.Assignment, "note", res.NoteAdded)
	return res, nil
}

// caseKey identifies a Case request: the conversation, the person and the
// values, so that the same submit makes one Case and a different one
// another.
func caseKey(req CaseRequest, fields map[string]any) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, k := range names {
		fmt.Fprintf(h, "%s=%v\x00", k, fields[k])
	}
	return "case:" + req.ConversationID + ":" + req.IntercomID + ":" + hex.EncodeToString(h.Sum(nil))[:16]
}

// createCase finds the person's Contact and, for the teammate owner
// policy, the teammate's Salesforce user and whether it may edit cases (one
// composite call), then creates the Case and reads its number and owner
// (another).
func (a *App) createCase(ctx context.Context, c store.Connection, ic *intercom.Client, req CaseRequest, form CaseForm,
	fields map[string]any) (CaseResult, error) {
	var res CaseResult
	contactCond, err := a.caseContactCondition(ctx, c.ID, ic, req)
	if err != nil {
		return res, err
	}
	sf, err := a.inboxSalesforce(ctx, c.ID)
	if err != nil {
		return res, err
	}
	var contacts []struct {
		ID        string `json:"Id"`
		AccountID string `json:"AccountId"`
	}
	qs := []inboxQuery{{"contact", "SELECT Id, AccountId FROM Contact WHERE " + contactCond + " LIMIT 2", &contacts}}
	var owner caseOwnerQuery
	teammate := form.Owner == settings.CaseOwnerTeammate
	if teammate {
		if owner.email = strings.TrimSpace(req.AdminEmail); owner.email != "" {
			qs = append(qs, owner.queries()...)
		}
	}
	var calls int
	if err := inboxQueries(ctx, sf, &calls, qs); err != nil {
		return res, err
	}
	switch len(contacts) {
	case 0:
		return res, errorf(Invalid, "This person is not a Salesforce Contact (any more). Cases are created for Contacts; reload the app.")
	case 1:
	default:
		return res, errorf(Invalid, "Several Salesforce Contacts have this person's email, so ferry cannot tell which one the case is for. Create it in Salesforce.")
	}
	res.ContactID = contacts[0].ID
	fields["ContactId"] = res.ContactID
	if contacts[0].AccountID != "" {
		fields["AccountId"] = contacts[0].AccountID
	}
	res.Assignment, res.OwnerNote = settings.CaseOwnerSalesforce, "Salesforce's case assignment decided the owner."
	autoAssign := "TRUE"
	if teammate {
		user, why := owner.pick()
		if user != "" {
			fields["OwnerId"] = user
			autoAssign = "FALSE" // an active assignment rule would override the owner
			res.Assignment, res.OwnerNote = settings.CaseOwnerTeammate, "Assigned to the teammate's Salesforce user ("+owner.email+")."
		} else {
			res.OwnerNote = why + " Salesforce's case assignment decided the owner instead."
		}
	}

	read := "query?q=" + url.QueryEscape("SELECT CaseNumber, OwnerId, Owner.Name FROM Case WHERE Id = '") + "@{newCase.id}" + url.QueryEscape("'")
	subs := []salesforce.Subrequest{
		{Method: "POST", URL: "sobjects/Case", ReferenceID: "newCase", Body: fields, HTTPHeaders: map[string]string{"Sforce-Auto-Assign": autoAssign}},
		{Method: "GET", URL: read, ReferenceID: "readCase"},
	}
	out, err := sf.Composite(connection.WithPurpose(ctx, connection.PurposeInbox), true, subs)
	if err != nil {
		return res, err
	}
	if len(out) != len(subs) {
		return res, fmt.Errorf("salesforce: composite answered %d results for %d subrequests", len(out), len(subs))
	}
	if err := out[0].Err(); err != nil {
		return res, caseSaveError(ctx, sf, form, err)
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(out[0].Body, &created); err != nil || created.ID == "" {
		return res, fmt.Errorf("salesforce: create Case: unexpected answer %s", out[0].Body)
	}
	res.CaseID = created.ID
	var page struct {
		Records []struct {
			CaseNumber string `json:"CaseNumber"`
			OwnerID    string `json:"OwnerId"`
			Owner      sfName `json:"Owner"`
		} `json:"records"`
	}
	if out[1].Err() == nil && json.Unmarshal(out[1].Body, &page) == nil && len(page.Records) == 1 {
		r := page.Records[0]
		res.CaseNumber, res.OwnerID, res.OwnerName = r.CaseNumber, r.OwnerID, r.Owner.Name
	}
	return res, nil
}

// caseContactCondition is the SOQL condition that finds the person's
// Contact: the mapped Contact, else the Contacts with the person's email.
// A person mapped to a Lead, or without email, has no Contact.
func (a *App) caseContactCondition(ctx context.Context, connID int64, ic *intercom.Client, req CaseRequest) (string, error) {
	m, err := a.store.GetMappingByIntercomID(ctx, connID, req.IntercomID)
	switch {
	case err == nil && m.Kind == store.MappingPerson && m.SFObject == "Contact":
		return "Id = " + salesforce.QuoteSOQL(m.SFID), nil
	case err == nil && m.Kind == store.MappingPerson:
		return "", errorf(Invalid, "This person is a Salesforce Lead, not a Contact. Cases are created for Contacts.")
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", err
	}
	email := req.PersonEmail
	if email == "" {
		p, err := ic.GetContact(ctx, req.IntercomID)
		if intercom.IsNotFound(err) {
			return "", errorf(NotFound, "This person is no longer in Intercom (deleted or merged). Reload the conversation.")
		} else if err != nil {
			return "", fmt.Errorf("read Intercom contact %s: %w", req.IntercomID, err)
		}
		email = p.Email
	}
	if strings.TrimSpace(email) == "" {
		return "", errorf(Invalid, "This person has no email address, so ferry cannot find their Salesforce Contact.")
	}
	return "Email = " + salesforce.QuoteSOQL(strings.TrimSpace(email)), nil
}

// caseTeammate reads the teammate creating a Case from Intercom: the one
// named, else the one who connected Intercom to ferry.
func (a *App) caseTeammate(ctx context.Context, ic *intercom.Client, adminID string) (*intercom.Admin, error) {
	var ad *intercom.Admin
	var err error
	if adminID != "" {
		ad, err = ic.GetAdmin(ctx, adminID)
	} else {
		ad, err = ic.Me(ctx)
	}
	if intercom.IsNotFound(err) {
		return nil, errorf(NotFound, "Intercom has no teammate %s.", adminID)
	} else if err != nil {
		return nil, fmt.Errorf("read the Intercom teammate: %w", err)
	}
	return ad, nil
}

// caseOwnerQuery finds the active Salesforce User with a teammate's email
// and whether a permission set of theirs (their profile's included) may
// edit cases.
type caseOwnerQuery struct {
	email   string
	users   []struct{ ID, Email string }
	assigns []struct {
		AssigneeID      string `json:"AssigneeId"`
		PermissionSetID string `json:"PermissionSetId"`
	}
	editors []struct {
		ParentID string `json:"ParentId"`
	}
}

func (q *caseOwnerQuery) queries() []inboxQuery {
	e := salesforce.QuoteSOQL(q.email)
	return []inboxQuery{
		{"users", "SELECT Id, Email FROM User WHERE Email = " + e + " AND IsActive = true", &q.users},
		{"assignments", "SELECT AssigneeId, PermissionSetId FROM PermissionSetAssignment WHERE Assignee.Email = " + e + " AND Assignee.IsActive = true", &q.assigns},
		{"caseEditors", "SELECT ParentId FROM ObjectPermissions WHERE SobjectType = 'Case' AND PermissionsEdit = true", &q.editors},
	}
}

// pick returns the teammate's User when it may edit cases, else "" and
// why not.
func (q *caseOwnerQuery) pick() (string, string) {
	if q.email == "" {
		return "", "ferry does not know the teammate's email."
	}
	users := map[string]string{}
	for _, u := range q.users {
		users[u.ID] = u.Email
	}
	user := sync.UsersByEmail(users)[sync.NormalizeEmail(q.email)]
	if user == "" {
		return "", "No active Salesforce user has the email " + q.email + "."
	}
	edit := map[string]bool{}
	for _, p := range q.editors {
		edit[p.ParentID] = true
	}
	for _, a := range q.assigns {
		if a.AssigneeID == user && edit[a.PermissionSetID] {
			return user, ""
		}
	}
	return "", "The Salesforce user " + q.email + " may not edit cases."
}

// caseSaveError turns Salesforce's refusal of a Case into words that name
// the field, for the form to show again. A required field or picklist
// value the form did not know about means the describe is stale: it is
// read again next time (at once for a required field, to name it by its
// label).
func caseSaveError(ctx context.Context, sf *salesforce.Client, form CaseForm, err error) error {
	var ae *salesforce.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 {
		return err
	}
	field := ""
	if len(ae.Fields) > 0 {
		field = ae.Fields[0]
	}
	var labels []string
	for _, f := range ae.Fields {
		labels = append(labels, form.label(f))
	}
	switch ae.Code {
	case salesforce.CodeRequiredFieldMissing:
		sf.InvalidateDescribe("Case")
		// A field added since the form was read: its label, as the
		// form shown again names it, rather than its API name.
		if d, derr := sf.Describe(connection.WithPurpose(ctx, connection.PurposeInbox), "Case"); derr == nil {
			for i, name := range ae.Fields {
				if f := d.Field(name); f != nil && f.Label != "" {
					labels[i] = f.Label
				}
			}
		}
		return &Error{Kind: Invalid, Field: field, Msg: fmt.Sprintf("Salesforce requires %s for a new Case. Fill it in and create the case again.", strings.Join(labels, ", "))}
	case "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST":
		sf.InvalidateDescribe("Case")
		return &Error{Kind: Invalid, Field: field, Msg: fmt.Sprintf("Salesforce does not accept this value for %s: %s", strings.Join(labels, ", "), ae.Message)}
	case "FIELD_CUSTOM_VALIDATION_EXCEPTION":
		msg := ae.Message
		if len(labels) > 0 {
			msg = strings.Join(labels, ", ") + ": " + msg
		}
		return &Error{Kind: Invalid, Field: field, Msg: "Salesforce refused the case. " + msg}
	}
	return &Error{Kind: Invalid, Field: field, Msg: fmt.Sprintf("Salesforce refused the case (%s): %s", ae.Code, ae.Message)}
}

// caseNote adds the note with the Case's link to the conversation (F6.4).
// A note that cannot be added does not undo the Case: the result says so.
func (a *App) caseNote(ctx context.Context, ic *intercom.Client, req CaseRequest, res CaseResult) (bool, string) {
	label := "Case " + res.CaseNumber
	if res.CaseNumber == "" {
		label = "Case " + res.CaseID
	}
	link := html.EscapeString(label)
	if res.URL != "" {
		link = `<a href="` + html.EscapeString(res.URL) + `">` + link + `</a>`
	}
	body := "<p>Salesforce " + link + " created for this conversation."
	if res.OwnerName != "" {
		body += " Owner: " + html.EscapeString(res.OwnerName) + "."
	}
	body += "</p>"
	if _, err := ic.AddNote(ctx, req.ConversationID, req.AdminID, body); err != nil {
		a.log.WarnContext(ctx, "case note could not be added", "conversation", req.ConversationID, "case", res.CaseID, "error", err)
		if intercom.IsNotFound(err) {
			return false, "The conversation is no longer in Intercom, so no note was added."
		}
		return false, "Intercom refused the note with the case's link; the case exists in Salesforce."
	}
	return true, ""
}
