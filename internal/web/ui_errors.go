package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
)

// errorsPageSize is how many sync errors one page lists.
const errorsPageSize = 50

// errorRow is one row of the sync errors table (also the htmx answer to a
// retry).
type errorRow struct {
	Page    uiPage
	Error   app.SyncErrorView
	Links   app.RecordLinks
	Retried bool
}

type errorsData struct {
	Page  app.SyncErrorPage
	Codes []string
	Code  string
	Links map[string]app.RecordLinks
}

// errorsPage is GET /errors?code=&offset=: open sync errors, newest first,
// filtered by cause.
func (s *Server) errorsPage(w http.ResponseWriter, r *http.Request, p uiPage) {
	ctx := r.Context()
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	d := errorsData{Code: r.URL.Query().Get("code")}
	if d.Page, err = s.app.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: p.Conn.ID, Code: d.Code,
		Limit: errorsPageSize, Offset: int(min(offset, 1<<30))}); err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	if d.Codes, err = s.app.SyncErrorCodes(ctx, p.Conn.ID); err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	ids := make([]string, 0, len(d.Page.SyncErrors))
	for _, e := range d.Page.SyncErrors {
		ids = append(ids, e.RecordID)
	}
	if d.Links, err = s.app.LinksOf(ctx, p.Conn, ids, s.intercomApp()); err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	p.Title, p.Data = "Sync errors", d
	s.render(w, r, http.StatusOK, "errors", p)
}

// errorPage is GET /errors/{id}: one error with its details, the request
// ferry sent and links to the record.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, p uiPage) {
	id, err := pathID(r)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	e, err := s.app.GetSyncError(r.Context(), id)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	links, err := s.app.Links(r.Context(), p.Conn, e.RecordID, s.intercomApp())
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	p.Title = fmt.Sprintf("Sync error %d", e.ID)
	p.Data = struct {
		Error                             app.SyncErrorView
		Label, IntercomURL, SalesforceURL string
	}{e, links.Label, links.IntercomURL, links.SalesforceURL}
	s.render(w, r, http.StatusOK, "error", p)
}

// intercomApp is the base of Intercom's web app, from the OAuth page's
// address (https://app.intercom.com/oauth → https://app.intercom.com).
func (s *Server) intercomApp() string {
	u := s.cfg.Intercom.OAuthURL
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[:i+3+j]
		}
	}
	return u
}

// errorRetry is POST /errors/{id}/retry. From htmx it answers the row
// alone; otherwise it goes back to the list.
func (s *Server) errorRetry(w http.ResponseWriter, r *http.Request, p uiPage) {
	id, err := pathID(r)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	res, err := s.app.RetrySyncError(r.Context(), id)
	if msg, ok := failedMessage(err); ok {
		s.redirectBack(w, r, p, "/errors", "", msg)
		return
	}
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	if r.Header.Get("HX-Request") == "true" {
		p.CSRF = ""
		if c, err := r.Cookie(sessionCookie); err == nil {
			p.CSRF = s.csrfToken(c.Value)
		}
		res.SyncError.Retryable = false
		links, err := s.app.Links(r.Context(), p.Conn, res.SyncError.RecordID, s.intercomApp())
		if err != nil {
			s.log.WarnContext(r.Context(), "record links", "error", err)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := uiParsed["errors"].ExecuteTemplate(w, "errorrow", errorRow{Page: p, Error: res.SyncError, Links: links, Retried: true}); err != nil {
			s.log.ErrorContext(r.Context(), "render row", "error", err)
		}
		return
	}
	s.redirectBack(w, r, p, "/errors", fmt.Sprintf("Sync error %d is being retried; it disappears from this list once the write succeeds.", id), "")
}

// errorsRetryAll is POST /errors/retry (code= limits it to one cause).
func (s *Server) errorsRetryAll(w http.ResponseWriter, r *http.Request, p uiPage) {
	res, err := s.app.RetryAllSyncErrors(r.Context(), p.Conn.ID, r.PostFormValue("code"))
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	msg := fmt.Sprintf("%d error(s) are being retried.", res.Retried)
	if res.WithoutJob > 0 {
		msg += fmt.Sprintf(" %d have nothing to retry now; they are retried when their record changes again.", res.WithoutJob)
	}
	s.redirectBack(w, r, p, "/errors", msg, "")
}
