package intercom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Intercom's documented search limits.
const (
	maxSearchDepth   = 2  // levels of AND/OR groups
	maxGroupFilters  = 15 // filters per AND/OR group
	defaultSearchPer = 50
)

// filter is a parsed search query node: a group (AND/OR with children) or
// a comparison on one field.
type filter struct {
	op       string
	field    string
	ftype    string // string, integer, float, date, boolean, tag
	operand  any    // converted to ftype; []any for IN/NIN; nil for null
	children []*filter
}

// fieldTyper gives the type of a searchable field, or "" if the field cannot
// be searched.
type fieldTyper func(field string) string

var validOps = map[string]map[string]bool{
	"string":  {"=": true, "!=": true, "IN": true, "NIN": true, "~": true, "!~": true, "^": true, "$": true, "<": true, ">": true},
	"integer": {"=": true, "!=": true, "IN": true, "NIN": true, "<": true, "<=": true, ">": true, ">=": true},
	"float":   {"=": true, "!=": true, "IN": true, "NIN": true, "<": true, "<=": true, ">": true, ">=": true},
	"date":    {"=": true, "<": true, ">": true},
	"boolean": {"=": true, "!=": true},
	"tag":     {"=": true, "!=": true},
}

func searchErr(format string, args ...any) *httpError {
	return errf(http.StatusBadRequest, "parameter_invalid", format, args...)
}

// parseFilter validates and converts a query object.
func parseFilter(raw any, types fieldTyper, depth int) (*filter, *httpError) {
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, searchErr("query must be an object")
	}
	op, _ := obj["operator"].(string)
	if op == "AND" || op == "OR" {
		if depth >= maxSearchDepth {
			return nil, searchErr("Query nesting too deep: at most %d levels of AND/OR groups are allowed", maxSearchDepth)
		}
		list, ok := obj["value"].([]any)
		if !ok || len(list) == 0 {
			return nil, searchErr("%s value must be a non-empty list of filters", op)
		}
		if len(list) > maxGroupFilters {
			return nil, searchErr("Too many filters in an %s group: at most %d are allowed, got %d", op, maxGroupFilters, len(list))
		}
		g := &filter{op: op}
		for _, item := range list {
			child, herr := parseFilter(item, types, depth+1)
			if herr != nil {
				return nil, herr
			}
			g.children = append(g.children, child)
		}
		return g, nil
	}
	field, _ := obj["field"].(string)
	if field == "" {
		return nil, searchErr("field is required in a search filter")
	}
	ft := types(field)
	if ft == "" {
		return nil, searchErr("'%s' is not a searchable field", field)
	}
	if !validOps[ft][op] {
		if op == "" {
			return nil, searchErr("operator is required in a search filter")
		}
		return nil, searchErr("Operator '%s' is not supported for field '%s'", op, field)
	}
	value, present := obj["value"]
	if !present {
		return nil, searchErr("value is required for field '%s'", field)
	}
	f := &filter{op: op, field: field, ftype: ft}
	if op == "IN" || op == "NIN" {
		list, ok := value.([]any)
		if !ok {
			return nil, searchErr("Operator '%s' needs a list value for field '%s'", op, field)
		}
		conv := make([]any, 0, len(list))
		for _, v := range list {
			cv, err := convertOperand(ft, v)
			if err != nil {
				return nil, searchErr("field '%s': %v", field, err)
			}
			conv = append(conv, cv)
		}
		f.operand = conv
		return f, nil
	}
	cv, err := convertOperand(ft, value)
	if err != nil {
		return nil, searchErr("field '%s': %v", field, err)
	}
	if cv == nil && op != "=" && op != "!=" {
		return nil, searchErr("Operator '%s' needs a value for field '%s'", op, field)
	}
	f.operand = cv
	return f, nil
}

// convertOperand turns a JSON value into the field's comparable form:
// strings stay strings, numbers and dates become float64 (Intercom accepts
// "1306054154" for dates), booleans bool.
func convertOperand(ft string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch ft {
	case "string", "tag":
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return x.String(), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
	case "integer", "float", "date":
		switch x := v.(type) {
		case json.Number:
			f, err := x.Float64()
			if err == nil {
				return f, nil
			}
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err == nil {
				return f, nil
			}
			if ft == "date" {
				if t, err := time.Parse(time.RFC3339, x); err == nil {
					return float64(t.Unix()), nil
				}
			}
		}
		return nil, fmt.Errorf("%v is not a number", v)
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if b, err := strconv.ParseBool(x); err == nil {
				return b, nil
			}
		}
		return nil, fmt.Errorf("%v is not a boolean", v)
	}
	return nil, fmt.Errorf("unsupported value %v", v)
}

