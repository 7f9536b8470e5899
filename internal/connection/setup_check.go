package connection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/setupcheck"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// Kept changes: a change to a mapped attribute whose Salesforce field is
// missing (hidden or deleted) is kept as an open sync error of this
// operation and code, with a retry job; when the setup check finds the
// field back, the retries run at once and write the change.
const (
	OpKeptChange         = "kept_change"
	CodeFieldUnavailable = "FIELD_UNAVAILABLE"
)

// RunSetupCheck is the setup check's I/O (F1.4): it describes the objects
// ferry uses afresh, checks them against doc's needs ([setupcheck.Check]),
// and stores the result so the connection's state shows it. Lead and
// Contact must be describable; an object the user cannot see otherwise is
// a problem of the result, not an error. It returns the fields read, which
// the engine binds the settings to.
//
// When a mapped field that the last stored check had missing is back, the
// changes kept meanwhile are written: the object's poll is moved back to
// when the field went missing (Salesforce-side edits made meanwhile are read
// again) and the kept-change retries of that object run now.
func RunSetupCheck(ctx context.Context, st store.Store, sf *salesforce.Client, connID int64, doc settings.Document,
	now time.Time, log *slog.Logger) (map[string][]sync.SFField, setupcheck.Result, error) {
	return RunSetupCheckWithin(ctx, st, sf, connID, doc, now, 0, log)
}

