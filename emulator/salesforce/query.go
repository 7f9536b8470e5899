package salesforce

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry/emulator/salesforce/soql"
)

// Query paging.
const (
	defaultBatchSize = 2000
	minBatchSize     = 200
	cursorLifetime   = 15 * time.Minute
	maxCursors       = 1000
)

// Get implements soql.Record.
func (r *record) Get(field string) any { return r.f[field] }

// soqlSource adapts the store to the soql engine; callers hold mu.
type soqlSource struct{ s *Server }

// Object implements soql.Schema.
func (q soqlSource) Object(name string) (string, bool) {
	o := q.s.schema.object(name)
	if o == nil {
		return "", false
	}
	return o.Name, true
}

// Field implements soql.Schema; hidden fields do not exist for the API user.
func (q soqlSource) Field(object, name string) (soql.Field, bool) {
	o := q.s.schema.object(object)
	if o == nil {
		return soql.Field{}, false
	}
	f := o.visibleField(name)
	if f == nil {
		return soql.Field{}, false
	}
	return soql.Field{Name: f.Name, Type: f.Type}, true
}

// Relationship implements soql.Schema.
func (q soqlSource) Relationship(object, name string) (string, string, bool) {
	o := q.s.schema.object(object)
	if o == nil {
		return "", "", false
	}
	f := o.byRel[strings.ToLower(name)]
	if f == nil || f.Hidden || len(f.ReferenceTo) == 0 {
		return "", "", false
	}
	return f.ReferenceTo[0], f.Name, true
}

// Get implements soql.RecordGetter.
func (q soqlSource) Get(id string) (soql.Record, bool) {
	_, r := q.s.find(id)
	if r == nil {
		return nil, false
	}
	return r, true
}

// Scan implements soql.Source.
func (q soqlSource) Scan(object string, includeDeleted bool, fn func(soql.Record) bool) {
	t := q.s.tableByName(object)
	if t == nil {
		return
	}
	for _, r := range t.order {
		if r.deleted && !includeDeleted {
			continue
		}
		if !fn(r) {
			return
		}
	}
}

// Lookup implements soql.Source with the Id, Email and external-id indexes.
func (q soqlSource) Lookup(object, field string, values []any, includeDeleted bool) ([]soql.Record, bool) {
	t := q.s.tableByName(object)
	if t == nil {
		return nil, false
	}
	var out []soql.Record
	seen := map[*record]bool{}
	add := func(r *record) {
		if r == nil || (r.deleted && !includeDeleted) || seen[r] {
			return
		}
		seen[r] = true
		out = append(out, r)
	}
	if field == "Id" {
		for _, v := range values {
			if s, ok := v.(string); ok {
				if id, ok := normalizeID(s); ok {
					add(t.byID[id])
				}
			}
		}
		return out, true
	}
	if _, ok := t.idx[field]; !ok {
		return nil, false
	}
	for _, v := range values {
		recs, _ := t.lookup(field, v)
		for _, r := range recs {
			add(r)
		}
	}
	return out, true
}

// cursor is the server-side state of a paged query.
type cursor struct {
	proj    *projection
	recs    []*record
	total   int
	version string
}

// locatorState is what one locator points at: a cursor and where the next
// page starts. Locators stay valid until they expire, so a client may retry
// a page.
type locatorState struct {
	c     *cursor
	start int
	used  time.Time
}

// projection renders selected paths, nesting parent relationships as
// Salesforce does ("Owner":{"attributes":{…},"Email":…}).
type projection struct {
	items []projItem
}

type projItem struct {
	field string      // plain field on this object
	rel   string      // relationship name when child != nil
	fk    string      // reference field holding the parent's id
	child *projection // fields read on the parent
}

func buildProjection(paths []soql.Path) *projection {
	root := &projection{}
	for _, p := range paths {
		node := root
		for i, rel := range p.Relationships {
			var next *projection
			for j := range node.items {
				if node.items[j].child != nil && strings.EqualFold(node.items[j].rel, rel) {
					next = node.items[j].child
				}
			}
			if next == nil {
				next = &projection{}
				node.items = append(node.items, projItem{rel: rel, fk: p.FKFields[i], child: next})
			}
			node = next
		}
		node.items = append(node.items, projItem{field: p.Field})
	}
	return root
}

func (s *Server) renderProjected(b []byte, p *projection, r *record, version string) []byte {
	t, _ := s.find(r.id)
	typ := ""
	if t != nil {
		typ = t.obj.Name
	}
	b = append(b, `{"attributes":{"type":`...)
	b = appendJSON(b, typ)
	b = append(b, `,"url":`...)
	b = appendJSON(b, "/services/data/"+version+"/sobjects/"+typ+"/"+r.id)
	b = append(b, '}')
	for _, it := range p.items {
		b = append(b, ',')
		if it.child == nil {
			b = appendJSON(b, it.field)
			b = append(b, ':')
			b = appendJSON(b, r.f[it.field])
			continue
		}
		b = appendJSON(b, it.rel)
		b = append(b, ':')
		id, _ := r.f[it.fk].(string)
		_, parent := s.find(id)
		if parent == nil {
			b = append(b, "null"...)
			continue
		}
		b = s.renderProjected(b, it.child, parent, version)
	}
	return append(b, '}')
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request)    { s.runQuery(w, r, false) }
func (s *Server) handleQueryAll(w http.ResponseWriter, r *http.Request) { s.runQuery(w, r, true) }

