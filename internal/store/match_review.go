package store

import (
	"context"
	"fmt"
	"time"
)

// MatchReview is an ambiguous match left for the admin to decide (F2), for
// example an Intercom user whose email matches two Salesforce Contacts
// (IntercomID set, Salesforce candidates), or a Salesforce Lead whose email
// two Intercom leads share (SFObject and SFID set, IntercomID empty,
// Intercom candidates).
type MatchReview struct {
	ID           int64
	ConnectionID int64
	IntercomID   string
	// SFObject and SFID name the Salesforce record of a review whose
	// candidates are Intercom people; both are empty otherwise.
	SFObject string
	SFID     string
	Reason   string
	// Candidates is JSON describing the possible records of the other
	// side: Salesforce records, or Intercom people when SFID is set.
	Candidates string
	Resolution string
	CreatedAt  time.Time
	ResolvedAt *time.Time
}

// ReviewSuperseded is the resolution of a review closed because its record
// was mapped another way meanwhile (a webhook's key change, a rematch, a
// conversion, a lead created from the inbox): its question is answered and
// its candidates are stale.
const ReviewSuperseded = "superseded"

// FromSalesforce reports whether the review is of one Salesforce record
// with Intercom candidates.
func (m MatchReview) FromSalesforce() bool { return m.SFID != "" }

// ListMatchReviews returns a connection's reviews, newest first; resolved
// ones only when asked.
func (r *reader) ListMatchReviews(ctx context.Context, connID int64, includeResolved bool) ([]MatchReview, error) {
	cond := " AND resolved_at IS NULL"
	if includeResolved {
		cond = ""
	}
	rs, err := r.q.query(ctx, `SELECT id, connection_id, intercom_id, sf_object, sf_id, reason, candidates, resolution, created_at, resolved_at
		FROM match_reviews WHERE connection_id = $1`+cond+` ORDER BY id DESC`, connID)
	out, err := collect(rs, err, func(rs rows) (MatchReview, error) {
		var m MatchReview
		err := rs.Scan(&m.ID, &m.ConnectionID, &m.IntercomID, &m.SFObject, &m.SFID, &m.Reason, &m.Candidates, &m.Resolution,
			timeCol{&m.CreatedAt}, nullTimeCol{&m.ResolvedAt})
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: list match reviews: %w", err)
	}
	return out, nil
}

// AddMatchReview adds a review: of an Intercom person (IntercomID) or of a
// Salesforce record (SFObject and SFID), not both.
func (w *writer) AddMatchReview(ctx context.Context, m MatchReview) (MatchReview, error) {
	switch {
	case m.IntercomID == "" && m.SFID == "":
		return MatchReview{}, fmt.Errorf("store: add match review: neither an intercom id nor a salesforce id: %w", ErrInvalid)
	case m.IntercomID != "" && m.SFID != "":
		return MatchReview{}, fmt.Errorf("store: add match review: both an intercom id and a salesforce id: %w", ErrInvalid)
	case m.SFID != "" && m.SFObject == "":
		return MatchReview{}, fmt.Errorf("store: add match review: salesforce id %s without its object: %w", m.SFID, ErrInvalid)
	}
	m.CreatedAt, m.ResolvedAt, m.Resolution = now(), nil, ""
	err := w.q.queryRow(ctx, `INSERT INTO match_reviews (connection_id, intercom_id, sf_object, sf_id, reason, candidates, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, m.ConnectionID, m.IntercomID, m.SFObject, m.SFID, m.Reason, m.Candidates, m.CreatedAt).Scan(&m.ID)
	if err != nil {
		return MatchReview{}, w.wrapWrite(err, "store: add match review")
	}
	return m, nil
}

// ResolveMatchReview records the admin's decision on an open review.
func (w *writer) ResolveMatchReview(ctx context.Context, id int64, resolution string) error {
	n, err := w.q.exec(ctx, `UPDATE match_reviews SET resolution = $2, resolved_at = $3 WHERE id = $1 AND resolved_at IS NULL`,
		id, resolution, now())
	if err != nil {
		return fmt.Errorf("store: resolve match review %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("store: resolve match review %d (missing or already resolved): %w", id, ErrNotFound)
	}
	return nil
}

// CloseMappedReviews resolves, as ReviewSuperseded, the open reviews whose
// record was just mapped: reviews of the Intercom people intercomIDs and
// reviews of the Salesforce records sfIDs. Call it in the transaction that
// writes the mappings. It returns how many it closed.
func (w *writer) CloseMappedReviews(ctx context.Context, connID int64, intercomIDs, sfIDs []string) (int64, error) {
	var closed int64
	t := now()
	for _, c := range []struct {
		column string
		ids    []string
	}{{"intercom_id", intercomIDs}, {"sf_id", sfIDs}} {
		for _, ids := range chunks(c.ids) {
			n, err := w.q.exec(ctx, `UPDATE match_reviews SET resolution = $1, resolved_at = $2
				WHERE connection_id = $3 AND resolved_at IS NULL AND `+c.column+` IN (`+placeholders(4, len(ids))+`)`,
				anyArgs([]any{ReviewSuperseded, t, connID}, ids)...)
			if err != nil {
				return closed, fmt.Errorf("store: close mapped reviews: %w", err)
			}
			closed += n
		}
	}
	return closed, nil
}
