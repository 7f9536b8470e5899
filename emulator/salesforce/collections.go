package salesforce

import (
	"fmt"
	"net/http"
	"strings"
)

// maxCollection is the record limit of one sObject Collections call.
const maxCollection = 200

// collResult is one record's outcome in an sObject Collections response.
type collResult struct {
	ID      string      `json:"id,omitempty"`
	Success bool        `json:"success"`
	Errors  []collError `json:"errors"`
	Created *bool       `json:"created,omitempty"`
}

type collRequest struct {
	AllOrNone bool             `json:"allOrNone"`
	Records   []map[string]any `json:"records"`
}

func errTooMany() error {
	return errBadRequest("EXCEEDED_ID_LIMIT", fmt.Sprintf("record limit reached. cannot submit more than %d records into this call", maxCollection))
}

// failed is a record's failure in a Collections response.
func failed(id string, err error) collResult {
	return collResult{ID: id, Success: false, Errors: asSFError(err).collBody()}
}

// saved is a record's success in a Collections response.
func saved(id string) collResult {
	return collResult{ID: id, Success: true, Errors: []collError{}}
}

// decodeCollection reads the body of a create, update or upsert call.
func decodeCollection(r *http.Request) (collRequest, error) {
	var req collRequest
	if err := decodeBody(r, &req); err != nil {
		return req, err
	}
	if len(req.Records) > maxCollection {
		return req, errTooMany()
	}
	return req, nil
}