// comparable turns a stored value into the form operands use.
func comparable(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case *int64:
		if x == nil {
			return nil
		}
		return float64(*x)
	case int:
		return float64(x)
	case *string:
		if x == nil {
			return nil
		}
		return *x
	case string:
		if x == "" {
			return nil
		}
		return x
	}
	return v
}

// match evaluates f against one record's fields.
func (f *filter) match(get func(string) any) bool {
	switch f.op {
	case "AND":
		for _, c := range f.children {
			if !c.match(get) {
				return false
			}
		}
		return true
	case "OR":
		for _, c := range f.children {
			if c.match(get) {
				return true
			}
		}
		return false
	}
	actual := get(f.field)
	if many, ok := actual.([]string); ok { // multi-valued fields match if any value does
		if f.op == "!=" || f.op == "NIN" || f.op == "!~" {
			for _, a := range many {
				if !f.compare(a) {
					return false
				}
			}
			return true
		}
		for _, a := range many {
			if f.compare(a) {
				return true
			}
		}
		return f.compare(nil) && len(many) == 0
	}
	return f.compare(comparable(actual))
}

func (f *filter) compare(actual any) bool {
	switch f.op {
	case "=":
		return f.equal(actual, f.operand)
	case "!=":
		return !f.equal(actual, f.operand)
	case "IN", "NIN":
		in := false
		for _, o := range f.operand.([]any) {
			if f.equal(actual, o) {
				in = true
				break
			}
		}
		return in == (f.op == "IN")
	case "~", "!~", "^", "$":
		a, _ := actual.(string)
		o := strings.ToLower(f.operand.(string))
		a = strings.ToLower(a)
		switch f.op {
		case "~":
			return actual != nil && strings.Contains(a, o)
		case "!~":
			return actual == nil || !strings.Contains(a, o)
		case "^":
			return actual != nil && strings.HasPrefix(a, o)
		default:
			return actual != nil && strings.HasSuffix(a, o)
		}
	}
	if actual == nil {
		return false
	}
	c := compareValues(actual, f.operand)
	switch f.op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

func (f *filter) equal(actual, operand any) bool {
	if operand == nil || actual == nil {
		return operand == nil && actual == nil
	}
	if f.ftype == "date" {
		// Dates match by calendar day (the workspace timezone is UTC here).
		a, okA := actual.(float64)
		o, okO := operand.(float64)
		return okA && okO && int64(a)/86400 == int64(o)/86400
	}
	if as, ok := actual.(string); ok {
		os, _ := operand.(string)
		return strings.EqualFold(as, os)
	}
	return actual == operand
}

// compareValues orders two comparable values; nil sorts first.
func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		if !ok {
			return -1
		}
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		y, ok := b.(string)
		if !ok {
			return 1
		}
		return strings.Compare(strings.ToLower(x), strings.ToLower(y))
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	return 0
}

// searchRequest is the body of POST /contacts/search and
// /conversations/search.
type searchRequest struct {
	query      *filter
	sortField  string
	descending bool
	perPage    int
	after      []json.RawMessage // cursor: [sort value, seq, page]
	page       int
}

// parseSearchRequest validates a search body read with readAll.
func parseSearchRequest(data []byte, types fieldTyper) (*searchRequest, *httpError) {
	var body struct {
		Query      any `json:"query"`
		Pagination *struct {
			PerPage       any     `json:"per_page"`
			StartingAfter *string `json:"starting_after"`
		} `json:"pagination"`
		Sort *struct {
			Field string `json:"field"`
			Order string `json:"order"`
		} `json:"sort"`
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&body); err != nil {
		return nil, errf(http.StatusBadRequest, "bad_request", "Request body is not valid JSON: %v", err)
	}
	if body.Query == nil {
		return nil, errf(http.StatusBadRequest, "parameter_not_found", "query is required")
	}
	q, herr := parseFilter(body.Query, types, 0)
	if herr != nil {
		return nil, herr
	}
	req := &searchRequest{query: q, perPage: defaultSearchPer, page: 1}
	if p := body.Pagination; p != nil {
		if p.PerPage != nil {
			n, err := perPage(fmt.Sprint(p.PerPage), defaultSearchPer)
			if err != nil {
				return nil, err.(*httpError)
			}
			req.perPage = n
		}
		if p.StartingAfter != nil && *p.StartingAfter != "" {
			parts, err := decodeCursor(*p.StartingAfter)
			if err != nil || len(parts) != 3 || json.Unmarshal(parts[2], &req.page) != nil {
				return nil, errf(http.StatusBadRequest, "parameter_invalid", "starting_after is not a valid cursor")
			}
			req.after = parts
			req.page++
		}
	}
	if s := body.Sort; s != nil {
		if types(s.Field) == "" {
			return nil, searchErr("'%s' is not a sortable field", s.Field)
		}
		switch s.Order {
		case "", "ascending", "asc":
		case "descending", "desc":
			req.descending = true
		default:
			return nil, searchErr("sort order must be ascending or descending")
		}
		req.sortField = s.Field
	}
	return req, nil
}

