package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"time"

	"github.com/ferrysync/ferry/internal/config"
	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/salesforce/pubsub"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// RunStreams subscribes to the Salesforce change streams (F3.3) of the
// connections whose settings ask for streaming, one subscriber per
// connection across all instances: each instance tries to take a
// connection's lease every Lease/3 and runs the subscriber of the
// connections it holds; a holder that dies stops renewing and another
// instance takes over within a lease. It returns when ctx ends, handing the
// leases back. Without Options.PubSubURL it returns at once.
func (e *Engine) RunStreams(ctx context.Context) {
	if e.opts.PubSubURL == "" {
		return
	}
	type run struct {
		cancel context.CancelFunc
		done   chan struct{}
	}
	running := map[int64]*run{}
	// stop ends a subscriber and hands its lease back; cause, if set, is
	// why the connection's changes are polled now.
	stop := func(id int64, cause string) {
		r := running[id]
		r.cancel()
		<-r.done
		delete(running, id)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if cause != "" {
			e.setStreamMode(rctx, id, store.StreamModePoll, cause, nil, nil)
		}
		if err := e.store.InTx(rctx, func(tx store.Tx) error { return tx.ReleaseChangeStream(rctx, id, e.opts.Owner) }); err != nil {
			e.log.WarnContext(rctx, "release change stream lease", "connection", id, "error", err)
		}
	}
	defer func() {
		for id := range running {
			stop(id, "")
		}
	}()
	tick := time.NewTicker(e.opts.Lease / 3)
	defer tick.Stop()
	for {
		want := map[int64]bool{}
		why := map[int64]string{}
		conns, err := e.store.ListConnections(ctx)
		if err != nil && ctx.Err() == nil {
			e.log.WarnContext(ctx, "change streams: list connections", "error", err)
		}
		for _, conn := range conns {
			if conn.State != store.StateConnected && !conn.State.APIPaused() {
				why[conn.ID] = causeNotConnected
				continue
			}
			if !e.wantsStream(ctx, conn.ID) {
				why[conn.ID] = causeSettings
				continue
			}
			var held bool
			err := e.store.InTx(ctx, func(tx store.Tx) error {
				var err error
				held, err = tx.AcquireChangeStream(ctx, conn.ID, e.opts.Owner, time.Now().Add(e.opts.Lease))
				return err
			})
			if err != nil {
				if ctx.Err() == nil {
					e.log.WarnContext(ctx, "change stream lease", "connection", conn.ID, "error", err)
				}
				if running[conn.ID] != nil {
					want[conn.ID] = true // two more ticks before the lease runs out
				}
				continue
			}
			if !held {
				continue
			}
			want[conn.ID] = true
			if running[conn.ID] == nil {
				rctx, cancel := context.WithCancel(ctx)
				r := &run{cancel: cancel, done: make(chan struct{})}
				running[conn.ID] = r
				go func() {
					defer close(r.done)
					e.runStream(rctx, conn.ID)
				}()
			}
		}
		for id := range running {
			if !want[id] {
				stop(id, why[id])
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// wantsStream reports whether a connection's settings ask for streaming.
func (e *Engine) wantsStream(ctx context.Context, connID int64) bool {
	s, err := e.store.GetSettings(ctx, connID)
	if errors.Is(err, store.ErrNotFound) {
		return settings.Default().Stream()
	}
	if err != nil {
		return false
	}
	doc, err := settings.Parse(s.Doc)
	return err == nil && doc.Stream()
}

// applyTimeout bounds applying one batch of change events.
const applyTimeout = 2 * time.Minute

// streamRetry bounds the wait between two subscriptions after a failure.
const streamRetry = time.Minute

// runStream keeps one connection's subscription going until ctx ends:
// after a failure it subscribes again from the last applied event, with
// backoff; a replay id Salesforce no longer keeps starts from the newest
// event after the connection fell back to polling, whose reconciliation
// reads the missed window. Every fallback is recorded with its cause.
func (e *Engine) runStream(ctx context.Context, connID int64) {
	wait := time.Second
	var failingSince, allocationRead time.Time
	for ctx.Err() == nil {
		conn, err := e.store.GetConnection(ctx, connID)
		if err != nil {
			return
		}
		healthy, err := e.streamOnce(ctx, conn, &allocationRead)
		if ctx.Err() != nil {
			return
		}
		if healthy {
			wait, failingSince = time.Second, time.Time{}
		}
		if failingSince.IsZero() {
			failingSince = time.Now()
		}
		cause := ""
		pe, isPE := pubsub.AsError(err)
		switch {
		case errors.Is(err, errNoStream) || isPE && pe.NotFound():
			cause = fmt.Sprintf(causeNoCDC, "the synced objects")
			if errors.Is(err, errNoStream) {
				cause = err.Error()
			}
			wait = 5 * time.Minute
		case isPE && pe.ReplayTooOld():
			if rerr := e.store.InTx(ctx, func(tx store.Tx) error { return tx.ResetChangeStreamReplay(ctx, connID) }); rerr != nil {
				e.log.WarnContext(ctx, "reset replay id", "connection", connID, "error", rerr)
			}
			cause, wait = causeReplayOld, 0
		case isPE && pe.Unauthenticated():
			cause, wait = causeAuth, streamRetry
		case isPE && pe.LimitExceeded():
			cause, wait = causeAllocation, 15*time.Minute
			e.readAllocation(ctx, connID)
		case time.Since(failingSince) >= e.opts.StreamFailAfter || !healthy && wait >= 8*time.Second:
			cause = fmt.Sprintf(causeStreamFails, err)
		}
		e.log.WarnContext(ctx, "change stream ended", "connection", connID, "error", err, "polling", cause != "")
		if cause != "" {
			e.setStreamMode(ctx, connID, store.StreamModePoll, cause, nil, nil)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(max(2*wait, time.Second), streamRetry)
	}
}

// setStreamMode records how changes arrive, why, which objects stream and
// which have no change events (nil objects keeps both).
func (e *Engine) setStreamMode(ctx context.Context, connID int64, mode, cause string, objects, missing []string) {
	if err := e.store.InTx(ctx, func(tx store.Tx) error {
		return tx.SetChangeStreamMode(ctx, connID, mode, cause, objects, missing)
	}); err != nil && ctx.Err() == nil {
		e.log.WarnContext(ctx, "record change stream mode", "connection", connID, "error", err)
	}
}

// pubsubClient returns the connection's Pub/Sub client, dialled once.
func (e *Engine) pubsubClient(ctx context.Context, conn store.Connection) (*pubsub.Client, error) {
	e.mu.Lock()
	c, ok := e.pubsubs[conn.ID]
	e.mu.Unlock()
	if ok {
		return c, nil
	}
	target, useTLS, err := config.PubSubTarget(e.opts.PubSubURL)
	if err != nil {
		return nil, err
	}
	src, err := e.opts.Manager.SalesforceTokens(ctx, conn.ID)
	if err != nil {
		return nil, err
	}
	tenant := conn.SalesforceOrgID
	if tenant == "" {
		if tok, err := src.Token(ctx); err == nil {
			tenant = tok.OrgID()
		}
	}
	c, err = pubsub.Dial(pubsub.Options{Target: target, TLS: useTLS, TLSConfig: e.opts.PubSubTLSConfig, Token: src, TenantID: tenant})
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if prev, ok := e.pubsubs[conn.ID]; ok {
		_ = c.Close()
		return prev, nil
	}
	e.pubsubs[conn.ID] = c
	return c, nil
}

// streamOnce subscribes once and applies events until the stream fails;
// healthy says whether it delivered (so a later failure starts a fresh
// backoff). allocationRead is when the org's delivery allocation was last
// read, for all of the connection's subscriptions.
func (e *Engine) streamOnce(ctx context.Context, conn store.Connection, allocationRead *time.Time) (healthy bool, err error) {
	client, err := e.pubsubClient(ctx, conn)
	if err != nil {
		return false, err
	}
	base, err := e.newBatch(ctx, conn, settings.LaneBackground, connection.PurposeBackground)
	if err != nil {
		return false, err
	}
	// Which objects stream: an object not selected for Change Data
	// Capture has no channel, and is polled at the normal interval.
	var streamed, missing []string
	for _, object := range PolledObjects(base.c.doc) {
		if _, err := client.Topic(ctx, topicOf(object)); err != nil {
			if pe, ok := pubsub.AsError(err); ok && pe.NotFound() {
				missing = append(missing, object)
				continue
			}
			return false, err
		}
		streamed = append(streamed, object)
	}
	if len(streamed) == 0 {
		e.setStreamMode(ctx, conn.ID, store.StreamModePoll, fmt.Sprintf(causeNoCDC, strings.Join(missing, ", ")), []string{}, missing)
		return false, fmt.Errorf("%w: %s", errNoStream, fmt.Sprintf(causeNoCDC, strings.Join(missing, ", ")))
	}
	cause := ""
	if len(missing) > 0 {
		cause = fmt.Sprintf(causeNoCDC, strings.Join(missing, ", ")) + "; polled at the normal interval"
	}
	cs, err := e.store.GetChangeStream(ctx, conn.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	resumed, applied := len(cs.ReplayID) > 0, 0
	if !resumed {
		// Without a position the stream starts at the newest event, and
		// changes made before it (or before a process that died ahead of
		// its first save) would be missed: the change of mode makes the
		// next poll reconcile that window.
		e.setStreamMode(ctx, conn.ID, store.StreamModePoll, causeStarting, nil, nil)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub, err := client.Subscribe(sctx, streamTopic, cs.ReplayID, pubsub.MaxCredit)
	if err != nil {
		return false, err
	}
	defer sub.Close()
	// A reader receives while batches are applied: what arrives meanwhile
	// is applied together next (F8.1: a burst is a few batches).
	type recv struct {
		b   pubsub.Batch
		err error
	}
	ch := make(chan recv, 64)
	var wg gosync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() {
		for {
			b, err := sub.Recv(sctx)
			select {
			case ch <- recv{b, err}:
			case <-sctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	})
	// The subscription is known good once Salesforce answered or a moment
	// passed without a refusal (keep-alives may take minutes).
	settled := time.NewTimer(3 * time.Second)
	defer settled.Stop()
	markStreaming := func() {
		if time.Since(*allocationRead) >= allocationEvery {
			*allocationRead = time.Now()
			e.readAllocation(ctx, conn.ID)
		}
		if !healthy {
			healthy = true
			e.setStreamMode(ctx, conn.ID, store.StreamModeStream, cause, streamed, missing)
		}
	}
	for {
		var first recv
		select {
		case <-ctx.Done():
			return healthy, ctx.Err()
		case <-settled.C:
			markStreaming()
			continue
		case first = <-ch:
		}
		if first.err != nil {
			return healthy, first.err
		}
		markStreaming()
		batch := first.b
		var failed error
	more:
		for len(batch.Events) < e.opts.StreamBatch {
			select {
			case r := <-ch:
				if r.err != nil {
					failed = r.err
					break more
				}
				batch.Events = append(batch.Events, r.b.Events...)
				if len(r.b.LatestReplayID) > 0 {
					batch.LatestReplayID = r.b.LatestReplayID
				}
			default:
				break more
			}
		}
		// Right after resuming from a saved position, the first batch may
		// hold events a process that died had applied but not saved.
		replayed := resumed && applied < e.opts.StreamBatch
		applied += len(batch.Events)
		// A batch begun is finished even when the subscriber is told to
		// stop (a shutdown, a lost lease): its Intercom writes and their
		// commit and position go together.
		actx, cancelApply := context.WithTimeout(context.WithoutCancel(ctx), applyTimeout)
		err := e.applyBatch(actx, conn, batch, replayed)
		cancelApply()
		if err != nil {
			return healthy, err
		}
		if failed != nil {
			return healthy, failed
		}
	}
}

// applyBatch applies what the stream delivered and then, only then, saves
// the position after it (at least once: a crash before the save applies
// the events again, which changes nothing the second time).
func (e *Engine) applyBatch(ctx context.Context, conn store.Connection, b pubsub.Batch, replayed bool) error {
	replay := b.LatestReplayID
	if n := len(b.Events); n > 0 && len(b.Events[n-1].ReplayID) > 0 {
		replay = b.Events[n-1].ReplayID
	}
	var last time.Time
	var lag time.Duration
	if len(b.Events) > 0 {
		se, err := e.applyEvents(ctx, conn, b.Events, replayed)
		if err != nil {
			return err
		}
		for object := range se.reconcile {
			if err := e.reconcileObject(ctx, conn, object); err != nil {
				return err
			}
		}
		last = se.last
		if !last.IsZero() {
			lag = max(time.Since(last), 0)
		}
		if e.opts.Observer != nil {
			e.opts.Observer.StreamEvents(conn.ID, se.events, se.echoes, lag)
		}
	}
	if len(replay) == 0 {
		return nil
	}
	var held bool
	err := e.store.InTx(ctx, func(tx store.Tx) error {
		var err error
		if held, err = tx.SaveChangeStreamReplay(ctx, conn.ID, e.opts.Owner, replay, last, lag, len(b.Events)); err != nil || !held {
			return err
		}
		if len(b.Events) == 0 {
			return nil
		}
		// Counted against the org's daily event delivery allocation,
		// beside the API budget (F8.1); not API calls, so the budget's
		// lanes do not count them.
		_, err = tx.IncrementUsage(ctx, conn.ID, e.now(), store.PurposeEventDeliveries, int64(len(b.Events)))
		return err
	})
	if err != nil {
		return err
	}
	if !held {
		return errors.New("engine: the change stream's lease was taken over by another instance")
	}
	return nil
}

// reconcileObject reads one object's changes by a query from its
// watermark, as a poll does (a GAP_OVERFLOW event: more changes in one
// transaction than events were sent for).
func (e *Engine) reconcileObject(ctx context.Context, conn store.Connection, object string) error {
	base, err := e.newBatch(ctx, conn, settings.LaneBackground, connection.PurposeBackground)
	if err != nil {
		return err
	}
	ctx = purposeCtx(ctx, connection.PurposeBackground)
	r, err := e.planObject(ctx, base, object, e.now(), time.Time{})
	if err != nil {
		return err
	}
	answers, err := e.pollReads(ctx, base, []*objectRead{r}, nil, nil)
	if err != nil {
		return err
	}
	if err := e.pollObject(ctx, base, r, base.sf.QueryResult(ctx, answers[r.queryRef()])); err != nil {
		return err
	}
	return e.pollDeleted(ctx, base, r, answers[r.deletedRef()])
}

// allocationEvery is how often a streaming connection reads the org's
// event delivery allocation: one API call an hour.
const allocationEvery = time.Hour

// readAllocation reads the org's daily event delivery allocation (one
// call to the limits resource) and stores it for the API budget view.
func (e *Engine) readAllocation(ctx context.Context, connID int64) {
	sf, err := e.opts.Manager.Salesforce(ctx, connID)
	if err != nil {
		return
	}
	limits, err := sf.Limits(purposeCtx(ctx, connection.PurposeSetup))
	if err != nil {
		e.log.WarnContext(ctx, "read the org's event delivery allocation", "connection", connID, "error", err)
		return
	}
	l, ok := limits[salesforce.LimitDailyDeliveredEvents]
	if !ok {
		return
	}
	if err := e.store.InTx(ctx, func(tx store.Tx) error {
		return tx.SaveChangeStreamAllocation(ctx, connID, int64(l.Max), int64(l.Remaining))
	}); err != nil && ctx.Err() == nil {
		e.log.WarnContext(ctx, "store the org's event delivery allocation", "connection", connID, "error", err)
	}
}
