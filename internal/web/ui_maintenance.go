package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ferrysync/ferry/internal/app"
)

// maintenanceData is what the maintenance page shows.
type maintenanceData struct {
	Connection app.ConnectionView
	// Diagnosis is the account sync diagnosis, when asked for.
	Diagnosis *app.AccountDiagnosis
	// DiagnoseFailed says why the diagnosis could not run.
	DiagnoseFailed string
}

// maintenancePage is GET /maintenance: match again (with the matching
// progress), the account sync diagnosis (run with ?diagnose=1, since it
// reads both systems) with its suggested field, and uninstall.
func (s *Server) maintenancePage(w http.ResponseWriter, r *http.Request, p uiPage) {
	ctx := r.Context()
	var d maintenanceData
	var err error
	if d.Connection, err = s.app.GetConnection(ctx, p.Conn.ID); err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	if r.URL.Query().Get("diagnose") != "" {
		diag, err := s.app.DiagnoseAccounts(ctx, p.Conn.ID)
		if msg, ok := failedMessage(err); ok {
			d.DiagnoseFailed = msg
		} else if err != nil {
			s.uiFailure(w, r, p, err)
			return
		} else {
			d.Diagnosis = &diag
		}
	}
	p.Title, p.Data = "Maintenance", d
	s.render(w, r, http.StatusOK, "maintenance", p)
}

// resyncRun is POST /resync: records without a mapping are matched again.
func (s *Server) resyncRun(w http.ResponseWriter, r *http.Request, p uiPage) {
	_, err := s.app.Resync(r.Context(), p.Conn.ID)
	if s.maintenanceFailed(w, r, p, err) {
		return
	}
	s.redirectBack(w, r, p, "/maintenance", "Matching runs again for records without a pair; its progress shows below and on the overview.", "")
}

// companyFieldUse is POST /accounts/company-field: account sync matches
// company_id with the chosen Account field from now on.
func (s *Server) companyFieldUse(w http.ResponseWriter, r *http.Request, p uiPage) {
	field := r.PostFormValue("field")
	_, err := s.app.UseCompanyField(r.Context(), p.Conn.ID, field)
	var rej *app.SettingsRejected
	if errors.As(err, &rej) {
		msg := rej.Message
		for _, pr := range rej.Problems {
			msg += "; " + pr.Message
		}
		s.redirectBack(w, r, p, "/maintenance", "", msg)
		return
	}
	if s.maintenanceFailed(w, r, p, err) {
		return
	}
	s.redirectBack(w, r, p, "/maintenance", fmt.Sprintf("Account sync now matches company_id with Account.%s; companies are matched again.", field), "")
}

// connectionUninstall is POST /connections/{id}/uninstall: both tokens are
// revoked and the connection stops; its data is kept, or with
// data=purge deleted. The connection's name must be typed to confirm.
func (s *Server) connectionUninstall(w http.ResponseWriter, r *http.Request, p uiPage) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	c, err := s.app.Connection(ctx, id)
	if s.maintenanceFailed(w, r, p, err) {
		return
	}
	if strings.TrimSpace(r.PostFormValue("confirm")) != c.Name {
		s.redirectBack(w, r, p, "/maintenance", "", fmt.Sprintf("Nothing was done: type the connection's name (%s) to confirm.", c.Name))
		return
	}
	purge := r.PostFormValue("data") == "purge"
	if s.maintenanceFailed(w, r, p, s.app.Disconnect(ctx, id, purge)) {
		return
	}
	if purge {
		p.Conn.ID = 0
		s.redirectBack(w, r, p, "/connect", fmt.Sprintf("%s uninstalled: both tokens were revoked and all its data deleted.", c.Name), "")
		return
	}
	s.redirectBack(w, r, p, "/maintenance", fmt.Sprintf("%s uninstalled: both tokens were revoked and its webhooks are ignored; its data is kept. Connect again to resume.", c.Name), "")
}

// maintenanceFailed answers a failed maintenance action, if err is one: an
// error the admin can act on is shown on the page, any other is a failure
// page.
func (s *Server) maintenanceFailed(w http.ResponseWriter, r *http.Request, p uiPage, err error) bool {
	if msg, ok := failedMessage(err); ok {
		s.redirectBack(w, r, p, "/maintenance", "", msg)
		return true
	}
	if err != nil {
		s.uiFailure(w, r, p, err)
		return true
	}
	return false
}
