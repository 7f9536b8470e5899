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

// ReviewView is an ambiguous match waiting for the admin (F2.2): either
// one Intercom person whose key several Salesforce records share
// (CandidatesIn "salesforce"), or one Salesforce Lead or Contact whose key
// several Intercom people share (CandidatesIn "intercom").
type ReviewView struct {
	ID int64 `json:"id"`
	// IntercomID is the person reviewed when the candidates are Salesforce
	// records; empty otherwise.
	IntercomID string `json:"intercom_id"`
	// SalesforceObject and SalesforceID are the record reviewed when the
	// candidates are Intercom people; empty otherwise.
	SalesforceObject string `json:"salesforce_object,omitempty"`
	SalesforceID     string `json:"salesforce_id,omitempty"`
	// CandidatesIn says which side the candidates are on: "salesforce" or
	// "intercom".
	CandidatesIn string          `json:"candidates_in"`
	Reason       string          `json:"reason"`
	Candidates   json.RawMessage `json:"candidates,omitempty"`
	Resolution   string          `json:"resolution,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
	ResolvedAt   *time.Time      `json:"resolved_at,omitempty"`
}

// The sides a review's candidates can be on.
const (
	CandidatesInSalesforce = "salesforce"
	CandidatesInIntercom   = "intercom"
)

// ListReviews returns a connection's ambiguous matches, newest first; the
// resolved ones too with includeResolved.
func (a *App) ListReviews(ctx context.Context, connID int64, includeResolved bool) ([]ReviewView, error) {
	list, err := a.store.ListMatchReviews(ctx, connID, includeResolved)
	if err != nil {
		return nil, err
	}
	out := make([]ReviewView, 0, len(list))
	for _, m := range list {
		v := ReviewView{ID: m.ID, IntercomID: m.IntercomID, SalesforceObject: m.SFObject, SalesforceID: m.SFID,
			CandidatesIn: CandidatesInSalesforce, Reason: PlainWords(m.Reason), Resolution: m.Resolution,
			CreatedAt: m.CreatedAt.UTC(), ResolvedAt: m.ResolvedAt}
		if m.FromSalesforce() {
			v.CandidatesIn = CandidatesInIntercom
		}
		if json.Valid([]byte(m.Candidates)) {
			v.Candidates = json.RawMessage(m.Candidates)
		}
		out = append(out, v)
	}
	return out, nil
}

// salesforceID matches 15- and 18-character Salesforce record ids.
var salesforceID = regexp.MustCompile(`^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$`)

// ReviewDecision is the admin's answer to a review: exactly one of the
// Salesforce record picked (a review of an Intercom person), the Intercom
// person picked (a review of a Salesforce record), or Skip to map nothing.
type ReviewDecision struct {
	SalesforceID string
	IntercomID   string
	Skip         bool
}

// ResolveReview records the admin's decision on an ambiguous match.
// Resolving and mapping commit together: the engine maps the picked pair
// (and runs the first sync both ways, F3.4) once this commits. It returns
// the resolution stored ("skip" or the picked record's id).
func (a *App) ResolveReview(ctx context.Context, connID, id int64, d ReviewDecision) (string, error) {
	d.SalesforceID, d.IntercomID = strings.TrimSpace(d.SalesforceID), strings.TrimSpace(d.IntercomID)
	given := 0
	for _, set := range []bool{d.SalesforceID != "", d.IntercomID != "", d.Skip} {
		if set {
			given++
		}
	}
	resolution := d.SalesforceID + d.IntercomID
	switch {
	case given != 1:
		return "", errorf(Invalid, "give one of salesforce_id, intercom_id or skip")
	case d.Skip:
		resolution = "skip"
	case d.SalesforceID != "" && !salesforceID.MatchString(d.SalesforceID):
		return "", errorf(Invalid, "salesforce_id %q is not a 15- or 18-character Salesforce id", d.SalesforceID)
	}
	var mappedTo string // the record's mapping when the review went stale
	err := a.store.InTx(ctx, func(tx store.Tx) error {
		open, err := tx.ListMatchReviews(ctx, connID, false)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(open, func(m store.MatchReview) bool { return m.ID == id })
		if i < 0 {
			all, err := tx.ListMatchReviews(ctx, connID, true)
			if err != nil {
				return err
			}
			if j := slices.IndexFunc(all, func(m store.MatchReview) bool { return m.ID == id }); j >= 0 &&
				all[j].Resolution == store.ReviewSuperseded {
				return errorf(Conflict, "This review is out of date: its record was paired another way meanwhile, so the review was closed and nothing was changed.")
			}
			return store.ErrNotFound
		}
		review := open[i]
		if !d.Skip {
			// Mapped another way since the review was opened: the pick
			// would map the record a second time. The review is closed
			// instead and the admin told why.
			if mappedTo, err = reviewMapped(ctx, tx, connID, review); err != nil || mappedTo != "" {
				if err == nil {
					err = tx.ResolveMatchReview(ctx, id, store.ReviewSuperseded)
				}
				return err
			}
		}
		icID, sfID := review.IntercomID, d.SalesforceID
		switch {
		case d.Skip:
		case review.FromSalesforce() && d.IntercomID == "":
			return errorf(Invalid, "review %d is of %s %s: pick one of its Intercom people with intercom_id", id, review.SFObject, review.SFID)
		case !review.FromSalesforce() && d.SalesforceID == "":
			return errorf(Invalid, "review %d is of Intercom person %s: pick one of its Salesforce records with salesforce_id", id, review.IntercomID)
		case !isCandidate(review.Candidates, resolution):
			return errorf(Invalid, "%s is not one of the review's candidates", resolution)
		case review.FromSalesforce():
			icID, sfID = d.IntercomID, review.SFID
		}
		if err := tx.ResolveMatchReview(ctx, id, resolution); err != nil {
			return err
		}
		if d.Skip {
			return nil
		}
		return engine.EnqueueMapRecord(ctx, tx, connID, icID, sfID)
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", errorf(NotFound, "review %d does not exist or is already resolved", id)
	}
	if err != nil {
		return "", err
	}
	if mappedTo != "" {
		return "", errorf(Conflict, "This review is out of date: the record was paired with %s meanwhile, so nothing was changed and the review is closed.", mappedTo)
	}
	a.log.InfoContext(ctx, "match review resolved", "review", id, "resolution", resolution)
	return resolution, nil
}

// reviewMapped names the record a review's subject is mapped to now ("" when
// it is not mapped): the other side's record, as "Intercom …" or
// "Salesforce …".
func reviewMapped(ctx context.Context, tx store.Tx, connID int64, review store.MatchReview) (string, error) {
	if review.FromSalesforce() {
		ms, err := tx.ListMappingsBySalesforceIDs(ctx, connID, store.SalesforceObject(review.SFObject), []string{review.SFID})
		if m, ok := ms[review.SFID]; err == nil && ok {
			return "Intercom " + m.IntercomID, nil
		}
		return "", err
	}
	m, err := tx.GetMappingByIntercomID(ctx, connID, review.IntercomID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	}
	return "Salesforce " + m.SFID, nil
}

// isCandidate reports whether id is one of the candidates a review lists
// (JSON objects with an "id"). A 15-character Salesforce id names the
// record whose 18-character id it begins.
func isCandidate(candidates, id string) bool {
	var list []struct{ ID string }
	if err := json.Unmarshal([]byte(candidates), &list); err != nil {
		return false
	}
	for _, c := range list {
		if c.ID == id || len(id) == 15 && len(c.ID) == 18 && strings.HasPrefix(c.ID, id) {
			return true
		}
	}
	return false
}
