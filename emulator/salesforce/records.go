package salesforce

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// writeMode says who is writing, which decides what is enforced.
type writeMode int

const (
	// modeAPI is the REST API user: field-level security and read-only
	// fields are enforced.
	modeAPI writeMode = iota
	// modeUI is a person in Salesforce's UI (the control surface): hidden
	// fields may be written, everything else is enforced.
	modeUI
	// modeLoad is a bulk load for tests and benchmarks: system fields such as
	// CreatedDate may be set and references are not checked.
	modeLoad
)

// stamp is the current time, truncated to milliseconds as Salesforce stores it.
func (s *Server) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// tableByName returns the table for an object the API may see.
func (s *Server) tableByName(name string) *table { return s.tables[strings.ToLower(name)] }

// withTable runs fn in the request's transaction (see withTxn) on the table
// named by the path's {object}; unknown objects are 404.
func (s *Server) withTable(r *http.Request, write bool, fn func(tx *txn, t *table) error) error {
	return s.withTxn(r.Context(), write, func(tx *txn) error {
		t := s.tableByName(r.PathValue("object"))
		if t == nil {
			return errNotFound()
		}
		return fn(tx, t)
	})
}

// withRecord is withTable for the live record named by the path's {id}.
func (s *Server) withRecord(r *http.Request, write bool, fn func(tx *txn, t *table, rec *record) error) error {
	return s.withTable(r, write, func(tx *txn, t *table) error {
		rec, err := t.liveRecord(r.PathValue("id"))
		if err != nil {
			return err
		}
		return fn(tx, t, rec)
	})
}

// bodyTable resolves attributes.type of a collection record.
func (s *Server) bodyTable(name string) (*table, error) {
	t := s.tableByName(name)
	if t == nil {
		return nil, errBadRequest("INVALID_TYPE", fmt.Sprintf("sObject type '%s' is not supported.", name))
	}
	return t, nil
}

// find looks a record up by id in any table by its key prefix.
func (s *Server) find(id string) (*table, *record) {
	id, ok := normalizeID(id)
	if !ok {
		return nil, nil
	}
	o := s.schema.byPrefix[id[:3]]
	if o == nil {
		return nil, nil
	}
	t := s.tables[strings.ToLower(o.Name)]
	return t, t.byID[id]
}

// liveRecord returns a record for GET/PATCH/DELETE by id, or the REST error.
func (t *table) liveRecord(id string) (*record, error) {
	full, ok := normalizeID(id)
	if !ok || full[:3] != t.obj.KeyPrefix {
		return nil, &sfError{status: http.StatusNotFound, code: "NOT_FOUND", msg: "Provided external ID field does not exist or is not accessible: " + id}
	}
	r := t.byID[full]
	if r == nil {
		return nil, errNotFound()
	}
	if r.deleted {
		return nil, &sfError{status: http.StatusNotFound, code: "ENTITY_IS_DELETED", msg: "entity is deleted", fields: []string{}}
	}
	return r, nil
}

