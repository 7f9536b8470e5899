package engine

import (
	"context"
	"errors"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// firstProbe is how long after Salesforce refused calls (the API limit,
// API access off) the org's limits are first read again; each refused
// probe doubles the wait, up to the connection's poll interval, so the end
// of the pause is noticed within one poll interval.
const firstProbe = 5 * time.Second

// apiProbe schedules a paused connection's next read of the org's limits.
type apiProbe struct {
	next time.Time
	wait time.Duration
}

// apiPauseCause names the pause an error stands for (store.CauseAPILimitReached
// or store.CauseAPIDisabled), or "".
func apiPauseCause(err error) string {
	var be *batchError
	cause := ""
	if errors.As(err, &be) && be.kind == breaking {
		cause = be.cause
	} else {
		cause = connection.SalesforceCause(err)
	}
	if connection.APIPauseState(cause) == "" {
		return ""
	}
	return cause
}

// pauseAPI shows the pause on the connection (state and banner) and
// schedules the first probe.
func (e *Engine) pauseAPI(ctx context.Context, connID int64, cause string, err error) {
	e.opts.Manager.Health().PauseAPI(context.WithoutCancel(ctx), connID, cause, err)
	e.mu.Lock()
	if _, ok := e.probes[connID]; !ok {
		e.probes[connID] = &apiProbe{next: e.now().Add(firstProbe), wait: firstProbe}
	}
	e.mu.Unlock()
}

// probeAPI reads the org's limits of a paused connection when its probe is
// due and reports whether Salesforce accepts calls again (the connection is
// then connected). A refused probe doubles the wait, up to the poll
// interval.
func (e *Engine) probeAPI(ctx context.Context, conn store.Connection) (bool, error) {
	now := e.now()
	e.mu.Lock()
	p, ok := e.probes[conn.ID]
	if !ok {
		// Paused by another instance, or before a restart: probe now.
		p = &apiProbe{next: now, wait: firstProbe}
		e.probes[conn.ID] = p
	}
	due := !now.Before(p.next)
	e.mu.Unlock()
	if !due {
		return false, nil
	}
	doc, err := e.settingsDoc(ctx, conn.ID)
	if err != nil {
		return false, err
	}
	backOff := func() {
		e.mu.Lock()
		p.wait = min(2*p.wait, max(e.pollInterval(doc), firstProbe))
		p.next = e.now().Add(p.wait)
		e.mu.Unlock()
	}
	sf, err := e.opts.Manager.Salesforce(ctx, conn.ID)
	if err != nil {
		return false, err
	}
	limits, err := sf.Limits(purposeCtx(ctx, connection.PurposeSetup))
	if err != nil {
		backOff()
		if cause := apiPauseCause(err); cause != "" {
			// Still refused (perhaps for the other reason now).
			e.opts.Manager.Health().PauseAPI(ctx, conn.ID, cause, err)
			return false, nil
		}
		e.log.InfoContext(ctx, "reading the org's limits failed; checking again later", "connection", conn.ID, "error", err)
		return false, nil
	}
	// Calls are accepted again; the background lane resumes once more
	// than the inbox's reserve is left (else it would pause again at once).
	if l, ok := limits[salesforce.LimitDailyAPIRequests]; ok && l.Remaining <= doc.APIBudget.Reserve(settings.LaneBackground) {
		backOff()
		return false, nil
	}
	if err := e.opts.Manager.Health().Connected(ctx, conn.ID); err != nil {
		return false, err
	}
	e.mu.Lock()
	delete(e.probes, conn.ID)
	e.mu.Unlock()
	e.log.InfoContext(ctx, "Salesforce accepts API calls again; sync resumes", "connection", conn.ID, "was", string(conn.State))
	return true, nil
}

// catchUp drains the connection's pending Intercom changes now, within
// drainBudget: after a pause (their jobs wait for a later look) and when
// changes were left behind by a process that died (see drainOrphans).
func (e *Engine) catchUp(ctx context.Context, conn store.Connection) {
	start := time.Now()
	for time.Since(start) < drainBudget && !e.stopping.Load() {
		n, err := e.drainOnce(ctx, conn)
		if err != nil {
			e.log.InfoContext(ctx, "catching up stopped; the drain jobs go on", "connection", conn.ID, "error", err)
			return
		}
		if n == 0 {
			return
		}
	}
}

// settingsDoc returns a connection's settings document (the defaults when
// none is saved), without reading any schema.
func (e *Engine) settingsDoc(ctx context.Context, connID int64) (settings.Document, error) {
	st, err := e.store.GetSettings(ctx, connID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return settings.Default(), nil
	case err != nil:
		return settings.Document{}, err
	}
	return settings.Parse(st.Doc)
}

// pollInterval is how often a connection with these settings is polled:
// its settings' interval, bounded by the operator's (MaxPollInterval).
func (e *Engine) pollInterval(doc settings.Document) time.Duration {
	return settings.EffectivePoll(doc, e.opts.MaxPollInterval)
}
