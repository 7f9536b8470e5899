package salesforce

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// saveResult is the body of a create or upsert.
type saveResult struct {
	ID      string   `json:"id"`
	Errors  []string `json:"errors"`
	Success bool     `json:"success"`
	Created *bool    `json:"created,omitempty"`
}

func apiVersion(r *http.Request) string { return r.PathValue("version") }

func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	var id string
	err := s.withTable(r, true, func(tx *txn, t *table) error {
		var err error
		id, err = tx.create(t, body, modeAPI)
		return err
	})
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Location", "/services/data/"+apiVersion(r)+"/sobjects/"+s.canonicalName(r.PathValue("object"))+"/"+id)
	writeJSON(w, http.StatusCreated, saveResult{ID: id, Errors: []string{}, Success: true})
}

func (s *Server) canonicalName(obj string) string {
	if o := s.schema.object(obj); o != nil {
		return o.Name
	}
	return obj
}

// handlePostID is POST …/sobjects/{object}/{id}: only "Id" (create, API ≥37)
// is meaningful; ?_HttpMethod has already been applied.
func (s *Server) handlePostID(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("id") == "Id" {
		s.handleCreate(w, r)
		return
	}
	writeJSON(w, http.StatusMethodNotAllowed, []restError{{ErrorCode: "METHOD_NOT_ALLOWED", Message: "HTTP Method 'POST' not allowed. Allowed are GET,PATCH,DELETE"}})
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	var out []byte
	err := s.withRecord(r, false, func(tx *txn, t *table, rec *record) error {
		fields, err := requestedFields(t.obj, r.URL.Query().Get("fields"))
		if err != nil {
			return err
		}
		out = renderRecord(nil, t.obj, rec, fields, apiVersion(r))
		return nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeRaw(w, http.StatusOK, out)
}

// requestedFields parses ?fields=A,B; empty means every visible field.
func requestedFields(o *objectDef, list string) ([]*fieldDef, error) {
	if strings.TrimSpace(list) == "" {
		return visibleFields(o), nil
	}
	var out []*fieldDef
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		f := o.visibleField(name)
		if f == nil {
			return nil, errBadRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, o.Name))
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	var since time.Time
	if h := r.Header.Get("If-Unmodified-Since"); h != "" {
		t, err := http.ParseTime(h)
		if err != nil {
			writeError(w, errBadRequest("INVALID_HEADER_TYPE", "Invalid If-Unmodified-Since header: "+h))
			return
		}
		since = t.UTC()
	}
	err := s.withRecord(r, true, func(tx *txn, t *table, rec *record) error {
		// The condition is checked in the write's own transaction: a
		// change made meanwhile cannot slip in between.
		if !since.IsZero() {
			if last, err := parseTime(fmt.Sprint(rec.f["LastModifiedDate"])); err == nil && last.After(since) {
				return errPreconditionFailed
			}
		}
		return tx.update(t, rec, body, modeAPI)
	})
	if errors.Is(err, errPreconditionFailed) {
		// Modified since the given time: nothing is written.
		w.WriteHeader(http.StatusPreconditionFailed)
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// errPreconditionFailed: a conditional update found the record modified
// after its If-Unmodified-Since time.
var errPreconditionFailed = errors.New("precondition failed")

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	err := s.withRecord(r, true, func(tx *txn, t *table, rec *record) error {
		return tx.deleteAPI(t, rec)
	})
	if err != nil {
		writeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteAPI deletes as the API user, refusing converted leads.
func (tx *txn) deleteAPI(t *table, rec *record) error {
	if t.obj.Name == "Lead" && rec.f["IsConverted"] == true {
		return errBadRequest("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
	}
	tx.removeCascade(t, rec)
	return nil
}

// cascades lists, per parent object, the children Salesforce deletes with it.
var cascades = map[string][]struct{ child, field string }{
	"Account":     {{"Contact", "AccountId"}, {"Opportunity", "AccountId"}, {"Case", "AccountId"}, {"Task", "WhatId"}},
	"Contact":     {{"OpportunityContactRole", "ContactId"}, {"Task", "WhoId"}},
	"Lead":        {{"Task", "WhoId"}},
	"Opportunity": {{"OpportunityContactRole", "OpportunityId"}, {"Task", "WhatId"}},
	"Case":        {{"Task", "WhatId"}},
}

// removeCascade deletes a record and, as Salesforce does, the child records
// that cannot exist without it.
func (tx *txn) removeCascade(t *table, rec *record) {
	tx.remove(t, rec)
	for _, c := range cascades[t.obj.Name] {
		ct := tx.s.tables[strings.ToLower(c.child)]
		for _, child := range ct.order {
			if !child.deleted && child.f[c.field] == rec.id {
				tx.removeCascade(ct, child)
			}
		}
	}
}

// externalField resolves {field} of an upsert or external-id path.
func externalField(o *objectDef, name string) (*fieldDef, error) {
	f := o.visibleField(name)
	if f == nil || !(f.ExternalID || f.Name == "Id") {
		return nil, errNotFound()
	}
	return f, nil
}

// matches returns the live records whose field equals value.
func (t *table) matches(f *fieldDef, value string) []*record {
	if f.Name == "Id" {
		id, ok := normalizeID(value)
		if !ok {
			return nil
		}
		if r := t.byID[id]; r != nil && !r.deleted {
			return []*record{r}
		}
		return nil
	}
	recs, ok := t.lookup(f.Name, value)
	if !ok {
		for _, r := range t.order {
			if k, ok := indexKey(r.f[f.Name]); ok && k == strings.ToLower(value) {
				recs = append(recs, r)
			}
		}
	}
	var out []*record
	for _, r := range recs {
		if !r.deleted {
			out = append(out, r)
		}
	}
	return out
}

func recordURLs(o *objectDef, recs []*record, version string) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = "/services/data/" + version + "/sobjects/" + o.Name + "/" + r.id
	}
	return out
}

// upsertResult is what one upsert did.
type upsertResult struct {
	id      string
	created bool
	multi   []string // record URLs when several records matched
}

// upsert creates or updates by an external id.
func (tx *txn) upsert(t *table, f *fieldDef, value string, body map[string]any, updateOnly bool, version string) (upsertResult, error) {
	recs := t.matches(f, value)
	switch len(recs) {
	case 0:
		if updateOnly || f.Name == "Id" {
			return upsertResult{}, errNotFound()
		}
		in := make(map[string]any, len(body)+1)
		for k, v := range body {
			if !strings.EqualFold(k, f.Name) {
				in[k] = v
			}
		}
		in[f.Name] = value
		id, err := tx.create(t, in, modeAPI)
		return upsertResult{id: id, created: true}, err
	case 1:
		in := make(map[string]any, len(body))
		for k, v := range body {
			if !strings.EqualFold(k, f.Name) || f.Name == "Id" {
				in[k] = v
			}
		}
		return upsertResult{id: recs[0].id}, tx.update(t, recs[0], in, modeAPI)
	default:
		return upsertResult{multi: recordURLs(t.obj, recs, version)}, nil
	}
}

func (s *Server) handleUpsert(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := decodeBody(r, &body); err != nil {
		writeError(w, err)
		return
	}
	var res upsertResult
	err := s.withTable(r, true, func(tx *txn, t *table) error {
		f, err := externalField(t.obj, r.PathValue("field"))
		if err != nil {
			return err
		}
		res, err = tx.upsert(t, f, r.PathValue("value"), body, r.URL.Query().Get("updateOnly") == "true", apiVersion(r))
		return err
	})
	if err != nil {
		writeError(w, err)
		return
	}
	switch {
	case res.multi != nil:
		writeJSON(w, http.StatusMultipleChoices, res.multi)
	case res.created:
		created := true
		w.Header().Set("Location", "/services/data/"+apiVersion(r)+"/sobjects/"+s.canonicalName(r.PathValue("object"))+"/"+res.id)
		writeJSON(w, http.StatusCreated, saveResult{ID: res.id, Errors: []string{}, Success: true, Created: &created})
	default:
		created := false
		writeJSON(w, http.StatusOK, saveResult{ID: res.id, Errors: []string{}, Success: true, Created: &created})
	}
}

// serveExternal runs fn on the live record an external-id path
// ({object}/{field}/{value}) names and then calls done. No match is 404;
// several answer 300 with their URLs, as Salesforce does.
func (s *Server) serveExternal(w http.ResponseWriter, r *http.Request, write bool, fn func(tx *txn, t *table, rec *record) error, done func()) {
	var multi []string
	err := s.withTable(r, write, func(tx *txn, t *table) error {
		f, err := externalField(t.obj, r.PathValue("field"))
		if err != nil {
			return err
		}
		switch recs := t.matches(f, r.PathValue("value")); len(recs) {
		case 0:
			return errNotFound()
		case 1:
			return fn(tx, t, recs[0])
		default:
			multi = recordURLs(t.obj, recs, apiVersion(r))
			return nil
		}
	})
	switch {
	case err != nil:
		writeError(w, err)
	case multi != nil:
		writeJSON(w, http.StatusMultipleChoices, multi)
	default:
		done()
	}
}

func (s *Server) handleGetByExternalID(w http.ResponseWriter, r *http.Request) {
	var out []byte
	s.serveExternal(w, r, false, func(tx *txn, t *table, rec *record) error {
		fields, err := requestedFields(t.obj, r.URL.Query().Get("fields"))
		if err != nil {
			return err
		}
		out = renderRecord(nil, t.obj, rec, fields, apiVersion(r))
		return nil
	}, func() { writeRaw(w, http.StatusOK, out) })
}

func (s *Server) handleDeleteByExternalID(w http.ResponseWriter, r *http.Request) {
	s.serveExternal(w, r, true, func(tx *txn, t *table, rec *record) error {
		return tx.deleteAPI(t, rec)
	}, func() { w.WriteHeader(http.StatusNoContent) })
}

// replicationWindow parses start/end of the updated and deleted resources.
func replicationWindow(r *http.Request, now time.Time, maxDays int) (time.Time, time.Time, error) {
	q := r.URL.Query()
	parse := func(name string) (time.Time, error) {
		v := strings.ReplaceAll(q.Get(name), " ", "+") // an unencoded '+' arrives as a space
		if v == "" {
			return time.Time{}, errBadRequest("INVALID_REPLICATION_DATE", fmt.Sprintf("Missing required parameter: %s", name))
		}
		t, err := parseTime(v)
		if err != nil {
			return time.Time{}, errBadRequest("INVALID_REPLICATION_DATE", fmt.Sprintf("Invalid date format for parameter %s: %s", name, v))
		}
		return t, nil
	}
	start, err := parse("start")
	if err != nil {
		return start, start, err
	}
	end, err := parse("end")
	if err != nil {
		return start, end, err
	}
	if !end.After(start) {
		return start, end, errBadRequest("INVALID_REPLICATION_DATE", "EndDate must chronologically follow the StartDate")
	}
	if start.Before(now.Add(-time.Duration(maxDays) * 24 * time.Hour)) {
		return start, end, errBadRequest("INVALID_REPLICATION_DATE", fmt.Sprintf("startDate cannot be more than %d days ago", maxDays))
	}
	return start, end, nil
}

func (s *Server) handleUpdated(w http.ResponseWriter, r *http.Request) {
	type updated struct {
		IDs               []string `json:"ids"`
		LatestDateCovered string   `json:"latestDateCovered"`
	}
	var out updated
	err := s.withTable(r, false, func(tx *txn, t *table) error {
		start, end, err := replicationWindow(r, s.now(), 30)
		if err != nil {
			return err
		}
		lo, hi := fmtTime(start), fmtTime(end)
		out.IDs = []string{}
		for _, rec := range t.order {
			if rec.deleted {
				continue
			}
			if m, _ := rec.f["SystemModstamp"].(string); m >= lo && m <= hi {
				out.IDs = append(out.IDs, rec.id)
			}
		}
		out.LatestDateCovered = hi
		return nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleDeleted(w http.ResponseWriter, r *http.Request) {
	type deletedRecord struct {
		ID          string `json:"id"`
		DeletedDate string `json:"deletedDate"`
	}
	type deleted struct {
		DeletedRecords        []deletedRecord `json:"deletedRecords"`
		EarliestDateAvailable string          `json:"earliestDateAvailable"`
		LatestDateCovered     string          `json:"latestDateCovered"`
	}
	var out deleted
	err := s.withTable(r, false, func(tx *txn, t *table) error {
		start, end, err := replicationWindow(r, s.now(), 15)
		if err != nil {
			return err
		}
		out.DeletedRecords = []deletedRecord{}
		earliest := end
		for _, rec := range t.order {
			if !rec.deleted {
				continue
			}
			if rec.delAt.Before(earliest) {
				earliest = rec.delAt
			}
			if !rec.delAt.Before(start) && !rec.delAt.After(end) {
				out.DeletedRecords = append(out.DeletedRecords, deletedRecord{ID: rec.id, DeletedDate: fmtTime(rec.delAt)})
			}
		}
		out.EarliestDateAvailable = fmtTime(earliest)
		out.LatestDateCovered = fmtTime(end)
		return nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