// create inserts a record and returns its id.
func (tx *txn) create(t *table, in map[string]any, mode writeMode) (string, error) {
	s := tx.s
	o := t.obj
	now := s.stamp()
	vals := make(map[string]any, len(in)+12)
	for k, v := range in {
		if k == "attributes" {
			continue
		}
		if strings.EqualFold(k, "Id") && mode != modeLoad {
			return "", errBadRequest("INVALID_FIELD", "The Id field should not be specified in the sobject data.")
		}
		f := o.field(k)
		if f == nil || (f.Hidden && mode == modeAPI) {
			return "", errBadRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", k, o.Name))
		}
		if (!f.Createable || f.ReadOnly && mode == modeAPI) && mode != modeLoad {
			return "", errBadRequest("INVALID_FIELD_FOR_INSERT_UPDATE", insertUpdateMsg(f), f.Name)
		}
		cv, err := s.convertValue(f, v, mode)
		if err != nil {
			return "", err
		}
		vals[f.Name] = cv
	}
	// Defaults, then required fields.
	var missing []string
	for _, f := range o.Fields {
		if v, given := vals[f.Name]; given {
			if v == nil && f.required() {
				missing = append(missing, f.Name)
			}
			continue
		}
		switch {
		case f.DefaultValue != nil:
			vals[f.Name] = f.DefaultValue
		case f.Type == typeBoolean:
			vals[f.Name] = false
		case f.required() && mode != modeLoad:
			missing = append(missing, f.Name)
		}
		// Null fields are simply absent: records stay small at scale.
	}
	if len(missing) > 0 {
		return "", errBadRequest("REQUIRED_FIELD_MISSING", "Required fields are missing: ["+strings.Join(missing, ", ")+"]", missing...)
	}
	if mode != modeLoad {
		if err := tx.validate(o, vals); err != nil {
			return "", err
		}
	}
	if mode == modeAPI {
		tx.assign(o, vals)
	}
	t.counter++
	id := makeID(o.KeyPrefix, t.counter)
	if mode == modeLoad {
		if v, ok := vals["Id"].(string); ok && v != "" {
			id = v
		}
	}
	vals["Id"] = id
	if o.field("OwnerId") != nil && vals["OwnerId"] == nil {
		vals["OwnerId"] = s.userID
	}
	ts := fmtTime(now)
	for _, k := range []string{"CreatedDate", "LastModifiedDate", "SystemModstamp"} {
		if vals[k] == nil {
			vals[k] = ts
		}
	}
	for _, k := range []string{"CreatedById", "LastModifiedById"} {
		if vals[k] == nil {
			vals[k] = s.userID
		}
	}
	if o.Name == "Case" && vals["CaseNumber"] == nil {
		s.caseSeq++
		vals["CaseNumber"] = fmt.Sprintf("%08d", 1000+s.caseSeq)
	}
	s.derive(o, vals, nil, now)
	if err := tx.checkUnique(t, vals, nil); err != nil {
		return "", err
	}
	r := &record{id: id, f: vals, seq: t.counter}
	if _, dup := t.byID[id]; dup {
		return "", errBadRequest("DUPLICATE_VALUE", "duplicate value found: Id duplicates value on record with id: "+id)
	}
	t.insert(r)
	if mode != modeLoad { // LoadRecords undoes its own inserts
		tx.onUndo(func() { t.remove(r) })
	}
	tx.noteChange(t, id, ChangeCreate, nil, vals)
	if o.Name == "User" {
		if err := tx.syncProfileAssignment(id, nil, vals["ProfileId"]); err != nil {
			return "", err
		}
	}
	return id, nil
}

