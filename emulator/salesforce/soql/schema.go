package soql

import "time"

// Field describes one field of an object as the describe call would.
type Field struct {
	// Name is the canonical (describe) spelling, e.g. "Email".
	Name string
	// Type is the describe type: id, string, textarea, email, phone, url,
	// picklist, multipicklist, combobox, reference, boolean, int, double,
	// currency, percent, date, datetime.
	Type string
}

// Schema is how the engine learns objects and fields. Lookups are
// case-insensitive and return canonical names.
type Schema interface {
	// Object resolves an sObject name, e.g. "lead" → "Lead".
	Object(name string) (canonical string, ok bool)
	// Field resolves a field of a (canonical) object.
	Field(object, name string) (Field, bool)
	// Relationship resolves a parent relationship of a (canonical) object,
	// e.g. ("Lead", "owner") → ("User", "OwnerId"). target and fkField are
	// canonical.
	Relationship(object, name string) (target, fkField string, ok bool)
}

// Record is one stored record. Get takes a canonical field name and returns
// nil, string, bool or float64; date fields hold "2006-01-02" strings and
// datetime fields "2006-01-02T15:04:05.000+0000" strings.
type Record interface {
	Get(field string) any
}

// RecordGetter fetches any record by id, whatever its object. It is what
// parent paths such as Owner.Email are followed with.
type RecordGetter interface {
	Get(id string) (Record, bool)
}

// Source is the emulator's record store as the engine sees it.
type Source interface {
	Schema
	RecordGetter
	// Scan calls fn for every record of object (deleted ones only when
	// includeDeleted) until fn returns false.
	Scan(object string, includeDeleted bool, fn func(Record) bool)
	// Lookup returns the records of object whose field equals one of
	// values, using an index. It reports ok=false when field is not
	// indexed; the engine then scans. values hold strings, float64 or
	// bools, without duplicates. The result may be a superset (the engine
	// re-applies the whole WHERE clause) but must not miss a record that
	// SOQL equality would match: text compares case-insensitively, and a
	// 15-character id equals its 18-character form. Each record must
	// appear at most once.
	Lookup(object, field string, values []any, includeDeleted bool) (records []Record, ok bool)
}

// ExecOptions tunes one execution.
type ExecOptions struct {
	// IncludeDeleted is true for /queryAll.
	IncludeDeleted bool
	// Now anchors relative date literals (TODAY, LAST_N_DAYS:n). They are
	// computed in UTC. The zero value means time.Now().
	Now time.Time
}

// Result is what Execute returns.
type Result struct {
	// Records are the matching records in order, after OFFSET and LIMIT.
	// Empty for COUNT() queries.
	Records []Record
	// Count is the COUNT() value for COUNT() queries and len(Records)
	// otherwise; either way it is the response's totalSize.
	Count int
}
