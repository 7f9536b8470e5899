package intercom

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// apiError is one entry of Intercom's error.list body.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
	Field   string `json:"field,omitempty"`
}

// errorList is Intercom's error body.
type errorList struct {
	Type      string     `json:"type"`
	RequestID string     `json:"request_id"`
	Errors    []apiError `json:"errors"`
}

// httpError is an error a handler returns to send an Intercom error body.
type httpError struct {
	status int
	apiError
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.Code, e.Message) }

func errf(status int, code, format string, args ...any) *httpError {
	return &httpError{status: status, apiError: apiError{Code: code, Message: fmt.Sprintf(format, args...)}}
}

func errNotFound() *httpError {
	return errf(http.StatusNotFound, "not_found", "Resource Not Found")
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeHTTPError(w, &httpError{status: status, apiError: apiError{Code: code, Message: message}})
}

func writeHTTPError(w http.ResponseWriter, e *httpError) {
	writeJSON(w, e.status, errorList{Type: "error.list", RequestID: newUUID(), Errors: []apiError{e.apiError}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"type":"error.list","errors":[{"code":"server_error","message":"encoding failed"}]}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// apiFunc is an Intercom REST handler: it returns the 200 body, or an error
// (an *httpError for one of Intercom's error bodies).
type apiFunc func(r *http.Request) (any, error)

func (h apiFunc) serve(w http.ResponseWriter, r *http.Request) {
	v, err := h(r)
	respond(w, v, err)
}

// respond writes v with 200, or err as an Intercom error body.
func respond(w http.ResponseWriter, v any, err error) {
	if err != nil {
		if he, ok := err.(*httpError); ok {
			writeHTTPError(w, he)
			return
		}
		writeError(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, v)
}

const maxBody = 4 << 20

// decodeFields reads a JSON object body into raw fields, so each field's
// type can be checked and reported by name. An empty body has no fields.
func decodeFields(r *http.Request) (*fields, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return nil, errf(http.StatusBadRequest, "bad_request", "could not read request body")
	}
	f := &fields{m: map[string]json.RawMessage{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return f, nil
	}
	if err := json.Unmarshal(data, &f.m); err != nil {
		return nil, errf(http.StatusBadRequest, "bad_request", "Request body is not valid JSON: %v", err)
	}
	if f.m == nil { // the body was null
		f.m = map[string]json.RawMessage{}
	}
	return f, nil
}

// decodeInput reads a JSON object body and parses it into a T.
func decodeInput[T any](r *http.Request, parse func(*fields) (T, *httpError)) (T, error) {
	f, err := decodeFields(r)
	if err != nil {
		var zero T
		return zero, err
	}
	in, herr := parse(f)
	if herr != nil {
		return in, herr
	}
	return in, nil
}

// decodeInto reads a JSON body into v.
func decodeInto(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return errf(http.StatusBadRequest, "bad_request", "could not read request body")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return errf(http.StatusBadRequest, "bad_request", "Request body is not valid JSON: %v", err)
	}
	return nil
}

// fields reads typed values out of a decoded body and remembers the first
// type error, so handlers read every field and check once.
type fields struct {
	m   map[string]json.RawMessage
	err *httpError
}

func (f *fields) has(name string) bool { _, ok := f.m[name]; return ok }

func (f *fields) isNull(name string) bool {
	raw, ok := f.m[name]
	return ok && string(bytes.TrimSpace(raw)) == "null"
}

func (f *fields) fail(name, want string) {
	if f.err == nil {
		f.err = &httpError{status: http.StatusBadRequest, apiError: apiError{Code: "parameter_invalid", Message: fmt.Sprintf("%s must be %s", name, want), Field: name}}
	}
}

// str returns the field as a string; null gives "" with set=true.
func (f *fields) str(name string) (v string, set bool) {
	raw, ok := f.m[name]
	if !ok {
		return "", false
	}
	if f.isNull(name) {
		return "", true
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		f.fail(name, "a string")
	}
	return v, true
}

// idString accepts a string or an integer, as Intercom does for ids.
func (f *fields) idString(name string) (string, bool) {
	raw, ok := f.m[name]
	if !ok || f.isNull(name) {
		return "", ok
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	f.fail(name, "a string or an integer")
	return "", true
}

func (f *fields) integer(name string) (v int64, set, null bool) {
	raw, ok := f.m[name]
	if !ok {
		return 0, false, false
	}
	if f.isNull(name) {
		return 0, true, true
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		// Intercom accepts numeric strings for ids such as owner_id.
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i, true, false
			}
		}
		f.fail(name, "an integer")
		return 0, true, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true, false
	}
	if fl, err := n.Float64(); err == nil {
		return int64(fl), true, false
	}
	f.fail(name, "an integer")
	return 0, true, false
}

func (f *fields) boolean(name string) (v bool, set bool) {
	raw, ok := f.m[name]
	if !ok || f.isNull(name) {
		return false, false
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		f.fail(name, "a boolean")
	}
	return v, true
}

func (f *fields) object(name string) (map[string]any, bool) {
	raw, ok := f.m[name]
	if !ok || f.isNull(name) {
		return nil, false
	}
	var v map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		f.fail(name, "an object")
		return nil, true
	}
	return v, true
}