// batchSize reads Sforce-Query-Options: batchSize=N (200–2000).
func batchSize(r *http.Request) int {
	for _, part := range strings.Split(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && strings.EqualFold(k, "batchSize") {
			if n, err := strconv.Atoi(v); err == nil {
				return min(max(n, minBatchSize), defaultBatchSize)
			}
		}
	}
	return defaultBatchSize
}

func (s *Server) runQuery(w http.ResponseWriter, r *http.Request, all bool) {
	text := r.URL.Query().Get("q")
	if strings.TrimSpace(text) == "" {
		writeError(w, &sfError{status: http.StatusBadRequest, code: "MALFORMED_QUERY", msg: "A query string has to be specified"})
		return
	}
	q, err := soql.Parse(text)
	if err != nil {
		writeError(w, soqlError(err))
		return
	}
	version := apiVersion(r)
	size := batchSize(r)
	var out []byte
	err = s.withTxn(r.Context(), false, func(tx *txn) error {
		res, err := soql.Execute(q, soqlSource{s}, soql.ExecOptions{IncludeDeleted: all, Now: s.now()})
		if err != nil {
			return soqlError(err)
		}
		if q.IsCount {
			out = queryPage(nil, res.Count, true, "", nil)
			return nil
		}
		recs := make([]*record, len(res.Records))
		for i, x := range res.Records {
			recs[i] = x.(*record)
		}
		c := &cursor{proj: buildProjection(q.Fields), recs: recs, total: res.Count, version: version}
		out = s.page(c, 0, size)
		return nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeRaw(w, http.StatusOK, out)
}

// page renders the next batch of c and parks c under a new locator if
// records remain; callers hold mu (read or write).
func (s *Server) page(c *cursor, start, size int) []byte {
	end := min(start+size, len(c.recs))
	var body []byte
	body = append(body, `[`...)
	for i := start; i < end; i++ {
		if i > start {
			body = append(body, ',')
		}
		body = s.renderProjected(body, c.proj, c.recs[i], c.version)
	}
	body = append(body, ']')
	next := ""
	if end < len(c.recs) {
		next = "/services/data/" + c.version + "/query/" + s.parkCursor(c, end)
	}
	return queryPage(nil, c.total, next == "", next, body)
}

func queryPage(b []byte, total int, done bool, next string, records []byte) []byte {
	b = append(b, `{"totalSize":`...)
	b = strconv.AppendInt(b, int64(total), 10)
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, done)
	if next != "" {
		b = append(b, `,"nextRecordsUrl":`...)
		b = appendJSON(b, next)
	}
	b = append(b, `,"records":`...)
	if records == nil {
		records = []byte("[]")
	}
	b = append(b, records...)
	return append(b, '}')
}

// parkCursor stores c and returns its locator, e.g. 01gFy0000000001AAA-2000
// (no '/', since clients take the last path segment).
func (s *Server) parkCursor(c *cursor, start int) string {
	now := s.now()
	s.authMu.Lock()
	defer s.authMu.Unlock()
	if len(s.cursors) > 64 {
		for k, old := range s.cursors {
			if now.Sub(old.used) > cursorLifetime {
				delete(s.cursors, k)
			}
		}
	}
	// Salesforce also caps open cursors per user; drop the least recently
	// used so memory stays bounded under heavy paging.
	for len(s.cursors) >= maxCursors {
		var oldestKey string
		var oldest time.Time
		for k, st := range s.cursors {
			if oldestKey == "" || st.used.Before(oldest) {
				oldestKey, oldest = k, st.used
			}
		}
		delete(s.cursors, oldestKey)
	}
	s.cursorSeq++
	loc := makeID("01g", s.cursorSeq) + "-" + strconv.Itoa(start)
	s.cursors[loc] = &locatorState{c: c, start: start, used: now}
	return loc
}

func (s *Server) handleQueryMore(w http.ResponseWriter, r *http.Request) {
	loc := r.PathValue("locator")
	now := s.now()
	s.authMu.Lock()
	st := s.cursors[loc]
	if st != nil && now.Sub(st.used) <= cursorLifetime {
		st.used = now
	} else {
		st = nil
	}
	s.authMu.Unlock()
	if st == nil {
		writeError(w, &sfError{status: http.StatusBadRequest, code: "INVALID_QUERY_LOCATOR", msg: "invalid query locator"})
		return
	}
	var out []byte
	_ = s.withTxn(r.Context(), false, func(tx *txn) error {
		out = s.page(st.c, st.start, batchSize(r))
		return nil
	})
	writeRaw(w, http.StatusOK, out)
}

// soqlError turns an engine error into Salesforce's REST error.
func soqlError(err error) *sfError {
	var qe *soql.Error
	if errors.As(err, &qe) {
		return &sfError{status: http.StatusBadRequest, code: qe.Code, msg: qe.Message}
	}
	return &sfError{status: http.StatusBadRequest, code: "MALFORMED_QUERY", msg: err.Error()}
}
