package sync

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Salesforce date and datetime wire formats (reference/salesforce-api.md §2).
const (
	SFDateLayout     = "2006-01-02"
	SFDateTimeLayout = "2006-01-02T15:04:05.000+0000"
)

// maxExactFloat is the largest integer a float64 holds exactly; JSON numbers
// beyond it may already have lost digits.
const maxExactFloat = 1 << 53

// sfTypesFor lists, per Intercom data type, the Salesforce field types it may
// map to (F3.1).
var sfTypesFor = map[string][]string{
	"string":  {"string", "textarea", "email", "phone", "url", "picklist"},
	"integer": {"int", "double", "currency"},
	"float":   {"double", "currency", "percent"},
	"boolean": {"boolean"},
	"date":    {"date", "datetime"},
}

// NormalizeICType maps Intercom data type spellings to the five F3.1 kinds:
// "text" (the UI's name) becomes "string" and "datetime" (accepted by the
// create endpoint) becomes "date".
func NormalizeICType(t string) string {
	switch t {
	case "text":
		return "string"
	case "datetime":
		return "date"
	}
	return t
}

// CompatibleSFTypes returns the Salesforce field types an Intercom data type
// may map to, or nil for an unknown type.
func CompatibleSFTypes(icType string) []string {
	return sfTypesFor[NormalizeICType(icType)]
}

// Compatible reports whether an Intercom attribute of type icType may be
// mapped to Salesforce field f (F3.1): text ↔ string/textarea/email/phone/
// url/picklist, integer ↔ int/double/currency, float ↔ double/currency/
// percent, boolean ↔ boolean, date ↔ date/datetime.
func Compatible(icType string, f SFField) bool {
	for _, t := range sfTypesFor[NormalizeICType(icType)] {
		if t == f.Type {
			return true
		}
	}
	return false
}

// ToSalesforce converts a value of an Intercom attribute of type icType into
// the value to send for Salesforce field f. nil and "" clear the field (nil
// in the result); booleans clear to false because Salesforce booleans are
// never null. Errors name the field and say what is wrong with the value.
func ToSalesforce(value any, icType string, f SFField) (any, error) {
	icType = NormalizeICType(icType)
	if !Compatible(icType, f) {
		return nil, fmt.Errorf("%s attribute cannot map to Salesforce %s field %s", icType, f.Type, f.Ref())
	}
	if isEmpty(value) {
		if f.Type == "boolean" {
			return false, nil
		}
		if !f.Nillable {
			return nil, fmt.Errorf("%s cannot be empty: Salesforce requires a value", f.Ref())
		}
		return nil, nil
	}
	switch f.Type {
	case "string", "textarea", "email", "phone", "url", "picklist":
		s, ok := scalarString(value)
		if !ok {
			return nil, fmt.Errorf("value %s is not text for %s", show(value), f.Ref())
		}
		return textToSalesforce(s, f)
	case "int":
		n, err := integerValue(value, icType, f)
		if err != nil {
			return nil, err
		}
		if err := checkIntDigits(n, f); err != nil {
			return nil, err
		}
		return n, nil
	case "double", "currency", "percent":
		if icType == "integer" {
			n, err := integerValue(value, icType, f)
			if err != nil {
				return nil, err
			}
			if err := checkNumberDigits(float64(n), f); err != nil {
				return nil, err
			}
			return n, nil
		}
		x, ok := numberValue(value)
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("value %s is not a number for %s", show(value), f.Ref())
		}
		if err := checkNumberDigits(x, f); err != nil {
			return nil, err
		}
		return x, nil
	case "boolean":
		b, ok := boolValue(value)
		if !ok {
			return nil, fmt.Errorf("value %s is not true or false for %s", show(value), f.Ref())
		}
		return b, nil
	case "date", "datetime":
		t, err := intercomTime(value)
		if err != nil {
			return nil, fmt.Errorf("value %s is not a date for %s: %w", show(value), f.Ref(), err)
		}
		if f.Type == "date" {
			return t.Format(SFDateLayout), nil
		}
		return t.Format(SFDateTimeLayout), nil
	}
	return nil, fmt.Errorf("salesforce field %s has unsupported type %s", f.Ref(), f.Type)
}

