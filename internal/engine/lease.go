package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// releaseTimeout bounds handing a round's events back. The release runs
// detached from the round's context: a round stops because that context
// was cancelled (a shutdown, River's job timeout) as often as for any other
// reason, and its events must still be handed back at once, not after
// their lease runs out.
const releaseTimeout = 5 * time.Second

// errLeaseLost: another owner took over a round's events (this round
// stalled past its lease), so it must not commit them.
var errLeaseLost = errors.New("engine: the drain round's lease was taken over by another worker")

// holdLease renews owner's lease on ids every Lease/3 while a drain round
// runs, so the lease can be short: a crashed process's events are taken
// over within one lease, not after the longest round could take. The
// returned context ends when the lease is lost; stop ends the renewals and
// waits for them.
func (e *Engine) holdLease(ctx context.Context, owner string, ids []int64) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(e.opts.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			var held int
			err := e.store.InTx(ctx, func(tx store.Tx) error {
				var err error
				held, err = tx.RenewWebhookEventClaims(ctx, ids, owner, time.Now().Add(e.opts.Lease))
				return err
			})
			switch {
			case err != nil && ctx.Err() == nil:
				// The next tick tries again; the lease has two more
				// ticks before it runs out.
				e.log.WarnContext(ctx, "renew drain lease", "owner", owner, "error", err)
			case err == nil && held < len(ids):
				cancel(fmt.Errorf("%w (%d of %d events still held)", errLeaseLost, held, len(ids)))
				return
			}
		}
	})
	var once sync.Once
	return ctx, func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}

// release hands owner's events back so that a retry, or another instance,
// claims them at once.
func (e *Engine) release(ctx context.Context, owner string, ids []int64) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	return e.store.InTx(ctx, func(tx store.Tx) error {
		return tx.ReleaseWebhookEvents(ctx, ids, owner)
	})
}

// drainOrphans runs one drain round when a connection's oldest pending
// Intercom change has waited two leases: its job may have died with a
// process (River rescues such a job only after RescueStuckJobsAfter, an
// hour by default) with no newer change's job to drain it. Every poll tick
// checks, so a restart continues within seconds even when no new change
// arrives. One round per tick keeps the poll from turning into a drain
// under a backlog; while a live round holds the connection's lease, the
// claim takes nothing.
func (e *Engine) drainOrphans(ctx context.Context, conn store.Connection) {
	evs, err := e.store.ListPendingWebhookEvents(ctx, conn.ID, 1)
	if err != nil || len(evs) == 0 || time.Since(evs[0].ReceivedAt) < 2*e.opts.Lease {
		return
	}
	if _, err := e.drainOnce(ctx, conn); err != nil {
		e.log.InfoContext(ctx, "draining changes left behind failed; the next tick tries again", "connection", conn.ID, "error", err)
	}
}

// StopDraining makes the drain jobs of this instance finish their current
// round and hand the rest back (their jobs are snoozed), so a graceful
// shutdown is quick and another instance, or the next start, continues at
// once. Call it before stopping the queue.
func (e *Engine) StopDraining() { e.stopping.Store(true) }
