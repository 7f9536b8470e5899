package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Side names the system a Recorder watches.
type Side string

// The two sides.
const (
	SideSalesforce Side = "salesforce"
	SideIntercom   Side = "intercom"
)

// Write is one field value carried by a successful API write, seen at the
// emulator.
type Write struct {
	// Record is the written record: a Salesforce id cut to its 15
	// case-sensitive characters (ferry may send either form) or an
	// Intercom contact id.
	Record string
	// Field is the Salesforce field name, or the Intercom attribute's full
	// name ("custom_attributes.job_title").
	Field string
	// Value is the value's JSON encoding.
	Value string
	// At is when the emulator answered the write.
	At time.Time
}

// Stats are what a Recorder counted.
type Stats struct {
	// Requests is every request that passed, API or not.
	Requests int64
	// Writes is how many successful record writes passed (one per record
	// of a collection call).
	Writes int64
	// TooMany is how many requests were answered 429.
	TooMany int64
	// ServerErrors is how many were answered 5xx.
	ServerErrors int64
}

// Sub returns s minus an earlier snapshot.
func (s Stats) Sub(o Stats) Stats {
	return Stats{Requests: s.Requests - o.Requests, Writes: s.Writes - o.Writes,
		TooMany: s.TooMany - o.TooMany, ServerErrors: s.ServerErrors - o.ServerErrors}
}

// Recorder wraps an emulator's handler and records the writes that pass
// through it: Salesforce sObject PATCHes (also inside Composite calls) and
// sObject Collections updates,
// Intercom contact PUTs. It only observes; requests and responses reach
// their ends unchanged.
type Recorder struct {
	next http.Handler
	side Side

	mu        sync.Mutex
	stats     Stats
	byRecord  map[string][]Write
	forget    bool // keep no per-record history
	byRoute   map[string]int64
	observers []func(Write)
	requests  []func(route string, at time.Time)
}

// NewRecorder returns a Recorder in front of an emulator of side.
func NewRecorder(side Side, next http.Handler) *Recorder {
	return &Recorder{next: next, side: side, byRecord: map[string][]Write{}, byRoute: map[string]int64{}}
}

// Observe registers fn to be called with every write as it is seen, outside
// the Recorder's lock, on the request's goroutine.
func (rec *Recorder) Observe(fn func(Write)) {
	rec.mu.Lock()
	rec.observers = append(rec.observers, fn)
	rec.mu.Unlock()
}

// ObserveRequests registers fn to be called with every request's route and
// arrival time once it is answered, on the request's goroutine.
func (rec *Recorder) ObserveRequests(fn func(route string, at time.Time)) {
	rec.mu.Lock()
	rec.requests = append(rec.requests, fn)
	rec.mu.Unlock()
}

// KeepHistory says whether writes are kept per record for Writes and
// Values (the default). Large scenarios turn it off so that the history
// does not weigh on the memory they measure; observers still see every
// write.
func (rec *Recorder) KeepHistory(keep bool) {
	rec.mu.Lock()
	rec.forget = !keep
	rec.mu.Unlock()
}

// Stats returns the counts so far.
func (rec *Recorder) Stats() Stats {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.stats
}

// Routes returns how many requests each route received, keyed like
// "PATCH composite/sobjects" or "PUT contacts/{id}".
func (rec *Recorder) Routes() map[string]int64 {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return maps.Clone(rec.byRoute)
}

// routeOf names a request's route: the method and the path without the
// Salesforce API version, record ids replaced by {id}.
func routeOf(r *http.Request) string {
	p := strings.Trim(r.URL.Path, "/")
	if rest, ok := strings.CutPrefix(p, "services/data/"); ok {
		if _, after, ok := strings.Cut(rest, "/"); ok {
			p = after
		} else {
			p = ""
		}
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if len(s) >= 8 && strings.ContainsAny(s, "0123456789") {
			segs[i] = "{id}"
		}
	}
	return r.Method + " " + strings.Join(segs, "/")
}

// Writes returns the writes to one record, oldest first.
func (rec *Recorder) Writes(record string) []Write {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]Write(nil), rec.byRecord[recordKey(record)]...)
}

