package app

import (
	"context"
	"errors"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// Overview is what the admin sees first for a connection: its health, the
// initial sync, how far behind sync is, what it did today and what it may
// still spend.
type Overview struct {
	Connection ConnectionView `json:"connection"`
	// InitialSyncDone is the initial sync's progress, 0–100: the share of
	// records gone through, by the totals Intercom's listings count; the
	// share of objects finished while an unfinished object's total is not
	// known yet.
	InitialSyncDone int `json:"initial_sync_done"`
	// OldestPending is when the oldest Intercom change still waiting to be
	// synced arrived (nil: none waiting).
	OldestPending *time.Time `json:"oldest_pending,omitempty"`
	// LastPoll is when Salesforce was last read for changes (nil: never).
	LastPoll *time.Time `json:"last_poll,omitempty"`
	// SalesforceChanges says how Salesforce changes reach ferry: by
	// stream or by poll, why, and the stream's lag.
	SalesforceChanges ChangesView `json:"salesforce_changes"`
	// ToSalesforce and ToIntercom count the records synced today (UTC)
	// from Intercom to Salesforce and back.
	ToSalesforce int `json:"to_salesforce_today"`
	ToIntercom   int `json:"to_intercom_today"`
	// OpenErrors and OpenReviews count what waits for the admin.
	OpenErrors  int         `json:"open_errors"`
	OpenReviews int         `json:"open_reviews"`
	Budget      BudgetToday `json:"budget"`
}

// ChangesView is how a connection's Salesforce changes arrive (F3.3).
type ChangesView struct {
	// Mode is "stream" (change events, polling only reconciles) or "poll".
	Mode string `json:"mode"`
	// Why says why changes are polled, or what the stream leaves out.
	Why string `json:"why,omitempty"`
	// Since is when the mode began (nil: never streamed).
	Since *time.Time `json:"since,omitempty"`
	// Objects are the objects streamed; Missing those Salesforce sends no
	// change events for (polled at the normal interval).
	Objects []string `json:"objects,omitempty"`
	Missing []string `json:"missing,omitempty"`
	// LagSeconds is how long after its commit the newest streamed change
	// was applied; LastEvent is that commit (nil: none yet).
	LagSeconds float64    `json:"lag_seconds"`
	LastEvent  *time.Time `json:"last_event,omitempty"`
	// Events counts the change events applied.
	Events int64 `json:"events"`
}

// changesView reads how a connection's Salesforce changes arrive.
func (a *App) changesView(ctx context.Context, connID int64, doc settings.Document) (ChangesView, error) {
	v := ChangesView{Mode: store.StreamModePoll}
	if !doc.Stream() {
		v.Why = "the settings ask for polling"
		return v, nil
	}
	cs, err := a.store.GetChangeStream(ctx, connID)
	if errors.Is(err, store.ErrNotFound) {
		v.Why = "the change stream has not started yet"
		return v, nil
	} else if err != nil {
		return v, err
	}
	v.Why, v.Objects, v.Missing, v.Events = cs.Cause, cs.Objects, cs.Missing, cs.Events
	if cs.Mode == store.StreamModeStream && a.now().Before(cs.HeldUntil) {
		v.Mode = store.StreamModeStream
	} else if cs.Mode == store.StreamModeStream {
		v.Why = "no instance holds the change stream"
	}
	if !cs.ModeSince.IsZero() {
		t := cs.ModeSince.UTC()
		v.Since = &t
	}
	if !cs.LastEventAt.IsZero() {
		t := cs.LastEventAt.UTC()
		v.LastEvent, v.LagSeconds = &t, cs.Lag.Seconds()
	}
	return v, nil
}

// BudgetToday is today's Salesforce API use against ferry's budget (F8.1).
type BudgetToday struct {
	Used   int                `json:"used"`
	Budget settings.APIBudget `json:"budget"`
	// Lanes says, per lane, whether it may still spend calls now.
	Lanes []LaneState `json:"lanes"`
	Org   *OrgUsage   `json:"org,omitempty"`
}

// LaneState is one lane of the budget and whether it runs now.
type LaneState struct {
	Lane settings.Lane `json:"lane"`
	// StopsBelow is how many remaining calls the lane leaves to others.
	StopsBelow int  `json:"stops_below"`
	Open       bool `json:"open"`
}

// Overview returns the overview of connection connID.
func (a *App) Overview(ctx context.Context, connID int64) (Overview, error) {
	c, err := a.Connection(ctx, connID)
	if err != nil {
		return Overview{}, err
	}
	var o Overview
	if o.Connection, err = a.ViewConnection(ctx, c); err != nil {
		return Overview{}, err
	}
	o.InitialSyncDone = initialSyncDone(o.Connection.InitialSync)
	pending, err := a.store.ListPendingWebhookEvents(ctx, c.ID, 1)
	if err != nil {
		return Overview{}, err
	}
	if len(pending) > 0 {
		t := pending[0].ReceivedAt.UTC()
		o.OldestPending = &t
	}
	for _, obj := range []store.SalesforceObject{store.ObjectLead, store.ObjectContact, store.ObjectAccount} {
		w, err := a.store.GetWatermark(ctx, c.ID, string(obj))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return Overview{}, err
		}
		if t := w.UpdatedAt.UTC(); o.LastPoll == nil || t.After(*o.LastPoll) {
			o.LastPoll = &t
		}
	}
	doc, err := a.Settings(ctx, c.ID)
	if err != nil {
		return Overview{}, err
	}
	if o.SalesforceChanges, err = a.changesView(ctx, c.ID, doc.Document); err != nil {
		return Overview{}, err
	}
	now := a.now().UTC()
	counts, err := a.store.CountHistoryOfDay(ctx, c.ID, now, "ok")
	if err != nil {
		return Overview{}, err
	}
	o.ToSalesforce, o.ToIntercom = counts[store.OriginIntercom], counts[store.OriginSalesforce]
	if _, o.OpenErrors, err = a.store.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: c.ID, Limit: 1}); err != nil {
		return Overview{}, err
	}
	reviews, err := a.store.ListMatchReviews(ctx, c.ID, false)
	if err != nil {
		return Overview{}, err
	}
	o.OpenReviews = len(reviews)
	if o.Budget, err = a.Budget(ctx, c.ID); err != nil {
		return Overview{}, err
	}
	return o, nil
}

