package soql

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokKind classifies tokens.
type tokKind int

const (
	tEOF      tokKind = iota
	tIdent            // keywords, names and dotted paths
	tString           // '…'; text is the raw inner text
	tNumber           // 12, -3.5
	tDate             // 2024-01-01
	tDateTime         // 2024-01-01T00:00:00Z
	tLParen
	tRParen
	tComma
	tColon
	tOp    // = != <> < <= > >=
	tOther // anything else; always a syntax error
)

type token struct {
	kind tokKind
	text string // as written (for strings: without the quotes)
	pos  int    // byte offset of the first character
}

// display is how the token appears in "unexpected token: '…'".
func (t token) display() string {
	switch t.kind {
	case tEOF:
		return "<EOF>"
	case tString:
		return "'" + t.text + "'"
	}
	return t.text
}

// lex splits q into tokens. Malformed strings and date literals come back
// as errors pointing at their start.
func lex(q string) ([]token, *Error) {
	var toks []token
	i := 0
	for {
		for i < len(q) {
			r, n := utf8.DecodeRuneInString(q[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += n
		}
		if i >= len(q) {
			toks = append(toks, token{kind: tEOF, pos: len(q)})
			return toks, nil
		}
		start := i
		c := q[i]
		if sym, ok := symbolAt(q, i); ok {
			sym.pos = i
			toks = append(toks, sym)
			i += len(sym.text)
			continue
		}
		switch {
		case c == '\'':
			j := i + 1
			for {
				if j >= len(q) {
					return nil, newError(q, start, CodeMalformedQuery, "unexpected token: '<EOF>'")
				}
				if q[j] == '\\' {
					j += 2
					continue
				}
				if q[j] == '\'' {
					break
				}
				j++
			}
			toks = append(toks, token{tString, q[i+1 : j], i})
			i = j + 1
		case isDigit(c) || ((c == '-' || c == '+') && i+1 < len(q) && isDigit(q[i+1])):
			kind, end := scanNumberOrDate(q, i)
			toks = append(toks, token{kind, q[i:end], i})
			i = end
		case isIdentStart(c):
			j := i
			for j < len(q) && (isIdentStart(q[j]) || isDigit(q[j]) || q[j] == '.') {
				j++
			}
			toks = append(toks, token{tIdent, q[i:j], i})
			i = j
		default:
			_, n := utf8.DecodeRuneInString(q[i:])
			toks = append(toks, token{tOther, q[i : i+n], i})
			i += n
		}
	}
}

// symbols are the tokens made of punctuation, two-character ones first. A
// lone '!' is not among them: it lexes as tOther.
var symbols = []token{
	{kind: tOp, text: "!="}, {kind: tOp, text: "<="}, {kind: tOp, text: "<>"}, {kind: tOp, text: ">="},
	{kind: tOp, text: "="}, {kind: tOp, text: "<"}, {kind: tOp, text: ">"},
	{kind: tLParen, text: "("}, {kind: tRParen, text: ")"}, {kind: tComma, text: ","}, {kind: tColon, text: ":"},
}

// symbolAt returns the symbol token q has at i, if any.
func symbolAt(q string, i int) (token, bool) {
	if strings.IndexByte("()=,:<>!", q[i]) < 0 { // most tokens: skip the loop
		return token{}, false
	}
	for _, s := range symbols {
		if strings.HasPrefix(q[i:], s.text) {
			return s, true
		}
	}
	return token{}, false
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }

// scanNumberOrDate scans a number, a date (2024-01-01) or a datetime
// (2024-01-01T00:00:00[.000](Z|±hh:mm|±hhmm)) starting at i. It returns
// tOther for text that starts like a date but is not one, so that the
// parser reports it.
func scanNumberOrDate(q string, i int) (tokKind, int) {
	if digitsAt(q, i, 4) && at(q, i+4, '-') && digitsAt(q, i+5, 2) && at(q, i+7, '-') && digitsAt(q, i+8, 2) {
		j := i + 10
		if !at(q, j, 'T') && !at(q, j, 't') {
			return endOfWord(q, j, tDate)
		}
		j++
		if !(digitsAt(q, j, 2) && at(q, j+2, ':') && digitsAt(q, j+3, 2) && at(q, j+5, ':') && digitsAt(q, j+6, 2)) {
			return tOther, wordEnd(q, i)
		}
		j += 8
		if at(q, j, '.') {
			j++
			k := j
			for j < len(q) && isDigit(q[j]) {
				j++
			}
			if j == k {
				return tOther, wordEnd(q, i)
			}
		}
		switch {
		case at(q, j, 'Z') || at(q, j, 'z'):
			j++
		case at(q, j, '+') || at(q, j, '-'):
			j++
			if !digitsAt(q, j, 2) {
				return tOther, wordEnd(q, i)
			}
			j += 2
			if at(q, j, ':') {
				j++
			}
			if !digitsAt(q, j, 2) {
				return tOther, wordEnd(q, i)
			}
			j += 2
		default:
			return tOther, wordEnd(q, i)
		}
		return endOfWord(q, j, tDateTime)
	}
	j := i
	if q[j] == '-' || q[j] == '+' {
		j++
	}
	for j < len(q) && isDigit(q[j]) {
		j++
	}
	if at(q, j, '.') && j+1 < len(q) && isDigit(q[j+1]) {
		j++
		for j < len(q) && isDigit(q[j]) {
			j++
		}
	}
	return endOfWord(q, j, tNumber)
}

// endOfWord accepts a literal ending at j only if no letter or digit is
// glued to it (2024-01-01x is not a date).
func endOfWord(q string, j int, kind tokKind) (tokKind, int) {
	if j < len(q) && (isIdentStart(q[j]) || isDigit(q[j]) || q[j] == '.') {
		return tOther, wordEnd(q, j)
	}
	return kind, j
}

// wordEnd finds the end of a run of literal-ish characters, for error
// tokens.
func wordEnd(q string, j int) int {
	for j < len(q) && (isIdentStart(q[j]) || isDigit(q[j]) || q[j] == '.' || q[j] == ':' || q[j] == '-' || q[j] == '+') {
		j++
	}
	return j
}

func at(q string, i int, c byte) bool { return i < len(q) && q[i] == c }

func digitsAt(q string, i, n int) bool {
	if i+n > len(q) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !isDigit(q[k]) {
			return false
		}
	}
	return true
}
