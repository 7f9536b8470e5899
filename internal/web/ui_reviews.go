package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferrysync/ferry/internal/app"
)

// reviewsPageSize is how many reviews one page shows.
const reviewsPageSize = 20

// reviewCandidate is one record an ambiguous match could be: a Salesforce
// record, or an Intercom person when the review is of a Salesforce record.
type reviewCandidate struct {
	Object string `json:"object"`
	ID     string `json:"id"`
	Key    string `json:"key"`
	// Intercom people have a role and an email or external id instead of
	// an object and a key.
	Role       string `json:"role"`
	Email      string `json:"email"`
	ExternalID string `json:"external_id"`
	URL        string `json:"-"`
}

type reviewItem struct {
	app.ReviewView
	Links app.RecordLinks
	// SalesforceURL opens the reviewed Salesforce record.
	SalesforceURL string
	Candidates    []reviewCandidate
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
	sfURL := func(id string) string {
		if p.Conn.Salesforce.InstanceURL == "" {
			return ""
		}
		return strings.TrimRight(p.Conn.Salesforce.InstanceURL, "/") + "/" + url.PathEscape(id)
	}
	items := make([]reviewItem, 0, len(list))
	for _, v := range list {
		it := reviewItem{ReviewView: v}
		_ = json.Unmarshal(v.Candidates, &it.Candidates)
		if v.CandidatesIn == app.CandidatesInIntercom {
			it.SalesforceURL = sfURL(v.SalesforceID)
			ids := make([]string, len(it.Candidates))
			for i, c := range it.Candidates {
				ids[i] = c.ID
			}
			links, err := s.app.LinksOf(ctx, p.Conn, ids, s.intercomApp())
			if err != nil {
				s.uiFailure(w, r, p, err)
				return
			}
			for i, c := range it.Candidates {
				it.Candidates[i].Object = "Intercom " + c.Role
				it.Candidates[i].Key = c.Email
				if c.Email == "" {
					it.Candidates[i].Key = c.ExternalID
				}
				it.Candidates[i].URL = links[c.ID].IntercomURL
			}
			items = append(items, it)
			continue
		}
		for i, c := range it.Candidates {
			it.Candidates[i].URL = sfURL(c.ID)
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

// reviewResolve is POST /reviews/{id}/resolve with salesforce_id=…,
// intercom_id=… or skip=1.
func (s *Server) reviewResolve(w http.ResponseWriter, r *http.Request, p uiPage) {
	id, err := pathID(r)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	d := app.ReviewDecision{SalesforceID: r.PostFormValue("salesforce_id"), IntercomID: r.PostFormValue("intercom_id"),
		Skip: r.PostFormValue("skip") != ""}
	res, err := s.app.ResolveReview(r.Context(), p.Conn.ID, id, d)
	if msg, ok := failedMessage(err); ok {
		s.redirectBack(w, r, p, "/reviews", "", msg)
		return
	}
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	done := fmt.Sprintf("Paired with Salesforce %s; the first sync both ways runs now.", res)
	if d.IntercomID != "" {
		done = fmt.Sprintf("Paired with Intercom %s; the first sync both ways runs now.", res)
	}
	if d.Skip {
		done = "Dismissed: this record stays unpaired."
	}
	s.redirectBack(w, r, p, "/reviews", done, "")
}
