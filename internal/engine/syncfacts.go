package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// PolledObjects are the Salesforce objects a connection's polls read:
// Leads and Contacts always, Accounts when companies are synced.
func PolledObjects(doc settings.Document) []string {
	objects := []string{"Lead", "Contact"}
	if doc.Identity.Company.Salesforce != "" {
		objects = append(objects, "Account")
	}
	return objects
}

// ReadSyncFacts reads what the stall rules (connection.AssessSync) need
// about a connection from the store: its poll interval (its settings,
// bounded by operatorMax, FERRY_POLL_INTERVAL), each polled object's last
// successful poll, the Intercom changes waiting for the engine, and
// Salesforce's reachability. It makes no API call.
func ReadSyncFacts(ctx context.Context, r store.Reader, conn store.Connection, operatorMax time.Duration) (connection.SyncFacts, error) {
	f := connection.SyncFacts{State: conn.State, Since: conn.StateChangedAt, LastPolls: map[string]time.Time{}}
	doc := settings.Default()
	if s, err := r.GetSettings(ctx, conn.ID); err == nil {
		if d, perr := settings.Parse(s.Doc); perr == nil {
			doc = d
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return f, fmt.Errorf("engine: sync facts: settings: %w", err)
	}
	f.PollInterval = settings.EffectivePoll(doc, operatorMax)
	if cs, err := r.GetChangeStream(ctx, conn.ID); err == nil && doc.Stream() && cs.Mode == store.StreamModeStream && time.Now().Before(cs.HeldUntil) {
		// Changes stream: polls only reconcile, at the longer interval.
		f.PollInterval = max(f.PollInterval, doc.Reconcile())
		f.Stream = &cs
	} else if err == nil {
		f.Stream = &cs
	} else if !errors.Is(err, store.ErrNotFound) {
		return f, fmt.Errorf("engine: sync facts: change stream: %w", err)
	}
	for _, object := range PolledObjects(doc) {
		wm, err := r.GetWatermark(ctx, conn.ID, polledMark(object))
		switch {
		case err == nil:
			f.LastPolls[object] = wm.SystemModstamp
		case !errors.Is(err, store.ErrNotFound):
			return f, fmt.Errorf("engine: sync facts: last poll of %s: %w", object, err)
		}
	}
	// Every topic some drain takes: contacts, companies, conversations.
	pending, err := r.SummarizePendingWebhookEvents(ctx, conn.ID, slices.Concat(engineTopics, taskTopics)...)
	if err != nil {
		return f, fmt.Errorf("engine: sync facts: %w", err)
	}
	f.Pending = pending
	re, err := r.GetReachability(ctx, conn.ID, store.SideSalesforce)
	switch {
	case err == nil:
		f.Salesforce = &re
	case !errors.Is(err, store.ErrNotFound):
		return f, fmt.Errorf("engine: sync facts: %w", err)
	}
	return f, nil
}
