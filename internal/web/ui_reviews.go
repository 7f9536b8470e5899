package web

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/ferrysync/ferry/internal/app"
)

// reviewsPageSize is how many reviews one page shows.
const reviewsPageSize = 20

// reviewCandidate is one Salesforce record an ambiguous match could be.
type reviewCandidate struct {
	Object string `json:"object"`
	ID     string `json:"id"`
	Key    string `json:"key"`
	URL    string `json:"-"`
}

type reviewItem struct {
	app.ReviewView
	Links      app.RecordLinks
	Candidates []reviewCandidate
}

// reviewsPage is GET /reviews: ambiguous matches waiting for a decision.
func (s *Server) reviewsPage(w http.ResponseWriter, r *http.Request, p uiPage) {
	ctx := r.Context()
	list, err := s.app.ListReviews(ctx, p.Conn.ID, false)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	total := len(list)
	start := min(int(min(offset, 1<<30)), total)
	list = list[start:min(start+reviewsPageSize, total)]
	items := make([]reviewItem, 0, len(list))
	for _, v := range list {
		it := reviewItem{ReviewView: v}
		_ = json.Unmarshal(v.Candidates, &it.Candidates)
		for i, c := range it.Candidates {
			if p.Conn.Salesforce.InstanceURL != "" {
				it.Candidates[i].URL = p.Conn.Salesforce.InstanceURL + "/" + c.ID
			}
		}
		if it.Links, err = s.app.Links(ctx, p.Conn, v.IntercomID, s.intercomApp()); err != nil {
			s.uiFailure(w, r, p, err)
			return
		}
		items = append(items, it)
	}
	p.Title = "Review"
	p.Data = struct {
		Items                []reviewItem
		Offset, Total, Limit int
	}{items, start, total, reviewsPageSize}
	s.render(w, r, http.StatusOK, "reviews", p)
}

// reviewResolve is POST /reviews/{id}/resolve with salesforce_id=… or
// skip=1.
func (s *Server) reviewResolve(w http.ResponseWriter, r *http.Request, p uiPage) {
	id, err := pathID(r)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	skip := r.PostFormValue("skip") != ""
	res, err := s.app.ResolveReview(r.Context(), p.Conn.ID, id, r.PostFormValue("salesforce_id"), skip)
	if msg, ok := failedMessage(err); ok {
		s.redirectBack(w, r, p, "/reviews", "", msg)
		return
	}
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	done := fmt.Sprintf("Paired with Salesforce %s; the first sync both ways runs now.", res)
	if skip {
		done = "Dismissed: this record stays unpaired."
	}
	s.redirectBack(w, r, p, "/reviews", done, "")
}
