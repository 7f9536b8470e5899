package intercom

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a point in time in Unix seconds, as Intercom sends them.
// It also decodes ISO-8601 strings (seen in some webhook items), numeric
// strings and null (zero). It encodes as a Unix integer, or null when zero.
type Timestamp int64

// UnmarshalJSON implements json.Unmarshaler.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		*t = 0
		return nil
	}
	if b[0] != '"' {
		// Integers, and floats Intercom sometimes emits for ms precision.
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return fmt.Errorf("intercom: timestamp %s: %w", b, err)
		}
		*t = Timestamp(int64(f))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("intercom: timestamp: %w", err)
	}
	v, err := ParseTimestamp(s)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalJSON implements json.Marshaler.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t == 0 {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, int64(t), 10), nil
}

// Time returns t as a time.Time in UTC; the zero Timestamp gives the zero
// time.Time.
func (t Timestamp) Time() time.Time {
	if t == 0 {
		return time.Time{}
	}
	return time.Unix(int64(t), 0).UTC()
}

// IsZero reports whether t is unset.
func (t Timestamp) IsZero() bool { return t == 0 }

// TimestampOf converts a time.Time to a Timestamp (zero stays zero).
func TimestampOf(tm time.Time) Timestamp {
	if tm.IsZero() {
		return 0
	}
	return Timestamp(tm.Unix())
}

// isoLayouts are the ISO-8601 shapes seen in Intercom payloads, most
// specific first. "2026-01-10T04:22:28.240+00:00" is RFC 3339 with a
// fraction, which time.RFC3339Nano accepts.
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05 UTC",
	"2006-01-02",
}

// ParseTimestamp parses a Unix-seconds string or an ISO-8601 date-time.
// The empty string gives zero.
func ParseTimestamp(s string) (Timestamp, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return Timestamp(n), nil
	}
	for _, l := range isoLayouts {
		if tm, err := time.Parse(l, s); err == nil {
			return Timestamp(tm.Unix()), nil
		}
	}
	return 0, fmt.Errorf("intercom: unrecognised timestamp %q", s)
}

// FlexString is an identifier Intercom sends sometimes as a JSON string and
// sometimes as a number (admin ids: "991267397" in /admins, 991267397 in
// owner_id and admin_assignee_id). null decodes to "".
type FlexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		*f = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("intercom: id: %w", err)
		}
		*f = FlexString(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("intercom: id %s: %w", b, err)
		}
		*f = FlexString(n.String())
	}
	return nil
}

// String returns the id as a string.
func (f FlexString) String() string { return string(f) }

// decodeJSON decodes with UseNumber so custom attributes keep integers
// exact (Salesforce ids aside, large counters must not become floats).
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}