func readAll(r *http.Request) ([]byte, *httpError) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, maxBody)); err != nil {
		return nil, errf(http.StatusBadRequest, "bad_request", "could not read request body")
	}
	return buf.Bytes(), nil
}

// hit is one search result with its sort key.
type hit[T any] struct {
	item T
	key  any
	seq  int64
}

// pageOf sorts hits, skips to the cursor and cuts one page; it returns the
// page, the cursor for the next one ("" at the end) and the total.
func pageOf[T any](req *searchRequest, hits []hit[T]) ([]T, string) {
	less := func(a, b hit[T]) int {
		c := compareValues(a.key, b.key)
		if req.descending {
			c = -c
		}
		if c == 0 {
			switch {
			case a.seq < b.seq:
				return -1
			case a.seq > b.seq:
				return 1
			}
		}
		return c
	}
	sort.Slice(hits, func(i, j int) bool { return less(hits[i], hits[j]) < 0 })
	start := 0
	if req.after != nil {
		var key any
		var seq int64
		json.Unmarshal(req.after[0], &key)
		json.Unmarshal(req.after[1], &seq)
		pivot := hit[T]{key: key, seq: seq}
		start = sort.Search(len(hits), func(i int) bool { return less(hits[i], pivot) > 0 })
	}
	end := min(start+req.perPage, len(hits))
	out := make([]T, 0, end-start)
	for _, h := range hits[start:end] {
		out = append(out, h.item)
	}
	next := ""
	if end < len(hits) {
		last := hits[end-1]
		next = encodeCursor(last.key, last.seq, req.page)
	}
	return out, next
}

// contactFieldType is the contact search schema.
func (s *Server) contactFieldType(field string) string {
	switch field {
	case "id", "role", "name", "email", "email_domain", "phone", "external_id", "location.country",
		"location.region", "location.city", "location.country_code", "location.continent_code", "utm_campaign",
		"utm_content", "utm_medium", "utm_source", "utm_term", "referrer", "browser", "browser_language", "os",
		"segment_id", "company_id", "companies.id":
		return "string"
	case "owner_id":
		return "integer"
	case "created_at", "updated_at", "signed_up_at", "last_seen_at", "last_replied_at", "last_contacted_at",
		"last_email_opened_at", "last_email_clicked_at":
		return "date"
	case "unsubscribed_from_emails", "has_hard_bounced", "marked_email_as_spam":
		return "boolean"
	case "tag_id":
		return "tag"
	}
	if name, ok := strings.CutPrefix(field, "custom_attributes."); ok {
		if a := s.st.attrByName["contact"][name]; a != nil {
			if a.dataType == "date" {
				return "date"
			}
			return a.dataType
		}
	}
	return ""
}

// contactField returns a contact's value for a search field.
func contactField(c *contact, field string) any {
	switch field {
	case "id":
		return c.id
	case "role":
		return c.role
	case "name":
		return c.name
	case "email":
		return c.email
	case "email_domain":
		if c.email != nil {
			if _, d, ok := strings.Cut(*c.email, "@"); ok {
				return d
			}
		}
		return nil
	case "phone":
		return c.phone
	case "external_id":
		return c.externalID
	case "owner_id":
		return c.ownerID
	case "created_at":
		return c.createdAt
	case "updated_at":
		return c.updatedAt
	case "signed_up_at":
		return c.signedUpAt
	case "last_seen_at":
		return c.lastSeenAt
	case "last_replied_at":
		return c.lastReplied
	case "location.country":
		return c.location.Country
	case "location.region":
		return c.location.Region
	case "location.city":
		return c.location.City
	case "location.country_code":
		return c.location.CountryCode
	case "location.continent_code":
		return c.location.ContinentCode
	case "utm_campaign":
		return c.utm.Campaign
	case "utm_content":
		return c.utm.Content
	case "utm_medium":
		return c.utm.Medium
	case "utm_source":
		return c.utm.Source
	case "utm_term":
		return c.utm.Term
	case "referrer":
		return c.utm.Referrer
	case "browser":
		return c.browser
	case "browser_language":
		return c.browserLang
	case "os":
		return c.os
	case "unsubscribed_from_emails":
		return c.unsubscribed
	case "has_hard_bounced", "marked_email_as_spam":
		return false
	case "tag_id":
		return c.tagIDs
	case "companies.id", "company_id":
		return c.companyIDs
	}
	if name, ok := strings.CutPrefix(field, "custom_attributes."); ok {
		return c.custom[name]
	}
	return nil
}

