package engine

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// Initial sync objects and states.
const (
	InitialContacts  = "contacts"
	InitialCompanies = "companies"

	StateRunning = "running"
	StatePaused  = "paused"
	StateDone    = "done"
)

// firstRun names the initial sync's first run; RestartMatching numbers the
// next ones.
const firstRun = "1"

// initialPage is how many Intercom records one initial-sync step matches:
// one Intercom page, two IN-list queries and at most one Collections call.
const initialPage = 150

// StartInitialSync enqueues the initial sync of a newly connected
// connection in tx (F3.8) and starts its polls at now, so that changes made
// from now on are polled and everything older is matched by the initial
// sync. It does nothing for a connection that had one already: a reconnect
// resumes from the stored watermarks and never re-imports (F1.3). Call it in
// the transaction that marks the connection connected.
func StartInitialSync(ctx context.Context, tx store.Tx, connID int64, now time.Time) error {
	rows, err := tx.ListInitialSyncs(ctx, connID)
	if err != nil {
		return err
	}
	if len(rows) > 0 {
		return nil
	}
	for _, object := range []string{"Lead", "Contact", "Account"} {
		if _, err := tx.GetWatermark(ctx, connID, object); errors.Is(err, store.ErrNotFound) {
			if err := tx.PutWatermark(ctx, store.Watermark{ConnectionID: connID, Object: object, SystemModstamp: now}); err != nil {
				return err
			}
		}
	}
	for _, object := range []string{InitialContacts, InitialCompanies} {
		if err := tx.PutInitialSync(ctx, store.InitialSync{ConnectionID: connID, Object: object, State: StateRunning,
			Cursor: firstRun, StartedAt: now}); err != nil {
			return err
		}
	}
	if _, err := tx.Enqueue(ctx, jobs.InitialSyncArgs{ConnectionID: connID, Run: firstRun}, jobs.InitialSyncInsertOpts()); err != nil {
		return fmt.Errorf("engine: enqueue initial sync: %w", err)
	}
	return nil
}

// Progress returns the initial sync's progress per object, for the admin
// API (F3.8): state, records processed, matched and ambiguous.
func (e *Engine) Progress(ctx context.Context, connID int64) ([]store.InitialSync, error) {
	return e.store.ListInitialSyncs(ctx, connID)
}

// InitialSync implements jobs.Syncer: it pages through the Intercom
// contacts (and companies, when account sync is on), matches each page
// against Salesforce with IN-list queries, creates the mappings, syncs all
// mapped attributes both ways once (F3.4) and writes the SALESFORCE_*
// attributes. Progress is stored after every page, so the sync resumes
// where it stopped. It runs in the backfill lane, which the API budget stops
// first (F8.1).
func (e *Engine) InitialSync(ctx context.Context, conn store.Connection, args jobs.InitialSyncArgs) error {
	return e.jobError(ctx, conn.ID, e.initialSync(ctx, conn, args.Run))
}

func (e *Engine) initialSync(ctx context.Context, conn store.Connection, run string) error {
	err := e.initialRun(ctx, conn, run)
	if errors.Is(err, errMatchingRestarted) {
		// A newer run took over (the settings changed what matching
		// needs); its own job carries on from the start.
		e.log.InfoContext(ctx, "initial sync restarted by a settings change", "connection", conn.ID)
		return nil
	}
	return err
}

func (e *Engine) initialRun(ctx context.Context, conn store.Connection, run string) error {
	rows, err := e.store.ListInitialSyncs(ctx, conn.ID)
	if err != nil {
		return err
	}
	progress := map[string]store.InitialSync{}
	for _, r := range rows {
		if run != "" && r.Cursor != run {
			return errMatchingRestarted // a newer run has its own job
		}
		progress[r.Object] = r
	}
	if len(rows) > 0 {
		run = rows[0].Cursor
	}
	for _, object := range []string{InitialContacts, InitialCompanies} {
		if _, ok := progress[object]; !ok {
			p := store.InitialSync{ConnectionID: conn.ID, Object: object, State: StateRunning, Cursor: run, StartedAt: e.now()}
			if err := e.store.InTx(ctx, func(tx store.Tx) error { return tx.PutInitialSync(ctx, p) }); err != nil {
				return err
			}
			progress[object] = p
		}
	}
	// Matching without settings would use default keys and account sync
	// off, and leave companies unmatched for good: wait for them. Saving
	// them restarts matching (SettingsSaved).
	if _, err := e.store.GetSettings(ctx, conn.ID); errors.Is(err, store.ErrNotFound) {
		for _, object := range []string{InitialContacts, InitialCompanies} {
			p := progress[object]
			if p.State == StateDone {
				continue
			}
			p.State, p.Message = StatePaused, waitingForSettings
			if err := e.putProgress(ctx, p); err != nil {
				return err
			}
		}
		return nil
	} else if err != nil {
		return err
	}
	base, err := e.newBatch(ctx, conn, settings.LaneBackfill, connection.PurposeBackfill)
	if err != nil {
		return err
	}
	ctx = purposeCtx(ctx, connection.PurposeBackfill)
	for _, object := range []string{InitialContacts, InitialCompanies} {
		p := progress[object]
		if p.State == StateDone {
			continue
		}
		if object == InitialCompanies && base.c.companyField() == "" {
			now := e.now()
			p.State, p.FinishedAt, p.Message = StateDone, &now, "account sync is off"
			if err := e.putProgress(ctx, p); err != nil {
				return err
			}
			continue
		}
		if err := e.initialObject(ctx, base, p); err != nil {
			return err
		}
	}
	return nil
}