// Values returns the values written to one field of a record, oldest first.
func (rec *Recorder) Values(record, field string) []string {
	var out []string
	for _, w := range rec.Writes(record) {
		if w.Field == field {
			out = append(out, w.Value)
		}
	}
	return out
}

// ServeHTTP passes the request on and records what it wrote.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := rec.classify(r)
	var reqBody []byte
	if kind != writeNone && r.Body != nil {
		reqBody, _ = io.ReadAll(r.Body)
		r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	cw := &captureWriter{ResponseWriter: w, keep: kind == writeCollection || kind == writeComposite || kind == writeGraph}
	arrived := time.Now()
	rec.next.ServeHTTP(cw, r)
	at := time.Now()
	status := cw.status()

	var writes []Write
	if status/100 == 2 {
		writes = parseWrites(kind, r, reqBody, cw.body.Bytes(), at)
	}
	route := routeOf(r)
	rec.mu.Lock()
	rec.byRoute[route]++
	rec.stats.Requests++
	switch {
	case status == http.StatusTooManyRequests:
		rec.stats.TooMany++
	case status >= 500:
		rec.stats.ServerErrors++
	}
	seen := map[string]bool{}
	for _, wr := range writes {
		if !seen[wr.Record] {
			seen[wr.Record] = true
			rec.stats.Writes++
		}
		if !rec.forget {
			rec.byRecord[wr.Record] = append(rec.byRecord[wr.Record], wr)
		}
	}
	obs, reqObs := rec.observers, rec.requests
	rec.mu.Unlock()
	for _, fn := range reqObs {
		fn(route, arrived)
	}
	for _, wr := range writes {
		for _, fn := range obs {
			fn(wr)
		}
	}
}

// writeKind is which write, if any, a request is.
type writeKind int

const (
	writeNone writeKind = iota
	writeSObject
	writeCollection
	writeComposite
	writeGraph
	writeContact
)

func (rec *Recorder) classify(r *http.Request) writeKind {
	p := r.URL.Path
	switch rec.side {
	case SideSalesforce:
		if !strings.HasPrefix(p, "/services/data/") {
			return writeNone
		}
		if r.Method == http.MethodPost && strings.HasSuffix(strings.TrimSuffix(p, "/"), "/composite") {
			return writeComposite
		}
		if r.Method == http.MethodPost && strings.HasSuffix(strings.TrimSuffix(p, "/"), "/composite/graph") {
			return writeGraph
		}
		if r.Method != http.MethodPatch {
			return writeNone
		}
		if strings.HasSuffix(strings.TrimSuffix(p, "/"), "/composite/sobjects") {
			return writeCollection
		}
		// …/sobjects/{object}/{id}: exactly two segments after "sobjects".
		if i := strings.Index(p, "/sobjects/"); i >= 0 && strings.Count(strings.Trim(p[i+len("/sobjects/"):], "/"), "/") == 1 {
			return writeSObject
		}
	case SideIntercom:
		rest, ok := strings.CutPrefix(p, "/contacts/")
		if r.Method == http.MethodPut && ok && rest != "" && !strings.Contains(rest, "/") {
			return writeContact
		}
	}
	return writeNone
}

