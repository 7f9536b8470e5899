package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/engine"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// DescribedObjects are the Salesforce objects settings are validated
// against; Case only checks the case form's fields (F6.4) and Task the
// Task Type (F6.1), and either may be missing for the connected user.
var DescribedObjects = []string{"Lead", "Contact", "Account", "Case", "Task"}

// SettingsView is a connection's settings document and its version. A
// connection that never saved settings shows the defaults at version 0.
type SettingsView struct {
	ConnectionID  int64           `json:"connection_id"`
	Version       int64           `json:"version"`
	UpdatedAt     *time.Time      `json:"updated_at,omitempty"`
	Settings      json.RawMessage `json:"settings"`
	SkippedChecks []string        `json:"skipped_checks,omitempty"`
	// Inactive names the sections that are accepted and shown but do
	// nothing yet, with a sentence saying so.
	Inactive []settings.Inactive `json:"inactive"`
	Document settings.Document   `json:"-"`
}

// SettingsRejected is why a settings document was not saved: every
// problem found (nothing was saved).
type SettingsRejected struct {
	// Malformed: the document could not be read at all.
	Malformed bool
	// Message sums the problems up.
	Message  string
	Problems []settings.Problem
	// SkippedChecks name the live-schema checks that could not run.
	SkippedChecks []string
}

func (e *SettingsRejected) Error() string { return e.Message }

// Settings returns a connection's settings.
func (a *App) Settings(ctx context.Context, connID int64) (SettingsView, error) {
	st, err := a.store.GetSettings(ctx, connID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		doc := settings.Default()
		raw, err := json.Marshal(doc)
		if err != nil {
			return SettingsView{}, err
		}
		return SettingsView{ConnectionID: connID, Settings: raw, Document: doc, Inactive: settings.InactiveSections()}, nil
	case err != nil:
		return SettingsView{}, err
	}
	doc, err := settings.Parse(st.Doc)
	if err != nil {
		return SettingsView{}, fmt.Errorf("settings of connection %d: %w", connID, err)
	}
	t := st.UpdatedAt.UTC()
	return SettingsView{ConnectionID: connID, Version: st.Version, UpdatedAt: &t, Settings: st.Doc, Document: doc,
		Inactive: settings.InactiveSections()}, nil
}

// SaveSettings parses raw, checks it and validates it against the live
// Salesforce describe and Intercom data attributes, then saves it if the
// stored version is still version (-1: whatever is stored). Any problem
// rejects it whole with a *SettingsRejected listing every problem, and
// nothing is saved. A side that is not connected is skipped and named in
// SkippedChecks.
func (a *App) SaveSettings(ctx context.Context, connID int64, raw []byte, version int64) (SettingsView, error) {
	doc, err := settings.Parse(raw)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "settings: ")
		return SettingsView{}, &SettingsRejected{Malformed: true, Message: "the settings document cannot be read: " + msg,
			Problems: []settings.Problem{parseProblem(msg)}}
	}
	problems := settings.Check(doc)
	var skipped []string
	if len(problems) == 0 {
		var cat settings.Catalog
		cat, skipped, err = a.Catalog(ctx, connID)
		if err != nil {
			a.log.WarnContext(ctx, "settings: live schema unavailable", "connection", connID, "error", err)
			return SettingsView{}, errorf(Unavailable, "cannot read the live schema to validate the settings (nothing was saved): %v", err)
		}
		if len(skipped) == 0 {
			problems = settings.Validate(doc, cat)
		}
	}
	if len(problems) > 0 {
		return SettingsView{}, &SettingsRejected{
			Message:  fmt.Sprintf("the settings document has %d problem(s); nothing was saved", len(problems)),
			Problems: problems, SkippedChecks: skipped,
		}
	}
	stored, err := json.Marshal(doc)
	if err != nil {
		return SettingsView{}, err
	}
	var saved store.Settings
	err = a.store.InTx(ctx, func(tx store.Tx) error {
		var before *settings.Document
		cur, err := tx.GetSettings(ctx, connID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			cur.Version = 0
		case err != nil:
			return err
		default:
			if prev, err := settings.Parse(cur.Doc); err == nil {
				before = &prev // unreadable ones count as none: match again
			}
		}
		expect := version
		if expect < 0 {
			// No version given: replace whatever is there (the CLI's
			// `settings set FILE`).
			expect = cur.Version
		}
		if saved, err = tx.PutSettings(ctx, connID, stored, expect); err != nil {
			return err
		}
		// Records left unmatched without settings, or under another key,
		// are matched again.
		return engine.SettingsSaved(ctx, tx, connID, before, doc, saved.UpdatedAt)
	})
	if errors.Is(err, store.ErrVersionConflict) {
		return SettingsView{}, errorf(Conflict, "the settings changed since version %d; load them again, reapply your edit and save with the new version", version)
	}
	if err != nil {
		return SettingsView{}, err
	}
	a.log.InfoContext(ctx, "settings saved", "connection", connID, "version", saved.Version, "mappings", len(doc.Mappings),
		"skipped_checks", skipped)
	t := saved.UpdatedAt.UTC()
	return SettingsView{ConnectionID: connID, Version: saved.Version, UpdatedAt: &t, Settings: stored,
		SkippedChecks: skipped, Document: doc, Inactive: settings.InactiveSections()}, nil
}

