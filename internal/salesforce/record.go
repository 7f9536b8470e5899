package salesforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Record is one sObject as Salesforce returns it: field name to value, with
// parent relationships (Owner.Email) as nested Records and "attributes"
// holding the type and URL. Numbers are json.Number so that currency and
// large values keep their exact text.
//
// The sync engine reads arbitrary mapped fields by name; the helpers accept
// dotted relationship paths.
type Record map[string]any

// Type returns attributes.type, e.g. "Lead".
func (r Record) Type() string {
	if a, ok := r["attributes"].(map[string]any); ok {
		s, _ := a["type"].(string)
		return s
	}
	return ""
}

// ID returns the Id field.
func (r Record) ID() string {
	return r.String("Id")
}

// Get returns the value at a field name or a dotted relationship path such
// as "Owner.Email" (field names are matched exactly first, then
// case-insensitively, as Salesforce treats them). It returns nil, false when
// the field is absent, and nil, true when it is present and null (including
// a null parent on the path).
func (r Record) Get(path string) (any, bool) {
	var cur any = map[string]any(r)
	for part := range strings.SplitSeq(path, ".") {
		m, ok := asMap(cur)
		if !ok {
			if cur == nil {
				return nil, true // null parent: the whole path is null
			}
			return nil, false
		}
		v, ok := lookupField(m, part)
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, true
}

func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case Record:
		return m, true
	}
	return nil, false
}

func lookupField(m map[string]any, name string) (any, bool) {
	if v, ok := m[name]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// String returns the value at path as a string: strings as is, numbers and
// booleans in their JSON text, "" for null or absent.
func (r Record) String(path string) string {
	v, _ := r.Get(path)
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	default:
		return fmt.Sprint(x)
	}
}

// Bool returns the boolean at path (false for null or absent).
func (r Record) Bool(path string) bool {
	v, _ := r.Get(path)
	b, _ := v.(bool)
	return b
}

// Time parses the dateTime or date at path. Salesforce writes
// 2006-01-02T15:04:05.000+0000; RFC 3339 and plain dates are accepted too.
// A null or absent field gives the zero time and no error.
func (r Record) Time(path string) (time.Time, error) {
	s := r.String(path)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("salesforce: field %s: %w", path, err)
	}
	return t, nil
}

// Salesforce's dateTime output layout.
const timeLayout = "2006-01-02T15:04:05.000-0700"

// ParseTime parses a Salesforce dateTime (2006-01-02T15:04:05.000+0000),
// an RFC 3339 time or a date (2006-01-02, as midnight UTC).
func ParseTime(s string) (time.Time, error) {
	for _, layout := range []string{timeLayout, "2006-01-02T15:04:05-0700", time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised time %q", s)
}

// FormatTime formats t the way Salesforce writes dateTimes, in UTC.
func FormatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// decodeRecord decodes one record keeping numbers exact.
func decodeRecord(raw json.RawMessage) (Record, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode record: %w", err)
	}
	return r, nil
}
