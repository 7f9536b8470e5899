package web

import (
	"context"

	"github.com/ferrysync/ferry/internal/app"
)

// The inputs of the Create Lead form.
const (
	leadInputName    = "lead_name"
	leadInputEmail   = "lead_email"
	leadInputPhone   = "lead_phone"
	leadInputCompany = "lead_company"
)

// leadFormCanvas is the Create Lead form, prefilled from the Intercom
// contact (F4.1); a contact without an email gets a message instead.
func (s *Server) leadFormCanvas(ctx context.Context, req *canvasRequest) canvas {
	conn, err := s.app.InboxConnection(ctx, req.WorkspaceID)
	if err != nil {
		return s.inboxFailure(ctx, err)
	}
	d, err := s.app.LeadDraft(ctx, conn.ID, req.person().IntercomID)
	if err != nil {
		if app.KindOf(err) != 0 {
			title, _, _ := inboxProblem(err)
			return canvas{Content: canvasContent{Components: []component{text("Cannot create a Lead", "header"), text(title, "paragraph"),
				button(componentRefresh, "Back", "secondary", submitAction())}}}
		}
		return s.inboxFailure(ctx, err)
	}
	return leadForm(d, "")
}

// leadForm renders the form with d's values and an error line.
func leadForm(d app.LeadDraft, problem string) canvas {
	cs := []component{text("Create Lead", "header")}
	if problem != "" {
		cs = append(cs, text(problem, "error"))
	}
	input := func(id, label, value, placeholder string) component {
		return component{"type": "input", "id": id, "label": label, "value": value, "placeholder": placeholder}
	}
	cs = append(cs,
		input(leadInputName, "Name", d.Name, app.NotProvided),
		input(leadInputEmail, "Email (required)", d.Email, "name@company.com"),
		input(leadInputPhone, "Phone", d.Phone, ""),
		input(leadInputCompany, "Company", d.Company, app.NotProvided),
		button(componentSubmitLead, "Create Lead", "primary", submitAction()),
		button(componentRefresh, "Cancel", "secondary", submitAction()))
	return canvas{Content: canvasContent{Components: cs}, StoredData: map[string]string{storedContactKey: d.IntercomID}}
}

// submitLeadCanvas creates the Lead from the form and shows it; a detail
// Salesforce or ferry refuses brings the form back saying which.
func (s *Server) submitLeadCanvas(ctx context.Context, req *canvasRequest) canvas {
	conn, err := s.app.InboxConnection(ctx, req.WorkspaceID)
	if err != nil {
		return s.inboxFailure(ctx, err)
	}
	lr := app.LeadRequest{IntercomID: req.person().IntercomID, Name: req.input(leadInputName), Email: req.input(leadInputEmail),
		Phone: req.input(leadInputPhone), Company: req.input(leadInputCompany)}
	res, err := s.app.CreateLead(ctx, conn.ID, lr)
	switch {
	case app.KindOf(err) == app.Invalid:
		return leadForm(app.LeadDraft(lr), err.Error())
	case err != nil:
		return s.inboxFailure(ctx, err)
	}
	if lr.Email != "" {
		req.setEmail(lr.Email)
	}
	c := s.inboxCanvas(ctx, req, "")
	note := "Lead created in Salesforce."
	if res.Existed {
		note = "This person was already in Salesforce; nothing new was created."
	}
	lines := []component{text(note, "muted")}
	if res.OwnerNote != "" {
		lines = append(lines, text(res.OwnerNote, "muted"))
	}
	c.Content.Components = append(lines, c.Content.Components...)
	return c
}