// parseProblem turns a parse error into a problem, pulling out the field
// path ("mappings[0]: unknown field …", or the unknown top-level field
// itself) where the error names one rather than a line and column.
func parseProblem(msg string) settings.Problem {
	if p, rest, ok := strings.Cut(msg, ": "); ok && p != "" && !strings.ContainsAny(p, " ") {
		return settings.Problem{Path: p, Message: rest}
	}
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		if unq, err := strconv.Unquote(name); err == nil {
			return settings.Problem{Path: unq, Message: msg}
		}
	}
	return settings.Problem{Message: msg}
}

// Catalog reads the live schema of a connection: the Salesforce describe
// of the mapped objects and the Intercom contact and company data
// attributes. A side without credentials, or whose connection is broken,
// is skipped and named in skipped.
func (a *App) Catalog(ctx context.Context, connID int64) (cat settings.Catalog, skipped []string, err error) {
	ctx = connection.WithPurpose(ctx, connection.PurposeSetup)
	cat = settings.Catalog{Salesforce: map[string][]sync.SFField{}, Intercom: map[string][]sync.ICAttribute{}}

	sf, err := a.manager.Salesforce(ctx, connID)
	switch {
	case errors.Is(err, connection.ErrNotConnected):
		skipped = append(skipped, "salesforce_schema: Salesforce is not connected; fields were not checked against its describe")
	case err != nil:
		return cat, nil, err
	default:
		fields, err := connection.DescribeSalesforce(ctx, sf, DescribedObjects, "Case", "Task")
		if cause := connection.SalesforceCause(err); cause != "" {
			skipped = append(skipped, "salesforce_schema: Salesforce is disconnected ("+cause+"); fields were not checked")
		} else if err != nil {
			return cat, nil, err
		}
		cat.Salesforce = fields
	}

	ic, err := a.manager.Intercom(ctx, connID)
	switch {
	case errors.Is(err, connection.ErrNotConnected):
		skipped = append(skipped, "intercom_schema: Intercom is not connected; attributes were not checked against its data attributes")
	case err != nil:
		return cat, nil, err
	default:
		attrs, _, err := connection.ListIntercomAttributes(ctx, ic)
		if err != nil && intercom.IsUnauthorized(err) {
			skipped = append(skipped, "intercom_schema: Intercom refused ferry's token; attributes were not checked")
		} else if err != nil {
			return cat, nil, err
		}
		cat.Intercom = attrs
	}
	return cat, skipped, nil
}
