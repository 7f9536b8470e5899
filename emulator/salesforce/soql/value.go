package soql

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// instant is a date or datetime as the engine compares them: Unix seconds
// and nanoseconds, UTC; a date is its midnight UTC. Unix nanoseconds in one
// int64 would overflow after 2262-04-11 (and before 1677), inside the range
// Salesforce accepts (1700-01-01 to 4000-12-31), so the seconds are kept
// apart and every comparison stays exact.
type instant struct {
	sec  int64
	nsec int32
}

// instantOf converts t.
func instantOf(t time.Time) instant { return instant{sec: t.Unix(), nsec: int32(t.Nanosecond())} }

// compare orders two instants.
func (a instant) compare(b instant) int {
	if c := cmpOrdered(a.sec, b.sec); c != 0 {
		return c
	}
	return cmpOrdered(int64(a.nsec), int64(b.nsec))
}

// addDays moves a by n whole days of 86,400 seconds (UTC has no DST).
func (a instant) addDays(n int64) instant { return instant{sec: a.sec + n*daySeconds, nsec: a.nsec} }

// time returns a as a time.Time in UTC, for messages and tests.
func (a instant) time() time.Time { return time.Unix(a.sec, int64(a.nsec)).UTC() }

const daySeconds = 24 * 60 * 60

// storedTime converts a record's date or datetime value without
// allocating: "2006-01-02", "2006-01-02T15:04:05.000+0000" and the Z and
// ±hh:mm variants. time.Time values are accepted too.
func storedTime(v any) (instant, bool) {
	switch v := v.(type) {
	case string:
		return parseTime(v)
	case time.Time:
		return instantOf(v), true
	}
	return instant{}, false
}

func parseTime(s string) (instant, bool) {
	if len(s) < 10 || !digitsAt(s, 0, 4) || s[4] != '-' || !digitsAt(s, 5, 2) || s[7] != '-' || !digitsAt(s, 8, 2) {
		return instant{}, false
	}
	y, mo, d := num(s[0:4]), num(s[5:7]), num(s[8:10])
	if len(s) == 10 {
		return instantOf(time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)), true
	}
	if len(s) < 19 || (s[10] != 'T' && s[10] != ' ') || !digitsAt(s, 11, 2) || s[13] != ':' || !digitsAt(s, 14, 2) || s[16] != ':' || !digitsAt(s, 17, 2) {
		return instant{}, false
	}
	h, mi, sec := num(s[11:13]), num(s[14:16]), num(s[17:19])
	i := 19
	nsec := 0
	if i < len(s) && s[i] == '.' {
		i++
		scale := 100000000
		for i < len(s) && isDigit(s[i]) {
			nsec += int(s[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	offset := 0
	switch {
	case i == len(s):
	case s[i] == 'Z' || s[i] == 'z':
		i++
	case s[i] == '+' || s[i] == '-':
		sign := 1
		if s[i] == '-' {
			sign = -1
		}
		i++
		if !digitsAt(s, i, 2) {
			return instant{}, false
		}
		oh := num(s[i : i+2])
		i += 2
		if i < len(s) && s[i] == ':' {
			i++
		}
		if !digitsAt(s, i, 2) {
			return instant{}, false
		}
		om := num(s[i : i+2])
		i += 2
		offset = sign * (oh*3600 + om*60)
	default:
		return instant{}, false
	}
	if i != len(s) {
		return instant{}, false
	}
	t := instantOf(time.Date(y, time.Month(mo), d, h, mi, sec, nsec, time.UTC))
	t.sec -= int64(offset)
	return t, true
}

func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// storedNumber converts a record's numeric value.
func storedNumber(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case float32:
		return float64(v), true
	}
	return 0, false
}

// compareFold orders strings case-insensitively, as SOQL compares text,
// without allocating.
func compareFold(a, b string) int {
	for a != "" && b != "" {
		ca, cb := a[0], b[0]
		if ca < utf8.RuneSelf && cb < utf8.RuneSelf {
			if 'A' <= ca && ca <= 'Z' {
				ca += 'a' - 'A'
			}
			if 'A' <= cb && cb <= 'Z' {
				cb += 'a' - 'A'
			}
			if ca != cb {
				if ca < cb {
					return -1
				}
				return 1
			}
			a, b = a[1:], b[1:]
			continue
		}
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			la, lb := unicode.ToLower(ra), unicode.ToLower(rb)
			if la != lb {
				if la < lb {
					return -1
				}
				return 1
			}
		}
		a, b = a[na:], b[nb:]
	}
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	}
	return 1
}

