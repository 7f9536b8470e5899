package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/sync"
)

// backfillData is what the backfill page shows: the form, the plan of a
// dry run (before anything runs) or a backfill's progress.
type backfillData struct {
	// Objects, Fields, Direction, Confirm echo the form.
	Objects   map[string]bool
	Fields    string
	Direction string
	Confirm   string
	// AllObjects are the objects a backfill can name.
	AllObjects []string
	// Plan is the dry run's answer, when asked for.
	Plan *engine.BackfillPlan
	// PlanFailed says why the dry run could not run.
	PlanFailed string
	// Progress is the backfill named by ?id=.
	Progress *engine.BackfillProgress
}

// backfillForm reads the backfill form from a query or a posted form.
func backfillForm(v url.Values) (engine.BackfillRequest, backfillData) {
	d := backfillData{Objects: map[string]bool{}, Fields: v.Get("fields"), Direction: v.Get("direction"), Confirm: v.Get("confirm"),
		AllObjects: engine.BackfillObjects}
	if d.Direction == "" {
		d.Direction = "both"
	}
	req := engine.BackfillRequest{Fields: splitForm(d.Fields), Direction: sync.Direction(d.Direction), ConfirmFields: splitForm(d.Confirm)}
	for _, o := range v["object"] {
		d.Objects[o] = true
		req.Objects = append(req.Objects, o)
	}
	return req, d
}

// splitForm splits a comma-separated form value.
func splitForm(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// backfillPage is GET /backfill: the form; with ?plan=1 the dry run's plan
// and the button that starts it; with ?id=N that backfill's progress and
// its cancel button.
func (s *Server) backfillPage(w http.ResponseWriter, r *http.Request, p uiPage) {
	ctx := r.Context()
	q := r.URL.Query()
	req, d := backfillForm(q)
	if q.Get("plan") != "" {
		plan, err := s.app.PlanBackfill(ctx, p.Conn.ID, req)
		if msg, ok := failedMessage(err); ok {
			d.PlanFailed = msg
		} else if err != nil {
			s.uiFailure(w, r, p, err)
			return
		} else {
			d.Plan = &plan
		}
	}
	if v := q.Get("id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.uiFailure(w, r, p, badRequest("id=%q is not a backfill id", v))
			return
		}
		prog, err := s.app.Backfill(ctx, p.Conn.ID, id)
		if err != nil {
			s.uiFailure(w, r, p, err)
			return
		}
		d.Progress = &prog
	}
	p.Title, p.Data = "Backfill", d
	s.render(w, r, http.StatusOK, "backfill", p)
}

// backfillStart is POST /backfills: the planned backfill starts.
func (s *Server) backfillStart(w http.ResponseWriter, r *http.Request, p uiPage) {
	if err := r.ParseForm(); err != nil {
		s.uiFailure(w, r, p, badRequest("cannot read the form: %v", err))
		return
	}
	req, _ := backfillForm(r.PostForm)
	prog, err := s.app.StartBackfill(r.Context(), p.Conn.ID, req)
	if msg, ok := failedMessage(err); ok {
		s.redirectBack(w, r, p, "/backfill", "", msg)
		return
	}
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	s.redirectBack(w, r, p, fmt.Sprintf("/backfill?id=%d", prog.ID), fmt.Sprintf("Backfill %d started; it runs in the background.", prog.ID), "")
}

// backfillCancel is POST /backfills/{id}/cancel.
func (s *Server) backfillCancel(w http.ResponseWriter, r *http.Request, p uiPage) {
	id, err := pathID(r)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	_, err = s.app.CancelBackfill(r.Context(), p.Conn.ID, id)
	back := fmt.Sprintf("/backfill?id=%d", id)
	if msg, ok := failedMessage(err); ok {
		s.redirectBack(w, r, p, back, "", msg)
		return
	}
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	s.redirectBack(w, r, p, back, fmt.Sprintf("Backfill %d canceled: nothing more is written.", id), "")
}
