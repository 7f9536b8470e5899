package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/connection"
	"github.com/ferrysync/ferry/internal/intercom"
	"github.com/ferrysync/ferry/internal/salesforce"
	"github.com/ferrysync/ferry/internal/settings"
	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/sync"
)

// describedObjects are the Salesforce objects settings are validated
// against; Case only checks the case form's fields (F6.4).
var describedObjects = []string{"Lead", "Contact", "Account", "Case"}

// settingsView is the answer of GET and PUT /api/v1/settings.
type settingsView struct {
	ConnectionID  int64           `json:"connection_id"`
	Version       int64           `json:"version"`
	UpdatedAt     *time.Time      `json:"updated_at,omitempty"`
	Settings      json.RawMessage `json:"settings"`
	SkippedChecks []string        `json:"skipped_checks,omitempty"`
}

// getSettings is GET /api/v1/settings[?connection=ID]. A connection that
// never saved settings shows the defaults at version 0.
func (s *Server) getSettings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	st, err := s.store.GetSettings(ctx, conn.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		doc, err := json.Marshal(settings.Default())
		if err != nil {
			s.writeFailure(w, r, err)
			return
		}
		w.Header().Set("ETag", etag(0))
		writeJSON(w, http.StatusOK, settingsView{ConnectionID: conn.ID, Settings: doc})
	case err != nil:
		s.writeFailure(w, r, err)
	default:
		t := st.UpdatedAt.UTC()
		w.Header().Set("ETag", etag(st.Version))
		writeJSON(w, http.StatusOK, settingsView{ConnectionID: conn.ID, Version: st.Version, UpdatedAt: &t, Settings: st.Doc})
	}
}

func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// putSettings is PUT /api/v1/settings[?connection=ID]. The body is the
// settings document, or {"version": N, "settings": {…}}; the version may
// also come as If-Match. The document is parsed, checked and validated
// against the live Salesforce describe and Intercom data attributes; any
// problem rejects it whole (422, every problem listed) and nothing is
// saved. A side that is not connected is skipped and named in
// skipped_checks.
func (s *Server) putSettings(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	conn, err := s.connectionParam(r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	raw, bodyVersion, err := unwrapSettings(body)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	version, err := expectedVersion(r.Header.Get("If-Match"), bodyVersion)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	doc, err := settings.Parse(raw)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "settings: ")
		writeJSON(w, http.StatusBadRequest, problemsBody{
			Error:    apiError{Code: "malformed_settings", Message: "the settings document cannot be read: " + msg},
			Problems: []settings.Problem{parseProblem(msg)},
		})
		return
	}
	problems := settings.Check(doc)
	var skipped []string
	if len(problems) == 0 {
		var cat settings.Catalog
		cat, skipped, err = s.catalog(ctx, conn.ID)
		if err != nil {
			s.log.WarnContext(ctx, "settings: live schema unavailable", "connection", conn.ID, "error", err)
			writeError(w, http.StatusBadGateway, "schema_unavailable",
				"cannot read the live schema to validate the settings (nothing was saved): "+err.Error())
			return
		}
		if len(skipped) == 0 {
			problems = settings.Validate(doc, cat)
		}
	}
	if len(problems) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, problemsBody{
			Error: apiError{Code: "invalid_settings",
				Message: fmt.Sprintf("the settings document has %d problem(s); nothing was saved", len(problems))},
			Problems:      problems,
			SkippedChecks: skipped,
		})
		return
	}
	stored, err := json.Marshal(doc)
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	var saved store.Settings
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		expect := version
		if expect < 0 {
			// No version given: replace whatever is there (the CLI's
			// `settings set FILE`).
			cur, err := tx.GetSettings(ctx, conn.ID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				expect = 0
			case err != nil:
				return err
			default:
				expect = cur.Version
			}
		}
		saved, err = tx.PutSettings(ctx, conn.ID, stored, expect)
		return err
	})
	if errors.Is(err, store.ErrVersionConflict) {
		s.writeFailure(w, r, conflict("the settings changed since version %d; GET them again, reapply your edit and PUT with the new version", version))
		return
	}
	if err != nil {
		s.writeFailure(w, r, err)
		return
	}
	s.log.InfoContext(ctx, "settings saved", "connection", conn.ID, "version", saved.Version, "mappings", len(doc.Mappings),
		"skipped_checks", skipped)
	t := saved.UpdatedAt.UTC()
	w.Header().Set("ETag", etag(saved.Version))
	writeJSON(w, http.StatusOK, settingsView{ConnectionID: conn.ID, Version: saved.Version, UpdatedAt: &t,
		Settings: stored, SkippedChecks: skipped})
}