// RunSetupCheckWithin is RunSetupCheck on describes the client read
// within maxAge (see DescribeSalesforceWithin): the engine's periodic
// schema refresh uses those its polls read.
func RunSetupCheckWithin(ctx context.Context, st store.Store, sf *salesforce.Client, connID int64, doc settings.Document,
	now time.Time, maxAge time.Duration, log *slog.Logger) (map[string][]sync.SFField, setupcheck.Result, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx = WithPurpose(ctx, PurposeSetup)
	var optional []string
	for _, o := range setupcheck.Objects {
		if o != "Lead" && o != "Contact" {
			optional = append(optional, o)
		}
	}
	fields, err := DescribeSalesforceWithin(ctx, sf, maxAge, setupcheck.Objects, optional...)
	if err != nil {
		return nil, setupcheck.Result{}, err
	}
	prev, err := LastSetupCheck(ctx, st, connID)
	if err != nil {
		return nil, setupcheck.Result{}, err
	}
	res := setupcheck.Check(setupcheck.Needs(doc), setupcheck.Schema(fields), prev, now)
	if doc.Stream() {
		// What the change stream found when it subscribed (F3.3).
		if cs, err := st.GetChangeStream(ctx, connID); err == nil {
			res.AddNoChangeEvents(cs.Missing, prev)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, setupcheck.Result{}, err
		}
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return nil, setupcheck.Result{}, fmt.Errorf("setup check: %w", err)
	}
	returned := res.Returned(prev)
	err = st.InTx(ctx, func(tx store.Tx) error {
		if err := tx.PutSetupCheck(ctx, store.SetupCheck{ConnectionID: connID, Result: raw, CheckedAt: res.CheckedAt}); err != nil {
			return err
		}
		for _, ref := range returned {
			object, field, _ := strings.Cut(ref, ".")
			if err := rewindPoll(ctx, tx, connID, object, prev.Since(object, field)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, setupcheck.Result{}, fmt.Errorf("setup check: %w", err)
	}
	if !setupcheck.SameProblems(prev, res) {
		if res.OK {
			log.InfoContext(ctx, "setup check passed", "connection", connID)
		}
		for _, p := range res.Problems {
			log.WarnContext(ctx, "setup check: "+p.Message, "connection", connID, "fix", p.Fix)
		}
	}
	if len(returned) > 0 {
		log.InfoContext(ctx, "mapped Salesforce fields are back; writing the changes kept meanwhile", "connection", connID, "fields", returned)
		if err := retryKept(ctx, st, connID, returned); err != nil {
			return nil, setupcheck.Result{}, err
		}
	}
	return fields, res, nil
}

// SetupCheck runs the setup check of a connection now, with its saved
// settings (on demand: the admin API, `ferry check`, the admin UI), and
// returns the result it stored. The engine notices a result with other
// problems and binds the settings again: a field back resumes its mapping.
func (m *Manager) SetupCheck(ctx context.Context, connID int64) (setupcheck.Result, error) {
	doc := settings.Default()
	st, err := m.opts.Store.GetSettings(ctx, connID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return setupcheck.Result{}, err
	default:
		if doc, err = settings.Parse(st.Doc); err != nil {
			return setupcheck.Result{}, fmt.Errorf("settings of connection %d: %w", connID, err)
		}
	}
	sf, err := m.Salesforce(ctx, connID)
	if err != nil {
		return setupcheck.Result{}, err
	}
	_, res, err := RunSetupCheck(ctx, m.opts.Store, sf, connID, doc, m.opts.Now(), m.opts.Logger)
	return res, err
}

// Feature says whether a feature can run on a connection and, if not, why
// in words, from the last stored setup check (no API call). Code that
// needs Salesforce fields (task or lead creation) asks before it starts
// instead of failing record by record:
//
//	if ok, why, err := mgr.Feature(ctx, connID, setupcheck.Tasks); err == nil && !ok { … show why … }
func (m *Manager) Feature(ctx context.Context, connID int64, f setupcheck.Feature) (available bool, reason string, err error) {
	res, err := LastSetupCheck(ctx, m.opts.Store, connID)
	if err != nil {
		return false, "", err
	}
	available, reason = res.Feature(f)
	return available, reason, nil
}

// LastSetupCheck returns the connection's last stored setup check, or the
// zero result (no known problem) before the first.
func LastSetupCheck(ctx context.Context, st store.Reader, connID int64) (setupcheck.Result, error) {
	row, err := st.GetSetupCheck(ctx, connID)
	if errors.Is(err, store.ErrNotFound) {
		return setupcheck.Result{}, nil
	}
	if err != nil {
		return setupcheck.Result{}, err
	}
	var res setupcheck.Result
	if err := json.Unmarshal(row.Result, &res); err != nil {
		return setupcheck.Result{}, fmt.Errorf("setup check of connection %d: %w", connID, err)
	}
	return res, nil
}

// rewindPoll moves an object's poll watermark back to since, so records
// edited in Salesforce while one of its fields was missing are read again
// with it.
func rewindPoll(ctx context.Context, tx store.Tx, connID int64, object string, since time.Time) error {
	wm, err := tx.GetWatermark(ctx, connID, object)
	if errors.Is(err, store.ErrNotFound) || since.IsZero() {
		return nil
	}
	if err != nil {
		return err
	}
	if !since.Before(wm.SystemModstamp) {
		return nil
	}
	wm.SystemModstamp, wm.LastID = since, ""
	return tx.PutWatermark(ctx, wm)
}

// retryKept runs now the retries of the changes kept for the returned
// fields' objects.
func retryKept(ctx context.Context, st store.Store, connID int64, returned []string) error {
	var objects []string
	for _, ref := range returned {
		o, _, _ := strings.Cut(ref, ".")
		if !slices.Contains(objects, o) {
			objects = append(objects, o)
		}
	}
	for _, o := range objects {
		for offset := 0; ; offset += 1000 {
			errs, _, err := st.ListSyncErrors(ctx, store.SyncErrorFilter{ConnectionID: connID, Object: o, Code: CodeFieldUnavailable,
				Limit: 1000, Offset: offset})
			if err != nil {
				return err
			}
			for _, se := range errs {
				if se.JobID == nil || se.Operation != OpKeptChange {
					continue
				}
				if _, err := st.RetryJob(ctx, *se.JobID); err != nil {
					return fmt.Errorf("retry kept change of %s: %w", se.RecordID, err)
				}
			}
			if len(errs) < 1000 {
				break
			}
		}
	}
	return nil
}
