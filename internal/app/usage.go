package app

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/store"
)

// UsageDay is ferry's Salesforce API calls on one UTC day, by purpose.
type UsageDay struct {
	Day       string           `json:"day"`
	Total     int64            `json:"total"`
	ByPurpose map[string]int64 `json:"by_purpose"`
	// EventDeliveries counts the change events Salesforce streamed that
	// day: not API calls, but counted against the org's daily event
	// delivery allocation.
	EventDeliveries int64 `json:"event_deliveries"`
}

// OrgUsage is the org's own API usage from the latest Sforce-Limit-Info
// header (all apps, not only ferry).
type OrgUsage struct {
	Used      int `json:"used"`
	Max       int `json:"max"`
	Remaining int `json:"remaining"`
}

// UsageView is a connection's API usage over a range of days (F8.1).
type UsageView struct {
	ConnectionID int64      `json:"connection_id"`
	From         string     `json:"from"`
	To           string     `json:"to"`
	Days         []UsageDay `json:"days"`
	// Org is nil when this process has made no Salesforce call yet: it is
	// read free from the last call's header, never with an extra call.
	Org *OrgUsage `json:"org,omitempty"`
	// Deliveries is the org's daily event delivery allocation, which the
	// change events streamed to ferry (and every other subscriber) count
	// against; nil before the change stream first read it.
	Deliveries *DeliveryAllocation `json:"event_deliveries,omitempty"`
}

// DeliveryAllocation is the org's daily event delivery allocation as the
// change stream last read it (once an hour), and ferry's own deliveries
// today.
type DeliveryAllocation struct {
	Max       int64     `json:"max"`
	Remaining int64     `json:"remaining"`
	ReadAt    time.Time `json:"read_at"`
	// FerryToday counts the change events delivered to ferry today (UTC).
	FerryToday int64 `json:"ferry_today"`
}

// Usage returns Salesforce API calls per UTC day and purpose over the last
// days days (1..366), days without calls left out, and the org's usage.
func (a *App) Usage(ctx context.Context, connID int64, days int) (UsageView, error) {
	if days <= 0 || days > 366 {
		return UsageView{}, errorf(Invalid, "days must be between 1 and 366")
	}
	to := a.now().UTC()
	from := to.AddDate(0, 0, -(days - 1))
	rows, err := a.store.ListUsage(ctx, connID, from, to)
	if err != nil {
		return UsageView{}, err
	}
	byDay := map[string]*UsageDay{}
	for _, u := range rows {
		d := byDay[u.Day]
		if d == nil {
			d = &UsageDay{Day: u.Day, ByPurpose: map[string]int64{}}
			byDay[u.Day] = d
		}
		if u.Purpose == store.PurposeEventDeliveries {
			d.EventDeliveries += u.Count
			continue
		}
		d.ByPurpose[u.Purpose] += u.Count
		d.Total += u.Count
	}
	out := UsageView{ConnectionID: connID, From: from.Format("2006-01-02"), To: to.Format("2006-01-02"), Days: make([]UsageDay, 0, len(byDay))}
	for _, d := range byDay {
		out.Days = append(out.Days, *d)
	}
	sort.Slice(out.Days, func(i, j int) bool { return out.Days[i].Day < out.Days[j].Day })
	out.Org = a.orgUsage(ctx, connID)
	cs, err := a.store.GetChangeStream(ctx, connID)
	switch {
	case err == nil && !cs.DeliveryReadAt.IsZero():
		out.Deliveries = &DeliveryAllocation{Max: cs.DeliveryMax, Remaining: cs.DeliveryRemaining, ReadAt: cs.DeliveryReadAt}
		if d := byDay[to.Format("2006-01-02")]; d != nil {
			out.Deliveries.FerryToday = d.EventDeliveries
		}
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return UsageView{}, err
	}
	return out, nil
}

// orgUsage reads the org's usage from the last call's header, nil when
// unknown.
func (a *App) orgUsage(ctx context.Context, connID int64) *OrgUsage {
	sf, err := a.manager.Salesforce(ctx, connID)
	switch {
	case err == nil:
		if used, limit := sf.Usage(); limit > 0 {
			return &OrgUsage{Used: used, Max: limit, Remaining: limit - used}
		}
	case errors.Is(err, connection.ErrNotConnected):
	default:
		a.log.WarnContext(ctx, "usage: Salesforce client", "connection", connID, "error", err)
	}
	return nil
}
