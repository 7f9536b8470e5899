package web

import (
	"net/http"

	"github.com/ferrysync/ferry/internal/app"
)

// listReviews is GET /api/v1/reviews?connection=[&resolved=1].
func (s *Server) listReviews(w http.ResponseWriter, r *http.Request) {
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	list, err := s.app.ListReviews(r.Context(), conn.ID, truthy(r.URL.Query().Get("resolved")))
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"reviews": list})
}

// resolveReview is POST /api/v1/reviews/{id}/resolve {"salesforce_id": …}
// for a review of an Intercom person, {"intercom_id": …} for a review of a
// Salesforce record, or {"skip": true} to map nothing. The matching engine
// acts on the resolution.
func (s *Server) resolveReview(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	var in struct {
		SalesforceID string `json:"salesforce_id"`
		IntercomID   string `json:"intercom_id"`
		Skip         bool   `json:"skip"`
	}
	if err := decodeJSON(w, r, &in, false); err != nil {
		s.writeFailure(w, r, err)
		return
	}
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	resolution, err := s.app.ResolveReview(r.Context(), conn.ID, id,
		app.ReviewDecision{SalesforceID: in.SalesforceID, IntercomID: in.IntercomID, Skip: in.Skip})
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "resolution": resolution})
}
