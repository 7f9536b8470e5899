package web

import (
	"context"
	"net/http"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/engine"
)

// createBackfill is POST /api/v1/backfills[?connection=ID]: with
// "dry_run": true it answers the plan (200); without, it starts the
// backfill and answers its progress with its id (202).
func (s *Server) createBackfill(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	var req app.BackfillRequest
	if err := decodeJSON(w, r, &req, true); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	if req.DryRun {
		plan, err := s.app.PlanBackfill(r.Context(), conn.ID, req.BackfillRequest)
		if err != nil {
			s.writeFailure(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, plan)
		return
	}
	p, err := s.app.StartBackfill(r.Context(), conn.ID, req.BackfillRequest)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, p)
}

// getBackfill is GET /api/v1/backfills/{id}[?connection=ID]: progress.
func (s *Server) getBackfill(w http.ResponseWriter, r *http.Request) {
	s.backfillAction(w, r, s.app.Backfill)
}

// cancelBackfill is POST /api/v1/backfills/{id}/cancel[?connection=ID].
func (s *Server) cancelBackfill(w http.ResponseWriter, r *http.Request) {
	s.backfillAction(w, r, s.app.CancelBackfill)
}

func (s *Server) backfillAction(w http.ResponseWriter, r *http.Request, do func(ctx context.Context, connID, id int64) (engine.BackfillProgress, error)) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	id, err := pathID(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	p, err := do(r.Context(), conn.ID, id)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}
