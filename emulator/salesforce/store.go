package salesforce

import (
	"fmt"
	"strings"
	"time"
)

// record is one stored sObject row. Field values are kept in their JSON
// form: strings (also ids, dates and datetimes in Salesforce's canonical
// layout, which sorts correctly as text), bools and float64s.
type record struct {
	id      string
	f       map[string]any // canonical field name → value
	deleted bool
	delAt   time.Time
	seq     int64 // creation order, for stable scans
}

// table holds one object's records and its indexes.
type table struct {
	obj   *objectDef
	byID  map[string]*record
	order []*record // creation order, deleted records included
	// idx maps an indexed field (canonical name) to lower-cased value → records.
	idx     map[string]map[string][]*record
	counter int64
}

func newTable(obj *objectDef) *table {
	t := &table{obj: obj, byID: map[string]*record{}, idx: map[string]map[string][]*record{}}
	for _, f := range obj.Fields {
		if f.indexed() {
			t.idx[f.Name] = map[string][]*record{}
		}
	}
	return t
}

// addIndex starts indexing a field added after records exist.
func (t *table) addIndex(f *fieldDef) {
	if _, ok := t.idx[f.Name]; ok {
		return
	}
	m := map[string][]*record{}
	for _, r := range t.order {
		if k, ok := indexKey(r.f[f.Name]); ok {
			m[k] = append(m[k], r)
		}
	}
	t.idx[f.Name] = m
}

// indexKey is the case-insensitive index key of a value, false for null.
func indexKey(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		if v == "" {
			return "", false
		}
		return strings.ToLower(v), true
	default:
		return strings.ToLower(fmt.Sprint(v)), true
	}
}

// lookup returns the records whose indexed field equals v (case-insensitive).
func (t *table) lookup(field string, v any) ([]*record, bool) {
	m, ok := t.idx[field]
	if !ok {
		return nil, false
	}
	k, ok := indexKey(v)
	if !ok {
		return nil, true
	}
	return m[k], true
}

// set replaces a record's fields, keeping indexes in step. A nil old map
// means the record is new.
func (t *table) set(r *record, fields map[string]any) {
	for name, m := range t.idx {
		oldK, hadOld := indexKey(r.f[name])
		newK, hasNew := indexKey(fields[name])
		if hadOld && hasNew && oldK == newK && r.f != nil {
			continue
		}
		if hadOld && r.f != nil {
			list := m[oldK]
			for i, x := range list {
				if x == r {
					list = append(list[:i:i], list[i+1:]...)
					break
				}
			}
			if len(list) == 0 {
				delete(m, oldK)
			} else {
				m[oldK] = list
			}
		}
		if hasNew {
			m[newK] = append(m[newK], r)
		}
	}
	r.f = fields
}

// insert adds a new record.
func (t *table) insert(r *record) {
	fields := r.f
	r.f = nil
	t.byID[r.id] = r
	t.order = append(t.order, r)
	t.set(r, fields)
}

// remove drops a record entirely (used only to undo an insert).
func (t *table) remove(r *record) {
	t.set(r, map[string]any{})
	delete(t.byID, r.id)
	for i := len(t.order) - 1; i >= 0; i-- {
		if t.order[i] == r {
			t.order = append(t.order[:i], t.order[i+1:]...)
			break
		}
	}
}

// Salesforce's case-safe id suffix alphabet.
const idSuffixChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// id18 appends the 3-character case-safe suffix to a 15-character id.
func id18(id15 string) string {
	var suf [3]byte
	for chunk := 0; chunk < 3; chunk++ {
		bits := 0
		for i := 0; i < 5; i++ {
			c := id15[chunk*5+i]
			if c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		suf[chunk] = idSuffixChars[bits]
	}
	return id15 + string(suf[:])
}

// makeID builds an 18-character id: key prefix, a fixed pod/instance part and
// a base-62 serial number.
func makeID(prefix string, n int64) string {
	var serial [9]byte
	for i := 8; i >= 0; i-- {
		serial[i] = base62[n%62]
		n /= 62
	}
	return id18(prefix + "Fy0" + string(serial[:]))
}

// normalizeID accepts a 15- or 18-character id and returns the 18-character
// form, or false if s is not shaped like an id.
func normalizeID(s string) (string, bool) {
	if len(s) != 15 && len(s) != 18 {
		return "", false
	}
	for i := 0; i < 15; i++ {
		if !isAlnum(s[i]) {
			return "", false
		}
	}
	full := id18(s[:15])
	if len(s) == 18 && !strings.EqualFold(full[15:], s[15:]) {
		return "", false
	}
	return full, true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func fmtTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000+0000") }

// parseTime accepts the datetime layouts Salesforce accepts as input.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{
		"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700",
		time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05.000Z0700",
		"2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad datetime %q", s)
}