// textToSalesforce enforces the length limit and the picklist rules (F3.2):
// a restricted picklist accepts only its values, matched case-insensitively
// and sent with Salesforce's spelling; ferry never adds options to it.
func textToSalesforce(s string, f SFField) (any, error) {
	if f.Type == "picklist" {
		if v, ok := pickValue(f.PicklistValues, s); ok {
			return v, nil
		}
		if f.RestrictedPicklist {
			return nil, fmt.Errorf("value %s is not in the restricted picklist %s (Salesforce allows only: %s)",
				show(s), f.Ref(), listOrNone(f.PicklistValues))
		}
	}
	if f.Type == "email" && !looksLikeEmail(s) {
		return nil, fmt.Errorf("value %s is not an email address for %s", show(s), f.Ref())
	}
	if n := utf8.RuneCountInString(s); f.Length > 0 && n > f.Length {
		return nil, fmt.Errorf("value %s is %d characters, longer than the maximum length %d of %s",
			show(s), n, f.Length, f.Ref())
	}
	return s, nil
}

// looksLikeEmail catches what Salesforce would refuse with
// INVALID_EMAIL_ADDRESS in the common cases: one @, text on both sides, a
// dot in the domain, no spaces. It is deliberately not a full RFC 5322
// parser.
func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") &&
		!strings.HasSuffix(domain, ".") && !strings.ContainsAny(s, " \t\r\n,;<>") && !strings.Contains(domain, "@")
}

// ToIntercom converts a value of Salesforce field f into the value to send for
// an Intercom attribute of type icType. nil clears the attribute. A picklist
// value missing from an Intercom list attribute is not an error here: see
// [MissingOptions] and [Plan], which report it as an option to add.
func ToIntercom(value any, f SFField, icType string) (any, error) {
	icType = NormalizeICType(icType)
	if !Compatible(icType, f) {
		return nil, fmt.Errorf("salesforce %s field %s cannot map to a %s attribute", f.Type, f.Ref(), icType)
	}
	if value == nil {
		return nil, nil
	}
	switch icType {
	case "string":
		s, ok := scalarString(value)
		if !ok {
			return nil, fmt.Errorf("value %s of %s is not text", show(value), f.Ref())
		}
		if s == "" {
			return nil, nil
		}
		return s, nil
	case "integer":
		x, ok := numberValue(value)
		if !ok {
			return nil, fmt.Errorf("value %s of %s is not a number", show(value), f.Ref())
		}
		if x != math.Trunc(x) || math.Abs(x) > maxExactFloat {
			return nil, fmt.Errorf("value %s of %s is not an integer and cannot be stored in an Intercom integer attribute", show(value), f.Ref())
		}
		return int64(x), nil
	case "float":
		x, ok := numberValue(value)
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("value %s of %s is not a number", show(value), f.Ref())
		}
		return x, nil
	case "boolean":
		b, ok := boolValue(value)
		if !ok {
			return nil, fmt.Errorf("value %s of %s is not true or false", show(value), f.Ref())
		}
		return b, nil
	case "date":
		s, ok := value.(string)
		if !ok {
			return nil, fmt.Errorf("value %s of %s is not a Salesforce date", show(value), f.Ref())
		}
		if s == "" {
			return nil, nil
		}
		t, err := ParseSFTime(s)
		if err != nil {
			return nil, fmt.Errorf("value %s of %s: %w", show(value), f.Ref(), err)
		}
		return t.Unix(), nil
	}
	return nil, fmt.Errorf("unsupported Intercom data type %q", icType)
}

// ParseSFTime parses a Salesforce date ("2006-01-02", midnight UTC) or
// datetime ("2006-01-02T15:04:05.000+0000", also with Z or ±hh:mm).
func ParseSFTime(s string) (time.Time, error) {
	for _, layout := range []string{SFDateTimeLayout, "2006-01-02T15:04:05Z0700", time.RFC3339Nano, SFDateLayout} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a Salesforce date or datetime", s)
}

// MissingOptions returns the picklist values of f that Intercom list
// attribute a lacks, in picklist order. ferry adds them to the Intercom list
// (F3.2). It returns nil when a is not a list attribute.
func MissingOptions(a ICAttribute, f SFField) []string {
	if !a.IsList() || f.Type != "picklist" {
		return nil
	}
	var missing []string
	for _, v := range f.PicklistValues {
		if _, ok := pickValue(a.Options, v); !ok {
			missing = append(missing, v)
		}
	}
	return missing
}

// UnsendableOptions returns the options of Intercom list attribute a that the
// restricted picklist f lacks: values Intercom may hold that Salesforce will
// refuse. It returns nil when f is not restricted or a is not a list.
func UnsendableOptions(a ICAttribute, f SFField) []string {
	if !a.IsList() || f.Type != "picklist" || !f.RestrictedPicklist {
		return nil
	}
	var bad []string
	for _, o := range a.Options {
		if _, ok := pickValue(f.PicklistValues, o); !ok {
			bad = append(bad, o)
		}
	}
	return bad
}