// serveCollection applies op to each of n records inside one transaction
// and writes the results. With allOrNone, one failure rolls every record back.
func (s *Server) serveCollection(w http.ResponseWriter, r *http.Request, n int, allOrNone bool, op func(tx *txn, i int) collResult) {
	results := make([]collResult, n)
	err := s.withTxn(r.Context(), true, func(tx *txn) error {
		start := len(tx.undo)
		anyFailed := false
		for i := 0; i < n; i++ {
			mark := len(tx.undo)
			results[i] = op(tx, i)
			if !results[i].Success {
				tx.rollbackTo(mark)
				anyFailed = true
			}
		}
		if allOrNone && anyFailed {
			tx.rollbackTo(start)
			for i := range results {
				if results[i].Success {
					results[i] = collResult{Errors: []collError{{
						StatusCode: "ALL_OR_NONE_OPERATION_ROLLED_BACK", Fields: []string{},
						Message: "Record rolled back because not all records were valid and the request was using AllOrNone header",
					}}}
				}
			}
		}
		return nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, results)
}

func recordType(rec map[string]any) string {
	attrs, _ := rec["attributes"].(map[string]any)
	typ, _ := attrs["type"].(string)
	return typ
}

func recordID(rec map[string]any) (string, bool) {
	for k, v := range rec {
		if strings.EqualFold(k, "id") {
			id, _ := v.(string)
			return id, true
		}
	}
	return "", false
}

func withoutID(rec map[string]any) map[string]any {
	out := make(map[string]any, len(rec))
	for k, v := range rec {
		if !strings.EqualFold(k, "id") {
			out[k] = v
		}
	}
	return out
}

func (s *Server) handleCollectionCreate(w http.ResponseWriter, r *http.Request) {
	req, err := decodeCollection(r)
	if err != nil {
		writeError(w, err)
		return
	}
	s.serveCollection(w, r, len(req.Records), req.AllOrNone, func(tx *txn, i int) collResult {
		rec := req.Records[i]
		t, err := s.bodyTable(recordType(rec))
		if err != nil {
			return failed("", err)
		}
		if _, ok := recordID(rec); ok {
			return failed("", errBadRequest("INVALID_FIELD", "cannot specify Id in an insert call"))
		}
		id, err := tx.create(t, rec, modeAPI)
		if err != nil {
			return failed("", err)
		}
		return saved(id)
	})
}

func (s *Server) handleCollectionUpdate(w http.ResponseWriter, r *http.Request) {
	req, err := decodeCollection(r)
	if err != nil {
		writeError(w, err)
		return
	}
	s.serveCollection(w, r, len(req.Records), req.AllOrNone, func(tx *txn, i int) collResult {
		rec := req.Records[i]
		id, ok := recordID(rec)
		if !ok || id == "" {
			return failed("", errBadRequest("MISSING_ARGUMENT", "Id not specified in an update call"))
		}
		t, err := s.bodyTable(recordType(rec))
		if err != nil {
			return failed(id, err)
		}
		live, err := t.liveRecord(id)
		if err != nil {
			e := asSFError(err)
			if e.code == "NOT_FOUND" {
				err = errBadRequest("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
			}
			return failed(id, err)
		}
		if err := tx.update(t, live, withoutID(rec), modeAPI); err != nil {
			return failed(live.id, err)
		}
		return saved(live.id)
	})
}

func splitIDs(v string) []string {
	var out []string
	for _, id := range strings.Split(v, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

func (s *Server) handleCollectionDelete(w http.ResponseWriter, r *http.Request) {
	ids := splitIDs(r.URL.Query().Get("ids"))
	if len(ids) > maxCollection {
		writeError(w, errTooMany())
		return
	}
	s.serveCollection(w, r, len(ids), r.URL.Query().Get("allOrNone") == "true", func(tx *txn, i int) collResult {
		t, rec := s.find(ids[i])
		switch {
		case rec == nil:
			if _, ok := normalizeID(ids[i]); !ok {
				return failed(ids[i], errBadRequest("MALFORMED_ID", "malformed id "+ids[i]))
			}
			return failed(ids[i], errBadRequest("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"))
		case rec.deleted:
			return failed(rec.id, errBadRequest("ENTITY_IS_DELETED", "entity is deleted"))
		}
		if err := tx.deleteAPI(t, rec); err != nil {
			return failed(rec.id, err)
		}
		return saved(rec.id)
	})
}

func (s *Server) handleCollectionUpsert(w http.ResponseWriter, r *http.Request) {
	req, err := decodeCollection(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var t *table
	var f *fieldDef
	err = s.withTable(r, false, func(_ *txn, pt *table) error {
		t = pt
		var err error
		f, err = externalField(t.obj, r.PathValue("field"))
		return err
	})
	if err != nil {
		writeError(w, err)
		return
	}
	s.serveCollection(w, r, len(req.Records), req.AllOrNone, func(tx *txn, i int) collResult {
		rec := req.Records[i]
		if typ := recordType(rec); typ != "" && !strings.EqualFold(typ, t.obj.Name) {
			return failed("", errBadRequest("INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", typ)))
		}
		var value string
		for k, v := range rec {
			if strings.EqualFold(k, f.Name) {
				value = fmt.Sprint(v)
				if v == nil {
					value = ""
				}
			}
		}
		if value == "" {
			return failed("", errBadRequest("MISSING_ARGUMENT", f.Name+" not specified", f.Name))
		}
		res, err := tx.upsert(t, f, value, rec, false, apiVersion(r))
		if err != nil {
			return failed(res.id, err)
		}
		if res.multi != nil {
			return failed("", errBadRequest("DUPLICATE_EXTERNAL_ID", fmt.Sprintf("%s: more than one record found for external id field: %v", f.Name, res.multi), f.Name))
		}
		out := saved(res.id)
		out.Created = &res.created
		return out
	})
}

// handleCollectionRetrieve returns records by id: GET ?ids=&fields= or POST
// {"ids":[…],"fields":[…]}. Unknown ids give null entries.
func (s *Server) handleCollectionRetrieve(w http.ResponseWriter, r *http.Request) {
	var ids, fieldNames []string
	if r.Method == http.MethodPost {
		var body struct {
			IDs    []string `json:"ids"`
			Fields []string `json:"fields"`
		}
		if err := decodeBody(r, &body); err != nil {
			writeError(w, err)
			return
		}
		ids, fieldNames = body.IDs, body.Fields
	} else {
		ids, fieldNames = splitIDs(r.URL.Query().Get("ids")), splitIDs(r.URL.Query().Get("fields"))
	}
	if len(ids) > 2000 {
		writeError(w, errTooMany())
		return
	}
	if len(fieldNames) == 0 {
		writeError(w, errBadRequest("MALFORMED_QUERY", "fields parameter is required", "fields"))
		return
	}
	var out []byte
	err := s.withTable(r, false, func(tx *txn, t *table) error {
		fields, err := requestedFields(t.obj, strings.Join(fieldNames, ","))
		if err != nil {
			return err
		}
		out = append(out, '[')
		for i, id := range ids {
			if i > 0 {
				out = append(out, ',')
			}
			full, _ := normalizeID(id)
			rec := t.byID[full]
			if rec == nil || rec.deleted {
				out = append(out, "null"...)
				continue
			}
			out = renderRecord(out, t.obj, rec, fields, apiVersion(r))
		}
		out = append(out, ']')
		return nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeRaw(w, http.StatusOK, out)
}
