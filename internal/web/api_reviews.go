package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/store"
)

// reviewView is an ambiguous match waiting for the admin (F2).
type reviewView struct {
	ID         int64           `json:"id"`
	IntercomID string          `json:"intercom_id"`
	Reason     string          `json:"reason"`
	Candidates json.RawMessage `json:"candidates,omitempty"`
	Resolution string          `json:"resolution,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	ResolvedAt *time.Time      `json:"resolved_at,omitempty"`
}

// listReviews is GET /api/v1/reviews?connection=[&resolved=1].
func (s *Server) listReviews(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	list, err := s.store.ListMatchReviews(r.Context(), conn.ID, truthy(r.URL.Query().Get("resolved")))
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	out := make([]reviewView, 0, len(list))
	for _, m := range list {
		v := reviewView{ID: m.ID, IntercomID: m.IntercomID, Reason: m.Reason, Resolution: m.Resolution,
			CreatedAt: m.CreatedAt.UTC(), ResolvedAt: m.ResolvedAt}
		if json.Valid([]byte(m.Candidates)) {
			v.Candidates = json.RawMessage(m.Candidates)
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"reviews": out})
}

// salesforceID matches 15- and 18-character Salesforce record ids.
var salesforceID = regexp.MustCompile(`^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$`)

// resolveReview is POST /api/v1/reviews/{id}/resolve {"salesforce_id": …}
// (or {"skip": true} to map nothing). The matching engine acts on the
// resolution.
func (s *Server) resolveReview(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	var in struct {
		SalesforceID string `json:"salesforce_id"`
		Skip         bool   `json:"skip"`
	}
	if err := decodeJSON(w, r, &in, false); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	resolution := in.SalesforceID
	switch {
	case in.Skip && in.SalesforceID != "":
		s.writeFailure(w, r, badRequest("give either salesforce_id or skip, not both"))
		return
	case in.Skip:
		resolution = "skip"
	case !salesforceID.MatchString(in.SalesforceID):
		s.writeFailure(w, r, badRequest("salesforce_id %q is not a 15- or 18-character Salesforce id", in.SalesforceID))
		return
	}
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	// Resolving and mapping commit together: the engine maps the picked
	// record (and runs the first sync both ways, F3.4) once this commits.
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		open, err := tx.ListMatchReviews(ctx, conn.ID, false)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(open, func(m store.MatchReview) bool { return m.ID == id })
		if i < 0 {
			return store.ErrNotFound
		}
		review := open[i]
		if !in.Skip && !strings.Contains(review.Candidates, `"`+in.SalesforceID) {
			return badRequest("salesforce_id %s is not one of the review's candidates", in.SalesforceID)
		}
		if err := tx.ResolveMatchReview(ctx, id, resolution); err != nil {
			return err
		}
		if in.Skip {
			return nil
		}
		return engine.EnqueueMapRecord(ctx, tx, conn.ID, review.IntercomID, in.SalesforceID)
	})
	if errors.Is(err, store.ErrNotFound) {
		s.writeFailure(w, r, notFound("review %d does not exist or is already resolved", id))
		return
	}
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "match review resolved", "review", id, "resolution", resolution)
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "resolution": resolution})
}