// Budget returns today's API use against the connection's budget and which
// lanes are open, by the same rule the engine checks before each batch.
func (a *App) Budget(ctx context.Context, connID int64) (BudgetToday, error) {
	st, err := a.Settings(ctx, connID)
	if err != nil {
		return BudgetToday{}, err
	}
	b := BudgetToday{Budget: st.Document.APIBudget, Org: a.orgUsage(ctx, connID)}
	if b.Used, err = connection.UsedToday(ctx, a.store, connID, a.now()); err != nil {
		return BudgetToday{}, err
	}
	orgRemaining := -1
	if b.Org != nil {
		orgRemaining = b.Org.Remaining
	}
	for _, lane := range []settings.Lane{settings.LaneInbox, settings.LaneBackground, settings.LaneBackfill} {
		b.Lanes = append(b.Lanes, LaneState{Lane: lane, StopsBelow: b.Budget.Reserve(lane), Open: b.Budget.Allows(lane, b.Used, orgRemaining)})
	}
	return b, nil
}

// initialSyncDone is the initial sync's progress in percent: records
// processed against the records Intercom lists, over all objects (a
// finished object counts as all its records done). Before an unfinished
// object's first page its total is unknown, and the share of objects
// finished is all that can be said honestly.
func initialSyncDone(objects []InitialSyncView) int {
	if len(objects) == 0 {
		return 0
	}
	var processed, total int64
	finished, known := 0, true
	for _, is := range objects {
		if is.State == "done" {
			finished++
			n := max(is.Total, is.Processed)
			processed, total = processed+n, total+n
			continue
		}
		if is.Total == 0 {
			known = false
		}
		// Records created while the sync runs can take processed past the
		// total counted at its start.
		processed, total = processed+min(is.Processed, is.Total), total+is.Total
	}
	switch {
	case finished == len(objects):
		return 100
	case !known || total == 0:
		return finished * 100 / len(objects)
	}
	// Not finished is never shown as 100.
	return min(int(processed*100/total), 99)
}
