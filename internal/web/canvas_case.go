package web

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/settings"
)

// caseInputPrefix prefixes the New Case form's input ids: case_Subject…
const caseInputPrefix = "case_"

// caseNone is the dropdown option of a picklist left empty: "—" for an
// optional one, "Choose…" for a required one without a default, so that a
// teammate who skips it is told rather than sending the first value.
const caseNone = "__none__"

// caseFormCanvas is the New Case form (F6.4): the fields the admin chose
// and the ones Salesforce requires, marked with an asterisk.
func (s *Server) caseFormCanvas(ctx context.Context, req *canvasRequest) canvas {
	_, form, failure := s.caseFormOf(ctx, req)
	if failure != nil {
		return *failure
	}
	return caseForm(form, req, nil, nil)
}

// caseFormOf reads the New Case form of the request's connection; a
// failure is the canvas to answer instead.
func (s *Server) caseFormOf(ctx context.Context, req *canvasRequest) (int64, app.CaseForm, *canvas) {
	conn, err := s.app.InboxConnection(ctx, req.WorkspaceID)
	if err != nil {
		c := s.inboxFailure(ctx, err)
		return 0, app.CaseForm{}, &c
	}
	form, err := s.app.CaseForm(ctx, conn.ID)
	if err != nil {
		c := s.caseProblem(ctx, err)
		return 0, app.CaseForm{}, &c
	}
	return conn.ID, form, nil
}

// caseProblem is the canvas of a New Case that cannot go on: a known
// refusal says so with a way back, anything else is an inbox failure.
func (s *Server) caseProblem(ctx context.Context, err error) canvas {
	if app.KindOf(err) != 0 {
		title, _, _ := inboxProblem(err)
		return canvas{Content: canvasContent{Components: []component{text("Cannot create a case", "header"), text(title, "paragraph"),
			button(componentRefresh, "Back", "secondary", submitAction())}}}
	}
	return s.inboxFailure(ctx, err)
}

// caseForm renders the form with the teammate's values (nil: the
// defaults) and the problem Salesforce or ferry found, if any.
func caseForm(form app.CaseForm, req *canvasRequest, values map[string]string, problem *app.Error) canvas {
	cs := []component{text("New Case", "header")}
	if problem != nil {
		cs = append(cs, text(problem.Msg, "error"))
	}
	for _, f := range form.Fields {
		id := caseInputPrefix + f.Name
		label := f.Label
		if f.Required {
			label += " *"
		}
		v, given := values[f.Name]
		if !given {
			v = f.Default
		}
		var c component
		switch {
		case f.Type == "textarea":
			c = component{"type": "textarea", "id": id, "label": label, "value": v}
			if problem != nil && strings.EqualFold(problem.Field, f.Name) {
				c["error"] = true
			}
		case f.Type == "boolean":
			c = component{"type": "dropdown", "id": id, "label": label, "options": []component{
				{"type": "option", "id": "true", "text": "Yes"}, {"type": "option", "id": "false", "text": "No"}}}
			if v != "" {
				c["value"] = v
			}
		case f.Type == "picklist" && dropdownFits(f):
			var options []component
			if pickNone(f) {
				none := "—"
				if f.Required {
					none = "Choose…"
				}
				options = append(options, component{"type": "option", "id": caseNone, "text": none})
			}
			for _, o := range f.Options {
				options = append(options, component{"type": "option", "id": o, "text": clip(o)})
			}
			c = component{"type": "dropdown", "id": id, "label": label, "options": options}
			if v != "" && slices.Contains(f.Options, v) {
				c["value"] = v
			} else if pickNone(f) {
				c["value"] = caseNone
			}
		default:
			c = component{"type": "input", "id": id, "label": label, "value": v}
			if f.Type == "picklist" && len(f.Options) > 0 {
				c["placeholder"] = clip("One of: " + strings.Join(f.Options, ", "))
			}
		}
		cs = append(cs, c)
	}
	owner := "Salesforce's case assignment rules choose the owner."
	if form.Owner == settings.CaseOwnerTeammate {
		owner = "You will own the Case if your Salesforce user may edit cases; otherwise Salesforce's case assignment rules choose the owner."
	}
	if slices.ContainsFunc(form.Fields, func(f app.CaseField) bool { return f.Required }) {
		owner = "* required by Salesforce. " + owner
	}
	cs = append(cs, text(owner, "muted"),
		button(componentSubmitCase, "Create Case", "primary", submitAction()),
		button(componentRefresh, "Cancel", "secondary", submitAction()))
	return canvas{Content: canvasContent{Components: cs}, StoredData: map[string]string{"intercom_contact_id": req.person().IntercomID}}
}

// submitCaseCanvas creates the Case from the form and shows the person
// again with it; a value Salesforce or ferry refuses brings the form back
// with the teammate's values and the field named.
func (s *Server) submitCaseCanvas(ctx context.Context, req *canvasRequest) canvas {
	connID, form, failure := s.caseFormOf(ctx, req)
	if failure != nil {
		return *failure
	}
	values := map[string]string{}
	for _, f := range form.Fields {
		v := req.input(caseInputPrefix + f.Name)
		if v == caseNone {
			v = ""
		}
		values[f.Name] = v
	}
	p := req.person()
	res, err := s.app.CreateCase(ctx, connID, app.CaseRequest{ConversationID: string(req.Conversation.ID), IntercomID: p.IntercomID,
		AdminID: req.Admin.ID, AdminEmail: req.Admin.Email, PersonEmail: p.Email, Fields: values})
	var problem *app.Error
	switch {
	case app.KindOf(err) == app.Invalid && errors.As(err, &problem):
		if problem.Field != "" {
			// A field the form did not show (a required field added
			// in Salesforce since): the form is read again to show it.
			if fresh, ferr := s.app.CaseForm(ctx, connID); ferr == nil {
				form = fresh
			}
		}
		return caseForm(form, req, values, problem)
	case err != nil:
		return s.caseProblem(ctx, err)
	}
	c := s.inboxCanvas(ctx, req, "")
	lines := []component{}
	if res.Existed {
		lines = append(lines, text("This case was already created; nothing new was created.", "muted"))
	} else {
		what := "Case created in Salesforce."
		if res.CaseNumber != "" {
			what = mdLink("Case "+res.CaseNumber, res.URL) + " created in Salesforce."
		}
		if res.OwnerName != "" {
			what += " Owner: " + res.OwnerName + "."
		}
		lines = append(lines, text(what, "muted"), text(res.OwnerNote, "muted"))
		if !res.NoteAdded && res.NoteProblem != "" {
			lines = append(lines, text(res.NoteProblem, "error"))
		}
	}
	c.Content.Components = append(lines, c.Content.Components...)
	return c
}

// pickNone says a picklist's dropdown starts with the empty option: the
// field is optional, or required without a default.
func pickNone(f app.CaseField) bool { return !f.Required || f.Default == "" }

// dropdownFits says a picklist fits a dropdown, which takes 2 to 10
// options (one more for the empty option).
func dropdownFits(f app.CaseField) bool {
	n := len(f.Options)
	if pickNone(f) {
		n++
	}
	return n >= 2 && n <= 10
}