// candidatesLocked narrows a contact search through the indexes: equality
// on email, external_id, id or a custom attribute. ok=false means the query
// needs a scan.
func (s *Server) candidatesLocked(f *filter) (map[*contact]struct{}, bool) {
	switch f.op {
	case "AND":
		var best map[*contact]struct{}
		found := false
		for _, c := range f.children {
			if set, ok := s.candidatesLocked(c); ok && (!found || len(set) < len(best)) {
				best, found = set, true
			}
		}
		return best, found
	case "OR":
		union := map[*contact]struct{}{}
		for _, c := range f.children {
			set, ok := s.candidatesLocked(c)
			if !ok {
				return nil, false
			}
			for k := range set {
				union[k] = struct{}{}
			}
		}
		return union, true
	case "=", "IN":
		operands := []any{f.operand}
		if f.op == "IN" {
			operands = f.operand.([]any)
		}
		union := map[*contact]struct{}{}
		for _, o := range operands {
			set, ok := s.lookupLocked(f, o)
			if !ok {
				return nil, false
			}
			for k := range set {
				union[k] = struct{}{}
			}
		}
		return union, true
	}
	return nil, false
}

func (s *Server) lookupLocked(f *filter, operand any) (map[*contact]struct{}, bool) {
	if operand == nil {
		return nil, false
	}
	switch f.field {
	case "email":
		return s.st.byEmail[strings.ToLower(operand.(string))], true
	case "external_id":
		// external_id equality is case-insensitive in the filter; the index
		// is exact, so only use it when the case cannot matter.
		str := operand.(string)
		if strings.ToLower(str) != strings.ToUpper(str) {
			return nil, false
		}
		return s.st.byExternalID[str], true
	case "id":
		if c := s.st.contacts[strings.ToLower(operand.(string))]; c != nil {
			return map[*contact]struct{}{c: {}}, true
		}
		return nil, true
	}
	name, ok := strings.CutPrefix(f.field, "custom_attributes.")
	if !ok || f.ftype == "date" {
		return nil, false
	}
	var key string
	switch x := operand.(type) {
	case string:
		key = valueKey(x)
	case float64:
		key = valueKey(x)
	case bool:
		key = valueKey(x)
	default:
		return nil, false
	}
	return s.st.byCustom[name][key], true
}

func (s *Server) handleSearchContacts(r *http.Request) (any, error) {
	data, herr := readAll(r) // before locking: a slow client must not hold the lock
	if herr != nil {
		return nil, herr
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	req, herr := parseSearchRequest(data, s.contactFieldType)
	if herr != nil {
		return nil, herr
	}
	var hits []hit[*contact]
	consider := func(c *contact) {
		if c.deleted || c.archived || !req.query.match(func(f string) any { return contactField(c, f) }) {
			return
		}
		var key any
		if req.sortField != "" {
			key = comparable(contactField(c, req.sortField))
		}
		hits = append(hits, hit[*contact]{item: c, key: key, seq: c.seq})
	}
	if set, ok := s.candidatesLocked(req.query); ok {
		for c := range set {
			consider(c)
		}
	} else {
		for i, c := range s.st.contactOrder {
			if i%4096 == 0 && ctxDone(r.Context()) {
				return nil, r.Context().Err() // the client is gone
			}
			consider(c)
		}
	}
	got, next := pageOf(req, hits)
	out := contactList{Type: "list", Data: make([]contactJSON, 0, len(got)), TotalCount: len(hits),
		Pages: pages{Type: "pages", Page: req.page, PerPage: req.perPage, TotalPages: totalPages(len(hits), req.perPage)}}
	for _, c := range got {
		out.Data = append(out.Data, s.contactJSON(c, false))
	}
	if next != "" {
		out.Pages.Next = &pagesNext{Page: req.page + 1, StartingAfter: next}
	}
	return out, nil
}