func insertUpdateMsg(f *fieldDef) string {
	return fmt.Sprintf("Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.Name)
}

// update changes fields of a live record.
func (tx *txn) update(t *table, r *record, in map[string]any, mode writeMode) error {
	s := tx.s
	o := t.obj
	if o.Name == "Lead" && r.f["IsConverted"] == true && mode == modeAPI {
		return errBadRequest("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
	}
	now := s.stamp()
	vals := make(map[string]any, len(r.f))
	for k, v := range r.f {
		vals[k] = v
	}
	var missing []string
	for k, v := range in {
		if k == "attributes" {
			continue
		}
		if strings.EqualFold(k, "Id") {
			if id, ok := v.(string); ok {
				if full, ok := normalizeID(id); ok && full == r.id {
					continue
				}
			}
			return errBadRequest("INVALID_FIELD", "The Id field should not be specified in the sobject data.")
		}
		f := o.field(k)
		if f == nil || (f.Hidden && mode == modeAPI) {
			return errBadRequest("INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", k, o.Name))
		}
		if (!f.Updateable || f.ReadOnly && mode == modeAPI) && mode != modeLoad {
			return errBadRequest("INVALID_FIELD_FOR_INSERT_UPDATE", insertUpdateMsg(f), f.Name)
		}
		cv, err := s.convertValue(f, v, mode)
		if err != nil {
			return err
		}
		if cv == nil && f.Type == typeBoolean {
			cv = false
		}
		if cv == nil && !f.Nillable {
			missing = append(missing, f.Name)
		}
		if cv == nil {
			delete(vals, f.Name)
		} else {
			vals[f.Name] = cv
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return errBadRequest("REQUIRED_FIELD_MISSING", "Required fields are missing: ["+strings.Join(missing, ", ")+"]", missing...)
	}
	ts := fmtTime(now)
	if mode != modeLoad || in["LastModifiedDate"] == nil {
		vals["LastModifiedDate"] = ts
	}
	if mode != modeLoad || in["SystemModstamp"] == nil {
		vals["SystemModstamp"] = ts
	}
	vals["LastModifiedById"] = s.userID
	if mode != modeLoad {
		if err := tx.validate(o, vals); err != nil {
			return err
		}
	}
	if mode == modeAPI {
		tx.assign(o, vals)
	}
	s.derive(o, vals, r.f, now)
	if err := tx.checkUnique(t, vals, r); err != nil {
		return err
	}
	oldProfile := r.f["ProfileId"]
	tx.replace(t, r, vals)
	if o.Name == "User" {
		return tx.syncProfileAssignment(r.id, oldProfile, vals["ProfileId"])
	}
	return nil
}

// replace swaps a record's fields with undo.
func (tx *txn) replace(t *table, r *record, vals map[string]any) {
	old := r.f
	t.set(r, vals)
	tx.onUndo(func() { t.set(r, old) })
	tx.noteChange(t, r.id, ChangeUpdate, old, vals)
}

// remove soft-deletes a record (it stays for queryAll and deleted).
func (tx *txn) remove(t *table, r *record) {
	now := tx.s.stamp()
	vals := make(map[string]any, len(r.f))
	for k, v := range r.f {
		vals[k] = v
	}
	vals["IsDeleted"] = true
	vals["SystemModstamp"] = fmtTime(now)
	old, oldAt := r.f, r.delAt
	t.set(r, vals)
	r.deleted, r.delAt = true, now
	tx.onUndo(func() {
		t.set(r, old)
		r.deleted, r.delAt = false, oldAt
	})
	tx.noteChange(t, r.id, ChangeDelete, old, vals)
}

// restore undeletes a soft-deleted record.
func (tx *txn) restore(t *table, r *record) {
	vals := make(map[string]any, len(r.f))
	for k, v := range r.f {
		vals[k] = v
	}
	vals["IsDeleted"] = false
	vals["SystemModstamp"] = fmtTime(tx.s.stamp())
	old, oldAt := r.f, r.delAt
	t.set(r, vals)
	r.deleted, r.delAt = false, time.Time{}
	tx.onUndo(func() {
		t.set(r, old)
		r.deleted, r.delAt = true, oldAt
	})
	tx.noteChange(t, r.id, ChangeUndelete, old, vals)
}

// checkUnique enforces unique fields; self is the record being updated.
func (tx *txn) checkUnique(t *table, vals map[string]any, self *record) error {
	for _, f := range t.obj.Fields {
		if !f.Unique || vals[f.Name] == nil {
			continue
		}
		if self != nil {
			if a, _ := indexKey(self.f[f.Name]); a != "" {
				if b, _ := indexKey(vals[f.Name]); a == b {
					continue
				}
			}
		}
		recs, _ := t.lookup(f.Name, vals[f.Name])
		for _, other := range recs {
			if other != self && !other.deleted {
				return errBadRequest("DUPLICATE_VALUE", fmt.Sprintf("duplicate value found: %s duplicates value on record with id: %s", f.Name, other.id))
			}
		}
	}
	return nil
}

// derive maintains calculated fields after a write.
func (s *Server) derive(o *objectDef, vals, old map[string]any, now time.Time) {
	if o.compoundName {
		first, _ := vals["FirstName"].(string)
		last, _ := vals["LastName"].(string)
		vals["Name"] = strings.TrimSpace(first + " " + last)
	}
	switch o.Name {
	case "Opportunity":
		stage, _ := vals["StageName"].(string)
		vals["IsClosed"] = stage == "Closed Won" || stage == "Closed Lost"
		vals["IsWon"] = stage == "Closed Won"
	case "Task":
		vals["IsClosed"] = vals["Status"] == "Completed"
		var acct any
		if what, _ := vals["WhatId"].(string); strings.HasPrefix(what, "001") {
			acct = what
		} else if who, _ := vals["WhoId"].(string); strings.HasPrefix(who, "003") {
			if _, c := s.find(who); c != nil {
				acct = c.f["AccountId"]
			}
		}
		vals["AccountId"] = acct
	case "Case":
		closed := vals["Status"] == "Closed"
		vals["IsClosed"] = closed
		if closed && (old == nil || old["IsClosed"] != true) {
			vals["ClosedDate"] = fmtTime(now)
		} else if !closed {
			vals["ClosedDate"] = nil
		}
	}
}

// convertValue checks a JSON (or Go) value against a field and returns it in
// stored form.
func (s *Server) convertValue(f *fieldDef, v any, mode writeMode) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func(kind string) error {
		return errBadRequest("JSON_PARSER_ERROR", fmt.Sprintf("Cannot deserialize instance of %s from value %v or request may be missing a required field", kind, v))
	}
	switch f.Type {
	case typeBoolean:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			if p, err := strconv.ParseBool(b); err == nil {
				return p, nil
			}
		}
		return nil, bad("boolean")
	case typeDouble, typeCurrency, typePercent, typeInt:
		var n float64
		switch x := v.(type) {
		case json.Number:
			p, err := x.Float64()
			if err != nil {
				return nil, bad("double")
			}
			n = p
		case float64:
			n = x
		case int:
			n = float64(x)
		case int64:
			n = float64(x)
		case string:
			p, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return nil, bad("double")
			}
			n = p
		default:
			return nil, bad("double")
		}
		if f.Type == typeInt && n != math.Trunc(n) {
			return nil, bad("int")
		}
		return n, nil
	case typeDate:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Format("2006-01-02"), nil
		case string:
			if len(x) >= 10 {
				if _, err := time.Parse("2006-01-02", x[:10]); err == nil {
					return x[:10], nil
				}
			}
		}
		return nil, bad("date")
	case typeDatetime:
		switch x := v.(type) {
		case time.Time:
			return fmtTime(x), nil
		case string:
			t, err := parseTime(x)
			if err == nil {
				return fmtTime(t), nil
			}
		}
		return nil, bad("datetime")
	}
	// Text-like types.
	var str string
	switch x := v.(type) {
	case string:
		str = x
	case json.Number:
		str = x.String()
	case bool, float64, int, int64:
		str = fmt.Sprint(x)
	default:
		return nil, bad("string")
	}
	if str == "" {
		return nil, nil
	}
	switch f.Type {
	case typeReference, typeID:
		id, ok := normalizeID(str)
		if !ok || !refAllowed(f, id) {
			return nil, errBadRequest("MALFORMED_ID", fmt.Sprintf("%s: id value of incorrect type: %s", f.Label, str), f.Name)
		}
		if mode == modeLoad {
			return id, nil
		}
		_, target := s.find(id)
		if target == nil {
			return nil, errBadRequest("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", f.Name)
		}
		if target.deleted {
			return nil, errBadRequest("ENTITY_IS_DELETED", "entity is deleted", f.Name)
		}
		if id[:3] == "00Q" && target.f["IsConverted"] == true {
			return nil, errBadRequest("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", f.Name)
		}
		return id, nil
	case typeEmail:
		if !validEmail(str) {
			return nil, errBadRequest("INVALID_EMAIL_ADDRESS", fmt.Sprintf("%s: invalid email address: %s", f.Label, str), f.Name)
		}
	case typePicklist:
		if f.RestrictedPicklist && !f.hasPicklistValue(str) {
			return nil, errBadRequest("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", fmt.Sprintf("%s: bad value for restricted picklist field: %s", f.Label, str), f.Name)
		}
	}
	if f.Length > 0 && len([]rune(str)) > f.Length {
		return nil, errBadRequest("STRING_TOO_LONG", fmt.Sprintf("%s: data value too large: %s (max length=%d)", f.Label, str, f.Length), f.Name)
	}
	return str, nil
}

