package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/settings"
)

type settingsData struct {
	Doc      settings.Document
	Version  int64
	Problems map[string][]string
	Skipped  []string
}

// settingsPage is GET /settings: poll interval, API budget and lanes,
// tasks, new Leads, cases and ownership.
func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, p uiPage) {
	st, err := s.app.Settings(r.Context(), p.Conn.ID)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	p.Title, p.Data = "Sync settings", settingsData{Doc: st.Document, Version: st.Version}
	s.render(w, r, http.StatusOK, "settings", p)
}

// settingsSave is POST /settings: the form's values replace those parts
// of the document; the whole is validated and saved only without problems.
func (s *Server) settingsSave(w http.ResponseWriter, r *http.Request, p uiPage) {
	ctx := r.Context()
	st, err := s.app.Settings(ctx, p.Conn.ID)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	version, err := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if err != nil {
		s.uiFailure(w, r, p, badRequest("the form has no settings version; reload the page"))
		return
	}
	doc := st.Document
	d := settingsData{Version: version, Problems: map[string][]string{}}
	number := func(name string, dst *int) {
		v := strings.TrimSpace(r.PostFormValue(name))
		n, err := strconv.Atoi(v)
		if err != nil {
			d.Problems["api_budget."+name] = append(d.Problems["api_budget."+name], v+" is not a whole number")
			return
		}
		*dst = n
	}
	on := func(name string) bool { return r.PostFormValue(name) != "" }
	doc.PollInterval = strings.TrimSpace(r.PostFormValue("poll_interval"))
	if v := r.PostFormValue("salesforce_changes"); v != "" {
		doc.SalesforceChanges = v
	}
	if v := strings.TrimSpace(r.PostFormValue("reconcile_interval")); r.Form.Has("reconcile_interval") {
		doc.ReconcileInterval = v
	}
	number("daily_limit", &doc.APIBudget.DailyLimit)
	number("reserve_inbox", &doc.APIBudget.ReserveInbox)
	number("reserve_background", &doc.APIBudget.ReserveBackground)
	doc.Tasks.Enabled, doc.Tasks.RelateOpportunities = on("tasks_enabled"), on("relate_opportunities")
	doc.Leads.LeadSource = strings.TrimSpace(r.PostFormValue("lead_source"))
	doc.Cases.Enabled, doc.Cases.Owner = on("cases_enabled"), r.PostFormValue("cases_owner")
	doc.Cases.Fields = nil
	for _, f := range strings.Split(r.PostFormValue("cases_fields"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			doc.Cases.Fields = append(doc.Cases.Fields, f)
		}
	}
	doc.Ownership.Enabled, doc.Ownership.LeadOwnerFromIntercom = on("ownership_enabled"), on("lead_owner_from_intercom")
	doc.Ownership.RestoreIntercomOwner = on("restore_intercom_owner")
	doc.Ownership.FallbackAdminID = strings.TrimSpace(r.PostFormValue("fallback_admin_id"))
	d.Doc = doc
	if len(d.Problems) == 0 {
		raw, err := json.Marshal(doc)
		if err != nil {
			s.uiFailure(w, r, p, err)
			return
		}
		_, err = s.app.SaveSettings(ctx, p.Conn.ID, raw, version)
		if rej, ok := err.(*app.SettingsRejected); ok {
			for _, pr := range rej.Problems {
				d.Problems[pr.Path] = append(d.Problems[pr.Path], pr.Message)
			}
			d.Skipped = rej.SkippedChecks
		} else if msg, ok := failedMessage(err); ok {
			s.redirectBack(w, r, p, "/settings", "", msg)
			return
		} else if err != nil {
			s.uiFailure(w, r, p, err)
			return
		} else {
			s.redirectBack(w, r, p, "/settings", "Settings saved.", "")
			return
		}
	}
	p.Title, p.Data = "Sync settings", d
	p.FlashError = "Nothing was saved: fix the problems shown next to their fields."
	s.render(w, r, http.StatusUnprocessableEntity, "settings", p)
}
