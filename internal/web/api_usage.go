package web

import (
	"errors"
	"net/http"
	"sort"

	"github.com/ferrysync/ferry/internal/connection"
)

// listUsage is GET /api/v1/usage?connection=&days=N: Salesforce API calls
// per UTC day and purpose over the last N days (default 30), and the org's
// own usage from the latest Sforce-Limit-Info header when this process has
// made a call (free: no extra API call) (F8.1).
func (s *Server) listUsage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	days, err := queryInt(r, "days", 30)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	if days == 0 || days > 366 {
		s.writeFailure(w, r, badRequest("days must be between 1 and 366"))
		return
	}
	to := s.now().UTC()
	from := to.AddDate(0, 0, -int(days-1))
	rows, err := s.store.ListUsage(ctx, conn.ID, from, to)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	type day struct {
		Day       string           `json:"day"`
		Total     int64            `json:"total"`
		ByPurpose map[string]int64 `json:"by_purpose"`
	}
	byDay := map[string]*day{}
	for _, u := range rows {
		d := byDay[u.Day]
		if d == nil {
			d = &day{Day: u.Day, ByPurpose: map[string]int64{}}
			byDay[u.Day] = d
		}
		d.ByPurpose[u.Purpose] += u.Count
		d.Total += u.Count
	}
	list := make([]day, 0, len(byDay))
	for _, d := range byDay {
		list = append(list, *d)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Day < list[j].Day })
	resp := map[string]any{"connection_id": conn.ID, "from": from.Format("2006-01-02"), "to": to.Format("2006-01-02"), "days": list}
	sf, err := s.manager.Salesforce(ctx, conn.ID)
	switch {
	case err == nil:
		if used, limit := sf.Usage(); limit > 0 {
			resp["org"] = map[string]int{"used": used, "max": limit, "remaining": limit - used}
		}
	case errors.Is(err, connection.ErrNotConnected):
	default:
		s.log.WarnContext(ctx, "usage: Salesforce client", "connection", conn.ID, "error", err)
	}
	writeJSON(w, http.StatusOK, resp)
}
