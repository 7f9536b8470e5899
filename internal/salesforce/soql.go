package salesforce

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrEmptyInList is returned by InList for an empty list: SOQL has no empty
// IN list, and substituting a placeholder would silently change the query.
var ErrEmptyInList = errors.New("salesforce: IN list needs at least one value")

const hexDigits = "0123456789ABCDEF"

// EscapeSOQL returns s escaped for use as the body of a single-quoted SOQL
// string literal (without the quotes; see QuoteSOQL).
//
// Quotes and backslashes are escaped as SOQL requires; newline, carriage
// return, tab, backspace and form feed use their short escapes, and every
// other control character becomes \uXXXX, so that no input can end the
// literal early or smuggle a line break into the query. Printable Unicode is
// kept as UTF-8. Bytes that are not valid UTF-8 are passed through unchanged:
// they cannot terminate the literal, and dropping or replacing them would
// change the value compared against.
func EscapeSOQL(s string) string {
	return escapeSOQL(s, false)
}

// EscapeSOQLLike is EscapeSOQL for the pattern of a LIKE comparison: it also
// escapes % and _ so that the value matches literally. Add your own
// unescaped % wildcards around the result.
func EscapeSOQLLike(s string) string {
	return escapeSOQL(s, true)
}

func escapeSOQL(s string, like bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			// Multi-byte UTF-8 or an invalid byte: copy as is. Neither can be
			// mistaken for a quote or a backslash.
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteByte(c)
			} else if isUnicodeLineBreak(r) {
				writeUnicodeEscape(&b, r)
			} else {
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		switch c {
		case '\'':
			b.WriteString(`\'`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '%', '_':
			if like {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			if c < 0x20 || c == 0x7f {
				writeUnicodeEscape(&b, rune(c))
			} else {
				b.WriteByte(c)
			}
		}
		i++
	}
	return b.String()
}

// isUnicodeLineBreak reports the non-ASCII characters that some parsers and
// log viewers treat as line ends; escaping them keeps a query one line.
func isUnicodeLineBreak(r rune) bool {
	return r == 0x85 || r == 0x2028 || r == 0x2029
}

func writeUnicodeEscape(b *strings.Builder, r rune) {
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xF])
	}
}

// QuoteSOQL returns s as a complete single-quoted SOQL string literal.
func QuoteSOQL(s string) string {
	return "'" + EscapeSOQL(s) + "'"
}

// InList returns values as a parenthesised SOQL list of quoted literals,
// ready for `Field IN …`, e.g. ('a','b'). Duplicates are dropped (keeping
// the first occurrence) because they only lengthen the URL.
func InList(values []string) (string, error) {
	if len(values) == 0 {
		return "", ErrEmptyInList
	}
	seen := make(map[string]struct{}, len(values))
	var b strings.Builder
	b.WriteByte('(')
	for _, v := range values {
		if _, dup := seen[v]; dup {
			continue
		}
		seen[v] = struct{}{}
		if len(seen) > 1 {
			b.WriteByte(',')
		}
		b.WriteString(QuoteSOQL(v))
	}
	b.WriteByte(')')
	return b.String(), nil
}

// splitInLists groups values, without duplicates, so that each group's IN
// list (see InList) has at most maxValues values and measures at most
// maxSize, size measuring a piece of the list's text ("(", ",", ")" and
// quoted values). A value too big for any list is returned in tooBig.
func splitInLists(values []string, maxValues, maxSize int, size func(string) int) (groups [][]string, tooBig []string) {
	open, sep, closing := size("("), size(","), size(")")
	var cur []string
	curSize := 0
	seen := make(map[string]struct{}, len(values))
	for _, v := range values {
		if _, dup := seen[v]; dup {
			continue
		}
		seen[v] = struct{}{}
		q := size(QuoteSOQL(v))
		if open+q+closing > maxSize {
			tooBig = append(tooBig, v)
			continue
		}
		if len(cur) > 0 && (len(cur) >= maxValues || curSize+sep+q+closing > maxSize) {
			groups = append(groups, cur)
			cur = nil
		}
		if len(cur) == 0 {
			curSize = open + q
		} else {
			curSize += sep + q
		}
		cur = append(cur, v)
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups, tooBig
}

// SOQLDateTime formats t as an unquoted SOQL dateTime literal in UTC
// (2006-01-02T15:04:05Z), the form Salesforce documents. Sub-second precision
// is truncated, so `SystemModstamp >= SOQLDateTime(cursor)` never misses a
// record; it may re-read records of the cursor's second, which pollers
// de-duplicate by Id.
func SOQLDateTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format("2006-01-02T15:04:05Z")
}

// SOQLDate formats t as an unquoted SOQL date literal (2006-01-02) in t's
// own location.
func SOQLDate(t time.Time) string {
	return t.Format(time.DateOnly)
}