// pickValue finds s among values, case-insensitively, and returns the listed
// spelling.
func pickValue(values []string, s string) (string, bool) {
	for _, v := range values {
		if v == s {
			return v, true
		}
	}
	for _, v := range values {
		if strings.EqualFold(v, s) {
			return v, true
		}
	}
	return "", false
}

func isEmpty(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && s == ""
}

// scalarString renders strings, numbers and booleans as text; Intercom text
// attributes sometimes arrive holding a number.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	}
	return "", false
}

// numberValue reads a JSON number, a Go number or a numeric string.
func numberValue(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// integerValue reads a whole number; fractional and non-numeric values are
// errors naming the field.
func integerValue(v any, icType string, f SFField) (int64, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
	case string:
		if n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return n, nil
		}
	}
	x, ok := numberValue(v)
	if !ok || x != math.Trunc(x) || math.Abs(x) > maxExactFloat {
		return 0, fmt.Errorf("value %s is not an integer for %s", show(v), f.Ref())
	}
	return int64(x), nil
}

// checkIntDigits keeps values inside the field's digits, or inside the 32-bit
// range Salesforce int fields have when the describe gives no precision.
func checkIntDigits(n int64, f SFField) error {
	if f.Precision > 0 {
		if digits(n) > f.Precision {
			return fmt.Errorf("value %d has more than the %d digits %s allows", n, f.Precision, f.Ref())
		}
		return nil
	}
	if n > math.MaxInt32 || n < math.MinInt32 {
		return fmt.Errorf("value %d is out of range for %s", n, f.Ref())
	}
	return nil
}

// checkNumberDigits checks the integer part against precision minus scale.
func checkNumberDigits(x float64, f SFField) error {
	if f.Precision <= 0 {
		return nil
	}
	max := f.Precision - f.Scale
	if math.Abs(x) >= math.Pow10(max) {
		return fmt.Errorf("value %s has more than the %d digits before the decimal point %s allows",
			strconv.FormatFloat(x, 'f', -1, 64), max, f.Ref())
	}
	return nil
}

func digits(n int64) int {
	if n < 0 {
		n = -n
	}
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}

func boolValue(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(x))
		return b, err == nil
	}
	return false, false
}

// intercomTime reads an Intercom date value: Unix seconds (the API's form),
// or an ISO-8601 string as some webhook payloads carry.
func intercomTime(v any) (time.Time, error) {
	if s, ok := v.(string); ok {
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return unixTime(n)
		}
		for _, layout := range []string{time.RFC3339Nano, SFDateTimeLayout, SFDateLayout} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("want Unix seconds")
	}
	x, ok := numberValue(v)
	if !ok || x != math.Trunc(x) || math.Abs(x) > maxExactFloat {
		return time.Time{}, fmt.Errorf("want Unix seconds")
	}
	return unixTime(int64(x))
}

// unixTime bounds timestamps to years 0001–9999, which Salesforce can store.
func unixTime(n int64) (time.Time, error) {
	const minUnix, maxUnix = -62135596800, 253402300799
	if n < minUnix || n > maxUnix {
		return time.Time{}, fmt.Errorf("timestamp %d is outside years 1-9999", n)
	}
	return time.Unix(n, 0).UTC(), nil
}

// show quotes a value for an error message, shortening long text so that
// errors stay readable.
func show(v any) string {
	if s, ok := v.(string); ok {
		if utf8.RuneCountInString(s) > 40 {
			r := []rune(s)
			return strconv.Quote(string(r[:40]) + "…")
		}
		return strconv.Quote(s)
	}
	if s, ok := scalarString(v); ok {
		return s
	}
	return fmt.Sprintf("%v", v)
}

func listOrNone(vs []string) string {
	if len(vs) == 0 {
		return "(none)"
	}
	return strings.Join(vs, ", ")
}

// Offerable reports whether the admin may map Intercom attribute a to
// Salesforce field f in direction dir (F3.1, F3.2): the types are
// compatible and every receiving side is writable. Read-only fields are
// never offered as targets.
func Offerable(a ICAttribute, f SFField, dir Direction) bool {
	if !dir.Valid() || !Compatible(a.DataType, f) {
		return false
	}
	if dir.Allows(Intercom) && !f.Updateable {
		return false
	}
	if dir.Allows(Salesforce) && !a.APIWritable {
		return false
	}
	return true
}

// CandidateFields returns the fields a may be mapped to in direction dir,
// in the order given: what a mapping editor offers.
func CandidateFields(a ICAttribute, fields []SFField, dir Direction) []SFField {
	var out []SFField
	for _, f := range fields {
		if Offerable(a, f, dir) {
			out = append(out, f)
		}
	}
	return out
}