// putProgress stores p if its run is still the current one, else reports
// errMatchingRestarted.
func (e *Engine) putProgress(ctx context.Context, p store.InitialSync) error {
	var ok bool
	if err := e.store.InTx(ctx, func(tx store.Tx) (err error) {
		ok, err = tx.PutInitialSyncProgress(ctx, p)
		return err
	}); err != nil {
		return err
	}
	if !ok {
		return errMatchingRestarted
	}
	return nil
}

// initialObject runs the initial sync of contacts or companies from p's
// position. Intercom's list cursors are opaque to the client, so resuming
// skips the records already processed (Intercom calls only; no Salesforce
// call is spent on them).
func (e *Engine) initialObject(ctx context.Context, base *batch, p store.InitialSync) error {
	company := p.Object == InitialCompanies
	var chunk []icRecord
	skip := p.Processed
	var total atomic.Int64 // the listing's total_count, from the page fetches
	step := func() error {
		if len(chunk) == 0 {
			return nil
		}
		if t := total.Load(); t > 0 {
			p.Total = t
		}
		b := base.fresh()
		n := len(chunk)
		err := b.initialStep(ctx, chunk, company)
		chunk = chunk[:0]
		if err != nil {
			return err
		}
		if berr := b.err(); berr != nil {
			q := p
			q.State = StatePaused
			q.Message = berr.Error()
			b.ops.initial = &q
			if cerr := b.commit(ctx); cerr != nil {
				return errors.Join(berr, cerr)
			}
			return berr
		}
		p.Processed += int64(n)
		for _, m := range b.ops.upserts {
			if m.IntercomID != "" {
				p.Matched++
			}
		}
		p.Ambiguous += int64(len(b.ops.reviews))
		p.State, p.Message = StateRunning, ""
		q := p
		b.ops.initial = &q
		if err := b.commit(ctx); err != nil {
			return err
		}
		if b.superseded {
			return errMatchingRestarted
		}
		return nil
	}
	add := func(r icRecord) error {
		if skip > 0 {
			skip--
			return nil
		}
		chunk = append(chunk, r)
		if len(chunk) == initialPage {
			return step()
		}
		return nil
	}
	// Intercom counts the whole listing on every page (total_count): the
	// progress is then a share of records, saved with each step. The next
	// page is fetched while a step matches and enriches this one; the
	// total arrives from that fetch.
	opts := intercom.ListOptions{PerPage: initialPage, Prefetch: true, Total: func(n int) {
		if n > 0 {
			total.Store(int64(n))
		}
	}}
	if company {
		for c, err := range base.ic.ListCompanies(ctx, opts) {
			if err != nil {
				return fmt.Errorf("engine: list Intercom companies: %w", err)
			}
			if err := add(companyRecord(&c, nil)); err != nil {
				return err
			}
		}
	} else {
		for c, err := range base.ic.ListContacts(ctx, opts) {
			if err != nil {
				return fmt.Errorf("engine: list Intercom contacts: %w", err)
			}
			if err := add(contactRecord(&c, nil)); err != nil {
				return err
			}
		}
	}
	if err := step(); err != nil {
		return err
	}
	now := e.now()
	p.State, p.FinishedAt, p.Message = StateDone, &now, ""
	e.log.InfoContext(ctx, "initial sync done", "connection", p.ConnectionID, "object", p.Object,
		"processed", p.Processed, "matched", p.Matched, "ambiguous", p.Ambiguous)
	return e.putProgress(ctx, p)
}

// initialStep matches one page of Intercom records that have no mapping yet.
func (b *batch) initialStep(ctx context.Context, recs []icRecord, company bool) error {
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	mappings, err := b.e.store.ListMappingsByIntercomIDs(ctx, b.conn.ID, ids)
	if err != nil {
		return err
	}
	changes := map[string]*icChange{}
	for _, r := range recs {
		if _, mapped := mappings[r.ID]; mapped {
			continue
		}
		changes[r.ID] = &icChange{kind: sync.Created, rec: r}
	}
	if err := b.applyChanges(ctx, changes, mappings, company); err != nil {
		return b.stop(err)
	}
	return b.syncPairs(ctx)
}