// unwrapSettings accepts the bare document or {"version": N, "settings":
// {…}}; a document has no "settings" key, so the two cannot be confused.
// bodyVersion is -1 when the body gives none.
func unwrapSettings(body []byte) (doc []byte, bodyVersion int64, err error) {
	var keys map[string]json.RawMessage
	if json.Unmarshal(body, &keys) != nil {
		return body, -1, nil // Parse reports what is wrong, with its position
	}
	inner, ok := keys["settings"]
	if !ok {
		return body, -1, nil
	}
	for k := range keys {
		if k != "settings" && k != "version" {
			return nil, 0, badRequest("unknown field %q next to settings; send {\"version\": N, \"settings\": {…}} or the bare document", k)
		}
	}
	bodyVersion = -1
	if v, ok := keys["version"]; ok {
		if err := json.Unmarshal(v, &bodyVersion); err != nil || bodyVersion < 0 {
			return nil, 0, badRequest("version must be a non-negative integer")
		}
	}
	return inner, bodyVersion, nil
}

// expectedVersion reconciles If-Match with the body's version; -1 means
// neither was given.
func expectedVersion(ifMatch string, bodyVersion int64) (int64, error) {
	ifMatch = strings.TrimSpace(ifMatch)
	if ifMatch == "" || ifMatch == "*" {
		return bodyVersion, nil
	}
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(ifMatch, "W/"), `"`), 10, 64)
	if err != nil || v < 0 {
		return 0, badRequest("If-Match %q is not a settings version such as \"3\"", ifMatch)
	}
	if bodyVersion >= 0 && bodyVersion != v {
		return 0, badRequest("If-Match (%d) and version (%d) disagree", v, bodyVersion)
	}
	return v, nil
}

// problemsBody is the answer to a rejected settings document: the error
// and every problem found.
type problemsBody struct {
	Error         apiError           `json:"error"`
	Problems      []settings.Problem `json:"problems"`
	SkippedChecks []string           `json:"skipped_checks,omitempty"`
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

// catalog reads the live schema of a connection: the Salesforce describe
// of the mapped objects and the Intercom contact and company data
// attributes. A side without credentials, or whose connection is broken,
// is skipped and named in skipped.
func (s *Server) catalog(ctx context.Context, connID int64) (cat settings.Catalog, skipped []string, err error) {
	ctx = connection.WithPurpose(ctx, connection.PurposeSetup)
	cat = settings.Catalog{Salesforce: map[string][]sync.SFField{}, Intercom: map[string][]sync.ICAttribute{}}

	sf, err := s.manager.Salesforce(ctx, connID)
	switch {
	case errors.Is(err, connection.ErrNotConnected):
		skipped = append(skipped, "salesforce_schema: Salesforce is not connected; fields were not checked against its describe")
	case err != nil:
		return cat, nil, err
	default:
		for _, obj := range describedObjects {
			// Validate against the schema as it is now, not as cached:
			// the admin may just have added the field being mapped.
			sf.InvalidateDescribe(obj)
			d, err := sf.Describe(ctx, obj)
			if err != nil {
				if cause := connection.SalesforceCause(err); cause != "" {
					skipped = append(skipped, "salesforce_schema: Salesforce is disconnected ("+cause+"); fields were not checked")
					break
				}
				if obj == "Case" && errors.Is(err, salesforce.ErrNotFound) {
					continue // no Case object for this user: nothing to check
				}
				return cat, nil, fmt.Errorf("salesforce describe %s: %w", obj, err)
			}
			cat.Salesforce[obj] = connection.SalesforceFields(d)
		}
	}

	ic, err := s.manager.Intercom(ctx, connID)
	switch {
	case errors.Is(err, connection.ErrNotConnected):
		skipped = append(skipped, "intercom_schema: Intercom is not connected; attributes were not checked against its data attributes")
	case err != nil:
		return cat, nil, err
	default:
		for _, model := range []string{"contact", "company"} {
			attrs, err := ic.ListDataAttributes(ctx, model, false)
			if err != nil {
				if intercom.IsUnauthorized(err) {
					skipped = append(skipped, "intercom_schema: Intercom refused ferry's token; attributes were not checked")
					break
				}
				return cat, nil, fmt.Errorf("intercom data attributes (%s): %w", model, err)
			}
			cat.Intercom[model] = connection.IntercomAttributes(attrs)
		}
	}
	return cat, skipped, nil
}