// isIDLength reports whether s has the length of a Salesforce id.
func isIDLength(s string) bool { return len(s) == 15 || len(s) == 18 }

// idKey is what id equality compares: the case-sensitive 15-character
// form, so that 15- and 18-character ids of one record are equal.
func idKey(s string) string {
	if isIDLength(s) {
		return s[:15]
	}
	return s
}

// likePattern is a compiled LIKE operand.
type likePattern struct {
	elems []likeElem
}

type likeElem struct {
	r    rune // lower-cased literal rune
	kind byte // 0 literal, '_' one rune, '%' any run
}

// compileLike reads the unescaped operand, where \% \_ and \\ are
// literal characters.
func compileLike(s string) *likePattern {
	p := &likePattern{}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch r {
		case '\\':
			if i < len(s) {
				r, n = utf8.DecodeRuneInString(s[i:])
				i += n
			}
			p.elems = append(p.elems, likeElem{r: unicode.ToLower(r)})
		case '%':
			if len(p.elems) == 0 || p.elems[len(p.elems)-1].kind != '%' {
				p.elems = append(p.elems, likeElem{kind: '%'})
			}
		case '_':
			p.elems = append(p.elems, likeElem{kind: '_'})
		default:
			p.elems = append(p.elems, likeElem{r: unicode.ToLower(r)})
		}
	}
	return p
}

// match runs the classic wildcard algorithm: on a mismatch, retry from the
// last % one rune further. It is linear in practice and never allocates.
func (p *likePattern) match(s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		r, n := utf8.DecodeRuneInString(s[si:])
		if pi < len(p.elems) {
			e := p.elems[pi]
			switch {
			case e.kind == '%':
				starP, starS = pi, si
				pi++
				continue
			case e.kind == '_' || (e.kind == 0 && (e.r == r || e.r == unicode.ToLower(r))):
				pi++
				si += n
				continue
			}
		}
		if starP < 0 {
			return false
		}
		pi = starP + 1
		_, n = utf8.DecodeRuneInString(s[starS:])
		starS += n
		si = starS
	}
	for pi < len(p.elems) && p.elems[pi].kind == '%' {
		pi++
	}
	return pi == len(p.elems)
}

// relativeRange returns [lo, hi) of a relative date literal, anchored at
// now's UTC day.
func relativeRange(v Value, now time.Time) (lo, hi instant) {
	u := now.UTC()
	today := instantOf(time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC))
	n := int64(v.N)
	switch v.Relative {
	case "YESTERDAY":
		return today.addDays(-1), today
	case "TOMORROW":
		return today.addDays(1), today.addDays(2)
	case "LAST_N_DAYS":
		return today.addDays(-n), today.addDays(1)
	case "NEXT_N_DAYS":
		return today.addDays(1), today.addDays(1 + n)
	case "N_DAYS_AGO":
		return today.addDays(-n), today.addDays(1 - n)
	case "LAST_WEEK", "THIS_WEEK", "NEXT_WEEK":
		// Weeks start on Sunday, as in Salesforce's default (en_US) locale.
		start := today.addDays(-int64(u.Weekday()))
		switch v.Relative {
		case "LAST_WEEK":
			start = start.addDays(-7)
		case "NEXT_WEEK":
			start = start.addDays(7)
		}
		return start, start.addDays(7)
	case "LAST_MONTH", "THIS_MONTH", "NEXT_MONTH":
		m := u.Month()
		switch v.Relative {
		case "LAST_MONTH":
			m--
		case "NEXT_MONTH":
			m++
		}
		start := time.Date(u.Year(), m, 1, 0, 0, 0, 0, time.UTC)
		return instantOf(start), instantOf(start.AddDate(0, 1, 0))
	case "LAST_YEAR", "THIS_YEAR", "NEXT_YEAR":
		y := u.Year()
		switch v.Relative {
		case "LAST_YEAR":
			y--
		case "NEXT_YEAR":
			y++
		}
		return instantOf(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)), instantOf(time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	return today, today.addDays(1) // TODAY
}

// lowerASCIIFold returns s lower-cased for set keys; strings.ToLower does
// not allocate when s has no upper-case letters.
func lowerFold(s string) string { return strings.ToLower(s) }