// parseWrites turns a successful write's request (and, for collections,
// its per-record results) into field writes.
func parseWrites(kind writeKind, r *http.Request, reqBody, respBody []byte, at time.Time) []Write {
	var out []Write
	add := func(record string, fields map[string]json.RawMessage, skip func(string) bool) {
		for f, v := range fields {
			if skip(f) {
				continue
			}
			out = append(out, Write{Record: recordKey(record), Field: f, Value: compactJSON(v), At: at})
		}
	}
	sfSkip := func(f string) bool { return f == "attributes" || f == "Id" || f == "id" }
	switch kind {
	case writeSObject:
		var fields map[string]json.RawMessage
		if json.Unmarshal(reqBody, &fields) != nil {
			return nil
		}
		parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		add(parts[len(parts)-1], fields, sfSkip)
	case writeCollection:
		var in struct {
			Records []map[string]json.RawMessage `json:"records"`
		}
		var results []struct {
			ID      string `json:"id"`
			Success bool   `json:"success"`
		}
		if json.Unmarshal(reqBody, &in) != nil || json.Unmarshal(respBody, &results) != nil {
			return nil
		}
		for i, fields := range in.Records {
			if i >= len(results) || !results[i].Success {
				continue
			}
			var id string
			_ = json.Unmarshal(fields["id"], &id)
			if id == "" {
				_ = json.Unmarshal(fields["Id"], &id)
			}
			add(id, fields, sfSkip)
		}
	case writeComposite:
		// Composite: the sObject Rows updates among the subrequests that
		// succeeded (conditional writes refused with 412 wrote nothing).
		var in struct {
			CompositeRequest []compositeSub `json:"compositeRequest"`
		}
		var res struct {
			CompositeResponse []compositeStatus `json:"compositeResponse"`
		}
		if json.Unmarshal(reqBody, &in) != nil || json.Unmarshal(respBody, &res) != nil {
			return nil
		}
		rowUpdates(in.CompositeRequest, res.CompositeResponse, add)
	case writeGraph:
		// Composite Graph: the same, in the graphs that succeeded (a
		// failed graph was rolled back whole).
		var in struct {
			Graphs []struct {
				CompositeRequest []compositeSub `json:"compositeRequest"`
			} `json:"graphs"`
		}
		var res struct {
			Graphs []struct {
				GraphResponse struct {
					CompositeResponse []compositeStatus `json:"compositeResponse"`
				} `json:"graphResponse"`
				IsSuccessful bool `json:"isSuccessful"`
			} `json:"graphs"`
		}
		if json.Unmarshal(reqBody, &in) != nil || json.Unmarshal(respBody, &res) != nil {
			return nil
		}
		for i, g := range in.Graphs {
			if i < len(res.Graphs) && res.Graphs[i].IsSuccessful {
				rowUpdates(g.CompositeRequest, res.Graphs[i].GraphResponse.CompositeResponse, add)
			}
		}
	case writeContact:
		var fields map[string]json.RawMessage
		if json.Unmarshal(reqBody, &fields) != nil {
			return nil
		}
		id := strings.TrimPrefix(r.URL.Path, "/contacts/")
		var custom map[string]json.RawMessage
		if raw, ok := fields["custom_attributes"]; ok && json.Unmarshal(raw, &custom) == nil {
			delete(fields, "custom_attributes")
			for k, v := range custom {
				fields["custom_attributes."+k] = v
			}
		}
		add(id, fields, func(string) bool { return false })
	}
	return out
}

// compositeSub and compositeStatus are what the recorder reads of a
// Composite (or Composite Graph) subrequest and of its result.
type compositeSub struct {
	Method string                     `json:"method"`
	URL    string                     `json:"url"`
	Body   map[string]json.RawMessage `json:"body"`
}

type compositeStatus struct {
	HTTPStatusCode int `json:"httpStatusCode"`
}

// rowUpdates adds the field writes of the sObject Rows updates among subs
// that succeeded.
func rowUpdates(subs []compositeSub, res []compositeStatus, add func(string, map[string]json.RawMessage, func(string) bool)) {
	sfSkip := func(f string) bool { return f == "attributes" || f == "Id" || f == "id" }
	for i, sub := range subs {
		if i >= len(res) || res[i].HTTPStatusCode/100 != 2 || !strings.EqualFold(sub.Method, http.MethodPatch) {
			continue
		}
		path, _, _ := strings.Cut(sub.URL, "?")
		j := strings.Index(path, "sobjects/")
		if j < 0 {
			continue
		}
		parts := strings.Split(strings.Trim(path[j+len("sobjects/"):], "/"), "/")
		if len(parts) != 2 {
			continue
		}
		add(parts[1], sub.Body, sfSkip)
	}
}

// recordKey is how records are keyed: Salesforce ids by their 15-character
// form, anything else as is.
func recordKey(id string) string {
	if len(id) == 18 {
		return id[:15]
	}
	return id
}

func compactJSON(v json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

// captureWriter remembers the status and, when asked, the body of a
// response while passing both on.
type captureWriter struct {
	http.ResponseWriter
	code int
	keep bool
	body bytes.Buffer
}

func (c *captureWriter) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	if c.keep {
		c.body.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

func (c *captureWriter) status() int {
	if c.code == 0 {
		return http.StatusOK
	}
	return c.code
}

// Flush lets streaming handlers flush through the wrapper.
func (c *captureWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
