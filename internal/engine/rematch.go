package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/ferrysync/ferry/internal/jobs"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
)

// errMatchingRestarted stops a run of the initial sync that a newer run
// (RestartMatching) superseded; the newer run's own job carries on.
var errMatchingRestarted = errors.New("engine: matching restarted")

// waitingForSettings is the initial sync's message while no settings exist.
const waitingForSettings = "waiting for the settings: matching starts when they are saved"

// RestartMatching matches again, in tx, the records of objects
// (InitialContacts, InitialCompanies) that have no mapping: a new run of the
// initial sync starts, in which those objects' progress starts over (the
// others' carries on), with its own job. A run under way stops at its next
// step and leaves the rest to the new one; records already mapped are
// skipped without a Salesforce call.
func RestartMatching(ctx context.Context, tx store.Tx, connID int64, objects []string, now time.Time) error {
	if len(objects) == 0 {
		return nil
	}
	rows, err := tx.ListInitialSyncs(ctx, connID)
	if err != nil {
		return err
	}
	last := 0
	have := map[string]store.InitialSync{}
	for _, r := range rows {
		n, _ := strconv.Atoi(r.Cursor)
		last = max(last, n)
		have[r.Object] = r
	}
	run := strconv.Itoa(last + 1)
	for _, object := range []string{InitialContacts, InitialCompanies} {
		p, ok := have[object]
		if !ok || slices.Contains(objects, object) {
			p = store.InitialSync{ConnectionID: connID, Object: object, State: StateRunning, StartedAt: now}
		}
		p.Cursor = run
		if err := tx.PutInitialSync(ctx, p); err != nil {
			return err
		}
	}
	if _, err := tx.Enqueue(ctx, jobs.InitialSyncArgs{ConnectionID: connID, Run: run}, jobs.InitialSyncInsertOpts()); err != nil {
		return fmt.Errorf("engine: enqueue matching: %w", err)
	}
	return nil
}

// SettingsSaved re-runs matching, in the transaction that saves the
// settings, when they change what matching needs (settings.RematchAfter):
// the first settings of a connection whose initial sync ran (or waited)
// without them, another person key, account sync turned on. before is nil
// when none were saved yet. A connection never connected has no initial
// sync yet; connecting starts it with the saved settings.
func SettingsSaved(ctx context.Context, tx store.Tx, connID int64, before *settings.Document, after settings.Document, now time.Time) error {
	rm := settings.RematchAfter(before, after)
	if !rm.Any() {
		return nil
	}
	rows, err := tx.ListInitialSyncs(ctx, connID)
	if err != nil || len(rows) == 0 {
		return err
	}
	var objects []string
	if rm.People {
		objects = append(objects, InitialContacts)
	}
	if rm.Companies {
		objects = append(objects, InitialCompanies)
	}
	return RestartMatching(ctx, tx, connID, objects, now)
}
