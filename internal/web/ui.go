package web

import (
	"bytes"
	"crypto/hmac"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/app"
)

// The admin web UI: server-rendered pages (one file per page, ui_*.go,
// with its template in ui/templates), behind the admin session, every
// form that changes something guarded by a per-session CSRF token and an
// Origin check. Pages call the same app functions as the JSON API.

//go:embed ui/templates/*.html
var uiTemplates embed.FS

//go:embed ui/static
var uiStatic embed.FS

// uiPageNames are the page templates; each is parsed with the layout.
var uiPageNames = []string{"signin", "overview", "connect", "mappings", "errors", "error", "reviews", "history", "usage", "settings", "maintenance", "backfill", "problem"}

// uiTemplateSet holds one parsed template per page.
type uiTemplateSet map[string]*template.Template

func parseUITemplates() uiTemplateSet {
	set := uiTemplateSet{}
	for _, name := range uiPageNames {
		set[name] = template.Must(template.New("layout.html").Funcs(uiFuncs).
			ParseFS(uiTemplates, "ui/templates/layout.html", "ui/templates/"+name+".html"))
	}
	return set
}

// uiParsed are the parsed templates; parsed once, they never change.
var uiParsed = parseUITemplates()

var uiFuncs = template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "never"
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if v == nil {
				return "never"
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return ""
	},
	"ago": func(t *time.Time, now time.Time) string {
		if t == nil {
			return "never"
		}
		return humanDuration(now.Sub(*t)) + " ago"
	},
	"since": func(t *time.Time, now time.Time) string {
		if t == nil {
			return "none waiting"
		}
		return humanDuration(now.Sub(*t))
	},
	"pct": func(a, b int) int {
		if b <= 0 {
			return 0
		}
		return min(100, a*100/b)
	},
	"add": func(a, b int) int { return a + b },
	"sub": func(a, b int) int { return a - b },
	"pretty": func(s string) string {
		var buf bytes.Buffer
		if json.Indent(&buf, []byte(s), "", "  ") == nil {
			return buf.String()
		}
		return s
	},
	"rawjson":   func(m json.RawMessage) string { return string(m) },
	"label":     uiLabel,
	"back":      connectBack,
	"dict":      func(v ...any) []any { return v },
	"list":      func(v ...string) []string { return v },
	"hasPrefix": strings.HasPrefix,
	"hasField": func(fs []fieldOption, name string) bool {
		for _, f := range fs {
			if f.Name == name {
				return true
			}
		}
		return false
	},
	"rowOf": func(p uiPage, e app.SyncErrorView, links map[string]app.RecordLinks) errorRow {
		return errorRow{Page: p, Error: e, Links: links[e.RecordID]}
	},
}

// humanDuration says d in the largest whole unit.
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}

// uiLabel turns an identifier into words for the page.
func uiLabel(s string) string {
	if l, ok := uiLabels[s]; ok {
		return l
	}
	return strings.ReplaceAll(s, "_", " ")
}

var uiLabels = map[string]string{
	"both": "Both ways", "to_salesforce": "Intercom → Salesforce", "to_intercom": "Salesforce → Intercom",
	"lead": "Leads", "user": "Users", "company": "Companies",
	"intercom": "Intercom", "salesforce": "Salesforce", "ferry": "ferry",
	"inbox": "Inbox actions", "background": "Background sync", "backfill": "Backfill",
	"connected": "Connected", "disconnected": "Disconnected", "pending": "Not connected yet",
	"api_limit_reached": "Salesforce API limit reached", "api_disabled": "Salesforce API access off",
}

// uiPage is what every page template receives.
type uiPage struct {
	Title string
	// Nav names the current navigation entry.
	Nav string
	// Conn is the selected connection; Conns all of them (the switcher).
	Conn  app.ConnectionView
	Conns []app.ConnectionView
	CSRF  string
	// Flash is a one-line confirmation or error shown at the top.
	Flash, FlashError string
	Now               time.Time
	Data              any
}

