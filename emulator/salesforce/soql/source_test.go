package soql

import (
	"strings"
	"sync/atomic"
)

// memRecord is a record of the in-memory test store.
type memRecord map[string]any

func (r memRecord) Get(field string) any { return r[field] }

type memObject struct {
	name    string
	fields  map[string]Field     // lower-case name → field
	rels    map[string][2]string // lower-case relationship → target, fk
	records []memRecord
	deleted map[string]bool // ids of deleted records
	// index maps an indexed field to a key (lower-cased text, or the
	// 15-character id) → records.
	index map[string]map[string][]memRecord
}

// memSource is a small in-memory Source that counts Scan and Lookup calls
// so tests can tell whether an index was used.
type memSource struct {
	objects map[string]*memObject // lower-case name → object
	byID    map[string]memRecord  // 15-character id → record
	scans   atomic.Int64
	lookups atomic.Int64
}

func newMemSource() *memSource {
	return &memSource{objects: map[string]*memObject{}, byID: map[string]memRecord{}}
}

// addObject declares an object: fields as "Name:type", relationships as
// "Rel:Target:FkField", indexed field names.
func (s *memSource) addObject(name string, fields, rels, indexed []string) {
	o := &memObject{name: name, fields: map[string]Field{}, rels: map[string][2]string{},
		deleted: map[string]bool{}, index: map[string]map[string][]memRecord{}}
	for _, f := range fields {
		n, t, _ := strings.Cut(f, ":")
		o.fields[strings.ToLower(n)] = Field{Name: n, Type: t}
	}
	for _, r := range rels {
		parts := strings.Split(r, ":")
		o.rels[strings.ToLower(parts[0])] = [2]string{parts[1], parts[2]}
	}
	for _, f := range indexed {
		o.index[f] = map[string][]memRecord{}
	}
	s.objects[strings.ToLower(name)] = o
}

func (s *memSource) add(object string, deleted bool, r memRecord) {
	o := s.objects[strings.ToLower(object)]
	o.records = append(o.records, r)
	id := r["Id"].(string)
	s.byID[idKey(id)] = r
	if deleted {
		o.deleted[id] = true
	}
	for f, idx := range o.index {
		if v, ok := r[f].(string); ok {
			k := indexKey(o.fields[strings.ToLower(f)].Type, v)
			idx[k] = append(idx[k], r)
		}
	}
}

func indexKey(fieldType, v string) string {
	if fieldType == "id" || fieldType == "reference" {
		return idKey(v)
	}
	return strings.ToLower(v)
}

func (s *memSource) Object(name string) (string, bool) {
	o, ok := s.objects[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	return o.name, true
}

func (s *memSource) Field(object, name string) (Field, bool) {
	o, ok := s.objects[strings.ToLower(object)]
	if !ok {
		return Field{}, false
	}
	f, ok := o.fields[strings.ToLower(name)]
	return f, ok
}

func (s *memSource) Relationship(object, name string) (string, string, bool) {
	o, ok := s.objects[strings.ToLower(object)]
	if !ok {
		return "", "", false
	}
	r, ok := o.rels[strings.ToLower(name)]
	return r[0], r[1], ok
}

func (s *memSource) Get(id string) (Record, bool) {
	r, ok := s.byID[idKey(id)]
	if !ok {
		return nil, false
	}
	return r, true
}

func (s *memSource) Scan(object string, includeDeleted bool, fn func(Record) bool) {
	s.scans.Add(1)
	o := s.objects[strings.ToLower(object)]
	for _, r := range o.records {
		if !includeDeleted && o.deleted[r["Id"].(string)] {
			continue
		}
		if !fn(r) {
			return
		}
	}
}

func (s *memSource) Lookup(object, field string, values []any, includeDeleted bool) ([]Record, bool) {
	o := s.objects[strings.ToLower(object)]
	idx, ok := o.index[field]
	if !ok {
		return nil, false
	}
	s.lookups.Add(1)
	var out []Record
	for _, v := range values {
		str, ok := v.(string)
		if !ok {
			continue
		}
		for _, r := range idx[indexKey(o.fields[strings.ToLower(field)].Type, str)] {
			if !includeDeleted && o.deleted[r["Id"].(string)] {
				continue
			}
			out = append(out, r)
		}
	}
	return out, true
}
