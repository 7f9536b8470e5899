package app

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/store"
)

// ReviewView is an ambiguous match waiting for the admin (F2.2).
type ReviewView struct {
	ID         int64           `json:"id"`
	IntercomID string          `json:"intercom_id"`
	Reason     string          `json:"reason"`
	Candidates json.RawMessage `json:"candidates,omitempty"`
	Resolution string          `json:"resolution,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	ResolvedAt *time.Time      `json:"resolved_at,omitempty"`
}

// ListReviews returns a connection's ambiguous matches, newest first; the
// resolved ones too with includeResolved.
func (a *App) ListReviews(ctx context.Context, connID int64, includeResolved bool) ([]ReviewView, error) {
	list, err := a.store.ListMatchReviews(ctx, connID, includeResolved)
	if err != nil {
		return nil, err
	}
	out := make([]ReviewView, 0, len(list))
	for _, m := range list {
		v := ReviewView{ID: m.ID, IntercomID: m.IntercomID, Reason: PlainWords(m.Reason), Resolution: m.Resolution,
			CreatedAt: m.CreatedAt.UTC(), ResolvedAt: m.ResolvedAt}
		if json.Valid([]byte(m.Candidates)) {
			v.Candidates = json.RawMessage(m.Candidates)
		}
		out = append(out, v)
	}
	return out, nil
}

// salesforceID matches 15- and 18-character Salesforce record ids.
var salesforceID = regexp.MustCompile(`^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$`)

// ResolveReview records the admin's decision on an ambiguous match: the
// Salesforce record picked among the candidates, or skip to map nothing.
// Resolving and mapping commit together: the engine maps the picked record
// (and runs the first sync both ways, F3.4) once this commits. It returns
// the resolution stored ("skip" or the Salesforce id).
func (a *App) ResolveReview(ctx context.Context, connID, id int64, sfID string, skip bool) (string, error) {
	resolution := sfID
	switch {
	case skip && sfID != "":
		return "", errorf(Invalid, "give either salesforce_id or skip, not both")
	case skip:
		resolution = "skip"
	case !salesforceID.MatchString(sfID):
		return "", errorf(Invalid, "salesforce_id %q is not a 15- or 18-character Salesforce id", sfID)
	}
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		open, err := tx.ListMatchReviews(ctx, connID, false)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(open, func(m store.MatchReview) bool { return m.ID == id })
		if i < 0 {
			return store.ErrNotFound
		}
		review := open[i]
		if !skip && !strings.Contains(review.Candidates, `"`+sfID) {
			return errorf(Invalid, "salesforce_id %s is not one of the review's candidates", sfID)
		}
		if err := tx.ResolveMatchReview(ctx, id, resolution); err != nil {
			return err
		}
		if skip {
			return nil
		}
		return engine.EnqueueMapRecord(ctx, tx, connID, review.IntercomID, sfID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", errorf(NotFound, "review %d does not exist or is already resolved", id)
	}
	if err != nil {
		return "", err
	}
	a.log.InfoContext(ctx, "match review resolved", "review", id, "resolution", resolution)
	return resolution, nil
}