// Link returns path with the selected connection in its query.
func (p uiPage) Link(path string) string {
	if p.Conn.ID == 0 {
		return path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "connection=" + strconv.FormatInt(p.Conn.ID, 10)
}

// render writes page name with status.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p uiPage) {
	t := uiParsed[name]
	if p.Now.IsZero() {
		p.Now = s.now().UTC()
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		p.CSRF = s.csrfToken(c.Value)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", name, "error", err)
		http.Error(w, "internal error; see the server log", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	// Same-origin, not no-referrer: under no-referrer browsers send
	// "Origin: null" with the pages' own form posts, which the CSRF
	// Origin check must refuse. Other sites still get no referrer.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// uiFailure shows err as a page: what the admin can fix in words, anything
// else as an internal error (logged, not shown).
func (s *Server) uiFailure(w http.ResponseWriter, r *http.Request, p uiPage, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong inside ferry; the server log has the details."
	var ae *app.Error
	var he *httpError
	switch {
	case errors.As(err, &ae):
		status, _ = appStatus(ae.Kind)
		msg = ae.Msg
	case errors.As(err, &he):
		status, msg = he.status, he.msg
	default:
		s.log.ErrorContext(r.Context(), "page failed", "route", r.Pattern, "error", err)
	}
	p.Title, p.FlashError = "Problem", msg
	s.render(w, r, status, "problem", p)
}

// page runs a page handler for a signed-in admin, with the selected
// connection and the switcher filled in; anyone else goes to sign-in.
func (s *Server) page(nav string, h func(w http.ResponseWriter, r *http.Request, p uiPage)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.sessionFrom(r) {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		p := uiPage{Nav: nav, Flash: r.URL.Query().Get("done"), FlashError: r.URL.Query().Get("failed"), Now: s.now().UTC()}
		var id int64
		if v := r.URL.Query().Get("connection"); v != "" {
			id, _ = strconv.ParseInt(v, 10, 64)
		}
		var err error
		if p.Conns, err = s.app.ConnectionSummaries(r.Context()); err != nil {
			s.uiFailure(w, r, p, err)
			return
		}
		// The switcher's list already holds the selected connection's view.
		if id == 0 {
			id = s.app.DefaultConnectionID()
		}
		for _, c := range p.Conns {
			if c.ID == id {
				p.Conn = c
			}
		}
		if p.Conn.ID == 0 {
			_, err := s.app.Connection(r.Context(), id)
			if err == nil {
				err = fmt.Errorf("connection %d is not listed", id)
			}
			s.uiFailure(w, r, p, err)
			return
		}
		h(w, r, p)
	}
}

// action runs a form post for a signed-in admin after the CSRF checks: the
// request must come from ferry's own origin and carry the session's token.
func (s *Server) action(h func(w http.ResponseWriter, r *http.Request, p uiPage)) http.HandlerFunc {
	return s.page("", func(w http.ResponseWriter, r *http.Request, p uiPage) {
		if err := s.checkCSRF(r); err != nil {
			s.log.WarnContext(r.Context(), "form refused", "route", r.Pattern, "reason", err.Error())
			p.Title, p.FlashError = "Refused", "This form was refused: "+err.Error()+". Reload the page and try again."
			s.render(w, r, http.StatusForbidden, "problem", p)
			return
		}
		h(w, r, p)
	})
}

// csrfToken is the form token of a session: a keyed hash of its cookie,
// so it needs no storage and ends with the session.
func (s *Server) csrfToken(cookie string) string { return s.sign(s.sessionKey, "csrf", cookie) }

// checkCSRF refuses a form post from another origin or without the
// session's token.
func (s *Server) checkCSRF(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Host != "" {
			origin = ref.Scheme + "://" + ref.Host
		}
	}
	if origin != "" && !s.ownOrigin(r, origin) {
		return fmt.Errorf("it came from another site (%s)", origin)
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return errors.New("no session")
	}
	got := r.PostFormValue("csrf")
	if got == "" || !hmac.Equal([]byte(got), []byte(s.csrfToken(c.Value))) {
		return errors.New("its security token is missing or stale")
	}
	return nil
}

// ownOrigin reports whether origin is ferry's public URL or the host the
// request was sent to.
func (s *Server) ownOrigin(r *http.Request, origin string) bool {
	if u, err := url.Parse(s.cfg.PublicURL); err == nil && u.Host != "" && strings.EqualFold(origin, u.Scheme+"://"+u.Host) {
		return true
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(origin, scheme+"://"+r.Host)
}

// redirectBack sends the browser to path (with the connection) after a
// form, with a confirmation or an error to show.
func (s *Server) redirectBack(w http.ResponseWriter, r *http.Request, p uiPage, path, done, failed string) {
	u := p.Link(path)
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	if done != "" {
		u += sep + "done=" + url.QueryEscape(done)
	} else if failed != "" {
		u += sep + "failed=" + url.QueryEscape(failed)
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// uiStaticHandler serves the embedded stylesheet and scripts.
func uiStaticHandler() http.Handler {
	sub, err := fs.Sub(uiStatic, "ui/static")
	if err != nil {
		panic(err)
	}
	fsrv := http.StripPrefix("/static/", http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}

// failedMessage is what a form's failure says on the page.
func failedMessage(err error) (string, bool) {
	var ae *app.Error
	if errors.As(err, &ae) {
		return ae.Msg, true
	}
	var he *httpError
	if errors.As(err, &he) {
		return he.msg, true
	}
	return "", false
}

// uiRoutes adds the web UI's routes.
func (s *Server) uiRoutes(handle func(string, http.HandlerFunc)) {
	handle("GET /static/", uiStaticHandler().ServeHTTP)
	handle("GET /signin", s.signinPage)
	handle("POST /signin", s.signinSubmit)
	handle("GET /signin/link", s.signinLink)
	handle("POST /signout", s.signout)

	handle("GET /{$}", s.page("overview", s.overviewPage))
	handle("POST /setup-check", s.action(s.setupCheckRun))
	handle("GET /connect", s.page("connect", s.connectPage))
	handle("POST /connections", s.action(s.connectionCreate))
	handle("POST /connections/{id}/disconnect", s.action(s.connectionDisconnect))
	handle("GET /mappings", s.page("mappings", s.mappingsPage))
	handle("POST /mappings", s.action(s.mappingsSave))
	handle("GET /errors", s.page("errors", s.errorsPage))
	handle("GET /errors/{id}", s.page("errors", s.errorPage))
	handle("POST /errors/{id}/retry", s.action(s.errorRetry))
	handle("POST /errors/retry", s.action(s.errorsRetryAll))
	handle("GET /reviews", s.page("reviews", s.reviewsPage))
	handle("POST /reviews/{id}/resolve", s.action(s.reviewResolve))
	handle("GET /history", s.page("history", s.historyPage))
	handle("GET /usage", s.page("usage", s.usagePage))
	handle("GET /settings", s.page("settings", s.settingsPage))
	handle("POST /settings", s.action(s.settingsSave))
	handle("GET /maintenance", s.page("maintenance", s.maintenancePage))
	handle("GET /backfill", s.page("backfill", s.backfillPage))
	handle("POST /backfills", s.action(s.backfillStart))
	handle("POST /backfills/{id}/cancel", s.action(s.backfillCancel))
	handle("POST /resync", s.action(s.resyncRun))
	handle("POST /accounts/company-field", s.action(s.companyFieldUse))
	handle("POST /connections/{id}/uninstall", s.action(s.connectionUninstall))
}
