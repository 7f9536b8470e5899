package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/ferrysync/ferry/internal/app"
	"github.com/ferrysync/ferry/internal/store"
)

// historyPageSize is how many entries one history page shows.
const historyPageSize = 50

// historyRecord is one record found by a search, with its timeline.
type historyRecord struct {
	ID      string
	Links   app.RecordLinks
	Entries []historyLine
	// Older continues the timeline (0: the end).
	Older int64
}

// historyLine is one history entry in plain words.
type historyLine struct {
	app.HistoryView
	Sentence string
	Changes  []string
	Failed   bool
}

// historyPage is GET /history?q=: a record's history found by email,
// Intercom id or Salesforce id.
func (s *Server) historyPage(w http.ResponseWriter, r *http.Request, p uiPage) {
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	before, err := queryInt(r, "before", 0)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	ids, err := s.app.FindRecords(ctx, p.Conn.ID, q)
	if err != nil {
		s.uiFailure(w, r, p, err)
		return
	}
	var recs []historyRecord
	for _, id := range ids {
		page, err := s.app.History(ctx, p.Conn.ID, id, store.Page{Limit: historyPageSize, BeforeID: before})
		if err != nil {
			s.uiFailure(w, r, p, err)
			return
		}
		links, err := s.app.Links(ctx, p.Conn, id, s.intercomApp())
		if err != nil {
			s.uiFailure(w, r, p, err)
			return
		}
		rec := historyRecord{ID: id, Links: links, Older: page.NextBefore}
		for _, h := range page.History {
			rec.Entries = append(rec.Entries, describeHistory(h))
		}
		recs = append(recs, rec)
	}
	p.Title = "Record history"
	p.Data = struct {
		Query   string
		Records []historyRecord
	}{q, recs}
	s.render(w, r, http.StatusOK, "history", p)
}

// describeHistory says a history entry in words: who changed what, by
// which rule, and how it ended.
func describeHistory(h app.HistoryView) historyLine {
	l := historyLine{HistoryView: h}
	from := map[string]string{"intercom": "A change in Intercom", "salesforce": "A change in Salesforce", "ferry": "ferry"}[h.Origin]
	if from == "" {
		from = "A change"
	}
	outcome := map[string]string{
		"ok": "was synced", "unchanged": "was checked; nothing needed writing", "error": "failed",
		"retrying": "is being retried", "skipped": "was skipped", "no_match": "found no matching record",
		"multiple_matches": "found several matching records and waits for review", "mapping_deleted": "removed the pairing",
		"resolved": "resolved the sync error",
	}[h.Outcome]
	if outcome == "" {
		outcome = "ended as " + strings.ReplaceAll(h.Outcome, "_", " ")
	}
	object := h.Object
	if object == "" {
		object = "record"
	}
	l.Sentence = fmt.Sprintf("%s to this %s %s.", from, object, outcome)
	if h.Origin == "ferry" {
		l.Sentence = fmt.Sprintf("ferry acted on this %s: it %s.", object, outcome)
	}
	l.Failed = h.Outcome == "error"
	for _, c := range app.Changes(h.Changes) {
		l.Changes = append(l.Changes, fmt.Sprintf("%s: %s set to %s", uiLabel(c.Side), c.Field, c.Value))
	}
	return l
}