func refAllowed(f *fieldDef, id string) bool {
	if f.Type == typeID {
		return true
	}
	for _, to := range f.ReferenceTo {
		if p := refPrefixes[to]; p == id[:3] {
			return true
		}
	}
	return false
}

// refPrefixes maps object names to key prefixes for reference checks.
var refPrefixes = map[string]string{
	"UserRole": "00E", "User": "005", "Account": "001", "Contact": "003", "Lead": "00Q",
	"Opportunity": "006", "OpportunityContactRole": "00K", "Task": "00T", "Case": "500",
	"Profile": "00e", "PermissionSet": "0PS", "PermissionSetAssignment": "0Pa", "ObjectPermissions": "110", "AssignmentRule": "01Q",
}

func validEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.ContainsAny(s, " ,;<>") {
		return false
	}
	dom := s[at+1:]
	return strings.Contains(dom, ".") && !strings.HasPrefix(dom, ".") && !strings.HasSuffix(dom, ".")
}

// renderRecord appends a record as Salesforce returns it: attributes first,
// then the given fields in order.
func renderRecord(b []byte, o *objectDef, r *record, fields []*fieldDef, version string) []byte {
	b = append(b, `{"attributes":{"type":`...)
	b = appendJSON(b, o.Name)
	b = append(b, `,"url":`...)
	b = appendJSON(b, "/services/data/"+version+"/sobjects/"+o.Name+"/"+r.id)
	b = append(b, '}')
	for _, f := range fields {
		b = append(b, ',')
		b = appendJSON(b, f.Name)
		b = append(b, ':')
		b = appendJSON(b, r.f[f.Name])
	}
	return append(b, '}')
}

// appendJSON appends the JSON encoding of a stored value.
func appendJSON(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.AppendInt(b, int64(x), 10)
		}
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	case string:
		if plainASCII(x) {
			b = append(b, '"')
			b = append(b, x...)
			return append(b, '"')
		}
	}
	enc, _ := marshalJSON(v)
	return append(b, enc...)
}

// plainASCII reports whether s needs no JSON escaping.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// visibleFields are the fields the API user can see, in schema order.
func visibleFields(o *objectDef) []*fieldDef {
	out := make([]*fieldDef, 0, len(o.Fields))
	for _, f := range o.Fields {
		if !f.Hidden {
			out = append(out, f)
		}
	}
	return out
}