// unknown reports the first field not in allowed as Intercom's bad_request.
func (f *fields) unknown(allowed ...string) {
	ok := make(map[string]bool, len(allowed))
	for _, a := range allowed {
		ok[a] = true
	}
	for name := range f.m {
		if !ok[name] && f.err == nil {
			f.err = errf(http.StatusBadRequest, "bad_request", "bad '%s' parameter", name)
		}
	}
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// newHexID makes a 24-hex id shaped like Intercom's (Mongo ObjectId style:
// seconds then random bytes).
func newHexID(unix int64) string {
	var b [12]byte
	b[0], b[1], b[2], b[3] = byte(unix>>24), byte(unix>>16), byte(unix>>8), byte(unix)
	rand.Read(b[4:])
	return hex.EncodeToString(b[:])
}

// freeHexID is a newHexID not yet a key of taken.
func freeHexID[V any](unix int64, taken map[string]V) string {
	for {
		id := newHexID(unix)
		if _, ok := taken[id]; !ok {
			return id
		}
	}
}

// Cursors are opaque to clients, stateless, and encode where the previous
// page ended: base64 of a JSON array, like Intercom's "WzE3MDk2…" cursors.
func encodeCursor(parts ...any) string {
	data, _ := json.Marshal(parts)
	return base64.StdEncoding.EncodeToString(data)
}

func decodeCursor(c string) ([]json.RawMessage, error) {
	data, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		data, err = base64.URLEncoding.DecodeString(c)
	}
	if err != nil {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "starting_after is not a valid cursor")
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil || len(parts) == 0 {
		return nil, errf(http.StatusBadRequest, "parameter_invalid", "starting_after is not a valid cursor")
	}
	return parts, nil
}

// pages is Intercom's cursor_pages object.
type pages struct {
	Type       string     `json:"type"`
	Next       *pagesNext `json:"next,omitempty"`
	Page       int        `json:"page"`
	PerPage    int        `json:"per_page"`
	TotalPages int        `json:"total_pages"`
}

type pagesNext struct {
	Page          int    `json:"page"`
	StartingAfter string `json:"starting_after"`
}

// perPage parses per_page with Intercom's maximum of 150.
func perPage(raw string, def int) (int, error) {
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, errf(http.StatusBadRequest, "parameter_invalid", "per_page must be a positive integer")
	}
	if n > 150 {
		n = 150 // Intercom caps per_page rather than refusing larger pages.
	}
	return n, nil
}

// pageParams parses ?per_page= (default defPer) and the 1-based ?page= of
// a list paged by number.
func pageParams(q url.Values, defPer int) (per, page int, err error) {
	if per, err = perPage(q.Get("per_page"), defPer); err != nil {
		return 0, 0, err
	}
	page = 1
	if raw := q.Get("page"); raw != "" {
		if page, err = strconv.Atoi(raw); err != nil || page < 1 {
			return 0, 0, errf(http.StatusBadRequest, "parameter_invalid", "page must be a positive integer")
		}
	}
	return per, page, nil
}

// numberedPage cuts page (1-based) of per items out of all, with a pages
// object that announces the next page while items remain. Pages past the
// end are empty.
func numberedPage[T any](all []T, page, per int) ([]T, pages) {
	p := pages{Type: "pages", Page: page, PerPage: per, TotalPages: totalPages(len(all), per)}
	if page > p.TotalPages { // also keeps (page-1)*per from overflowing
		return all[:0], p
	}
	lo := (page - 1) * per
	hi := min(lo+per, len(all))
	if hi < len(all) {
		p.Next = &pagesNext{Page: page + 1, StartingAfter: encodeCursor(page)}
	}
	return all[lo:hi], p
}

// seqPageParams parses ?per_page= (default defPer) and ?starting_after= of a
// list paged by sequence: the cursor holds the last sequence served and its
// page's number, so the page asked for is the one after.
func seqPageParams(q url.Values, defPer int) (per int, after int64, page int, err error) {
	if per, err = perPage(q.Get("per_page"), defPer); err != nil {
		return 0, 0, 0, err
	}
	c := q.Get("starting_after")
	if c == "" {
		return per, 0, 1, nil
	}
	parts, err := decodeCursor(c)
	if err != nil || len(parts) < 2 || json.Unmarshal(parts[0], &after) != nil || json.Unmarshal(parts[1], &page) != nil {
		return 0, 0, 0, errf(http.StatusBadRequest, "parameter_invalid", "starting_after is not a valid cursor")
	}
	return per, after, page + 1, nil
}

func totalPages(total, per int) int {
	if total == 0 {
		return 0
	}
	return (total + per - 1) / per
}
