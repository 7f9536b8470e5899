package soql

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Parse parses a SOQL statement. Names are kept as written; Validate
// resolves them. Errors are *Error.
func Parse(q string) (*Query, error) {
	toks, lerr := lex(q)
	if lerr != nil {
		return nil, lerr
	}
	p := &parser{q: q, toks: toks}
	query, perr := p.query()
	if perr != nil {
		return nil, perr
	}
	return query, nil
}

type parser struct {
	q    string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// isKeyword reports whether t is the (case-insensitive) keyword kw.
func isKeyword(t token, kw string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) acceptKeyword(kw string) bool {
	if isKeyword(p.peek(), kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) unexpected(t token) *Error {
	return newError(p.q, t.pos, CodeMalformedQuery, "unexpected token: '"+t.display()+"'")
}

func (p *parser) unsupported(t token, what string) *Error {
	return newError(p.q, t.pos, CodeMalformedQuery, what+" is not supported by this emulator")
}

func (p *parser) expectKeyword(kw string) *Error {
	if !p.acceptKeyword(kw) {
		return p.unexpected(p.peek())
	}
	return nil
}

func (p *parser) expect(kind tokKind) (token, *Error) {
	t := p.peek()
	if t.kind != kind {
		return t, p.unexpected(t)
	}
	p.i++
	return t, nil
}

// reserved words cannot be field or object names; seeing one where a name
// is expected is a syntax error, as in Salesforce.
var reserved = map[string]bool{
	"AND": true, "ASC": true, "DESC": true, "EXCLUDES": true, "FIRST": true, "FROM": true,
	"GROUP": true, "HAVING": true, "IN": true, "INCLUDES": true, "LAST": true, "LIKE": true,
	"LIMIT": true, "NOT": true, "NULL": true, "NULLS": true, "OR": true, "SELECT": true,
	"WHERE": true, "WITH": true, "TRUE": true, "FALSE": true, "ORDER": true, "BY": true,
	"OFFSET": true, "FOR": true, "USING": true, "TYPEOF": true,
}

func isReserved(s string) bool { return reserved[strings.ToUpper(s)] }

func (p *parser) query() (*Query, *Error) {
	q := &Query{Limit: NoLimit, text: p.q}
	if err := p.expectKeyword("SELECT"); err != nil {
		return nil, err
	}
	if err := p.selectList(q); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("FROM"); err != nil {
		return nil, err
	}
	obj := p.peek()
	// Group and Order are sObjects although GROUP and ORDER are keywords.
	objName := obj.kind == tIdent && (!isReserved(obj.text) || strings.EqualFold(obj.text, "Group") || strings.EqualFold(obj.text, "Order"))
	if !objName || strings.Contains(obj.text, ".") {
		return nil, p.unexpected(obj)
	}
	p.i++
	q.Object, q.objectPos = obj.text, obj.pos
	if t := p.peek(); t.kind == tIdent && !isReserved(t.text) {
		// An alias (FROM Lead l) is legal SOQL but this engine does not
		// resolve aliased paths, so say so rather than misread them.
		return nil, p.unsupported(t, "an object alias")
	}
	if isKeyword(p.peek(), "USING") {
		return nil, p.unsupported(p.peek(), "USING SCOPE")
	}
	if p.acceptKeyword("WHERE") {
		w, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		q.Where = w
	}
	if t := p.peek(); isKeyword(t, "WITH") {
		return nil, p.unsupported(t, "WITH")
	}
	if t := p.peek(); isKeyword(t, "GROUP") {
		return nil, p.unsupported(t, "GROUP BY")
	}
	if t := p.peek(); isKeyword(t, "HAVING") {
		return nil, p.unsupported(t, "HAVING")
	}
	if p.acceptKeyword("ORDER") {
		if err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		if q.IsCount {
			return nil, newError(p.q, p.toks[p.i-2].pos, CodeMalformedQuery, "ORDER BY is not allowed with COUNT()")
		}
		for {
			o, err := p.order()
			if err != nil {
				return nil, err
			}
			q.OrderBy = append(q.OrderBy, o)
			if p.peek().kind != tComma {
				break
			}
			p.i++
		}
	}
	if p.acceptKeyword("LIMIT") {
		n, _, err := p.integer()
		if err != nil {
			return nil, err
		}
		q.Limit = n
	}
	if p.acceptKeyword("OFFSET") {
		n, t, err := p.integer()
		if err != nil {
			return nil, err
		}
		if n > MaxOffset {
			// Salesforce sends this one without the positional layout.
			_ = t
			return nil, &Error{Code: CodeNumberOutsideValidRange, Text: "Maximum SOQL offset allowed is 2000", Message: "Maximum SOQL offset allowed is 2000"}
		}
		q.Offset = n
	}
	if t := p.peek(); isKeyword(t, "FOR") {
		return nil, p.unsupported(t, "FOR "+strings.ToUpper(p.toks[min(p.i+1, len(p.toks)-1)].text))
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	return q, nil
}

// integer reads a non-negative integer literal (LIMIT, OFFSET).
func (p *parser) integer() (int, token, *Error) {
	t := p.peek()
	if t.kind != tNumber || strings.ContainsAny(t.text, ".+-") {
		return 0, t, p.unexpected(t)
	}
	p.i++
	n, err := strconv.Atoi(t.text)
	if err != nil || n > 1<<31-1 {
		return 0, t, newError(p.q, t.pos, CodeNumberOutsideValidRange, "Number too large: "+t.text)
	}
	return n, t, nil
}

func (p *parser) selectList(q *Query) *Error {
	first := p.peek()
	if isKeyword(first, "COUNT") && p.toks[p.i+1].kind == tLParen {
		if p.toks[p.i+2].kind != tRParen {
			return p.unsupported(first, "COUNT(field)")
		}
		p.i += 3
		q.IsCount = true
		if t := p.peek(); t.kind == tComma {
			return p.unexpected(t)
		}
		return nil
	}
	for {
		t := p.peek()
		switch {
		case t.kind == tLParen:
			return p.unsupported(t, "a subquery")
		case isKeyword(t, "TYPEOF"):
			return p.unsupported(t, "TYPEOF")
		case t.kind == tIdent && !isReserved(t.text) && p.toks[p.i+1].kind == tLParen:
			return p.unsupported(t, "the function "+strings.ToUpper(t.text)+"()")
		}
		path, err := p.path()
		if err != nil {
			return err
		}
		if nt := p.peek(); nt.kind == tIdent && !isReserved(nt.text) {
			return p.unsupported(nt, "a field alias")
		}
		q.Fields = append(q.Fields, path)
		if p.peek().kind != tComma {
			return nil
		}
		p.i++
	}
}

// path reads a field reference such as Email or Owner.Manager.Email.
func (p *parser) path() (Path, *Error) {
	t := p.peek()
	if t.kind != tIdent || isReserved(t.text) {
		return Path{}, p.unexpected(t)
	}
	segs := strings.Split(t.text, ".")
	off := t.pos
	for _, s := range segs {
		if s == "" || !isIdentStart(s[0]) {
			return Path{}, newError(p.q, off, CodeMalformedQuery, "unexpected token: '"+t.text+"'")
		}
		off += len(s) + 1
	}
	p.i++
	return Path{Relationships: segs[: len(segs)-1 : len(segs)-1], Field: segs[len(segs)-1], pos: t.pos}, nil
}

func (p *parser) order() (Order, *Error) {
	path, err := p.path()
	if err != nil {
		return Order{}, err
	}
	o := Order{Field: path}
	if p.acceptKeyword("DESC") {
		o.Desc = true
	} else {
		p.acceptKeyword("ASC")
	}
	if p.acceptKeyword("NULLS") {
		switch {
		case p.acceptKeyword("FIRST"):
			o.Nulls = NullsFirst
		case p.acceptKeyword("LAST"):
			o.Nulls = NullsLast
		default:
			return Order{}, p.unexpected(p.peek())
		}
	}
	return o, nil
}

// orExpr and andExpr implement SOQL's rule that AND and OR may not be mixed
// at one level without parentheses ("a AND b OR c" is MALFORMED_QUERY).
func (p *parser) orExpr() (Expr, *Error) {
	first, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	var op string
	terms := []Expr{first}
	for {
		t := p.peek()
		var this string
		switch {
		case isKeyword(t, "AND"):
			this = "AND"
		case isKeyword(t, "OR"):
			this = "OR"
		default:
			if op == "" {
				return first, nil
			}
			return &Logical{Op: op, Terms: terms}, nil
		}
		if op != "" && this != op {
			return nil, p.unexpected(t)
		}
		op = this
		p.i++
		x, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		terms = append(terms, x)
	}
}

func (p *parser) notExpr() (Expr, *Error) {
	if p.acceptKeyword("NOT") {
		x, err := p.notExpr()
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	}
	if p.peek().kind == tLParen {
		p.i++
		x, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen); err != nil {
			return nil, err
		}
		return x, nil
	}
	return p.condition()
}

func (p *parser) condition() (Expr, *Error) {
	if t := p.peek(); t.kind == tIdent && !isReserved(t.text) && p.toks[p.i+1].kind == tLParen {
		return nil, p.unsupported(t, "the function "+strings.ToUpper(t.text)+"()")
	}
	path, err := p.path()
	if err != nil {
		return nil, err
	}
	c := &Condition{Field: path}
	t := p.next()
	switch {
	case t.kind == tOp:
		c.Op = Op(t.text)
		if c.Op == "<>" {
			c.Op = OpNotEqual
		}
		v, err := p.value(false)
		if err != nil {
			return nil, err
		}
		c.Value = v
	case isKeyword(t, "LIKE"):
		c.Op = OpLike
		v, err := p.value(true)
		if err != nil {
			return nil, err
		}
		c.Value = v
	case isKeyword(t, "IN"):
		c.Op = OpIn
		if c.Values, err = p.valueList(); err != nil {
			return nil, err
		}
	case isKeyword(t, "NOT") && isKeyword(p.peek(), "IN"):
		p.i++
		c.Op = OpNotIn
		if c.Values, err = p.valueList(); err != nil {
			return nil, err
		}
	case isKeyword(t, "INCLUDES") || isKeyword(t, "EXCLUDES"):
		return nil, p.unsupported(t, strings.ToUpper(t.text))
	default:
		return nil, p.unexpected(t)
	}
	return c, nil
}

func (p *parser) valueList() ([]Value, *Error) {
	if _, err := p.expect(tLParen); err != nil {
		return nil, err
	}
	if t := p.peek(); isKeyword(t, "SELECT") {
		return nil, p.unsupported(t, "a semi-join subquery")
	}
	var vs []Value
	for {
		v, err := p.value(false)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
		t := p.next()
		if t.kind == tRParen {
			return vs, nil
		}
		if t.kind != tComma {
			return nil, p.unexpected(t)
		}
	}
}

// relativeDates are the date literals this engine evaluates; the ones
// taking :n are marked true.
var relativeDates = map[string]bool{
	"TODAY": false, "YESTERDAY": false, "TOMORROW": false,
	"LAST_WEEK": false, "THIS_WEEK": false, "NEXT_WEEK": false,
	"LAST_MONTH": false, "THIS_MONTH": false, "NEXT_MONTH": false,
	"LAST_YEAR": false, "THIS_YEAR": false, "NEXT_YEAR": false,
	"LAST_N_DAYS": true, "NEXT_N_DAYS": true, "N_DAYS_AGO": true,
}

// value reads one literal. like enables the \% and \_ escapes.
func (p *parser) value(like bool) (Value, *Error) {
	t := p.next()
	v := Value{Raw: t.text, pos: t.pos}
	switch t.kind {
	case tString:
		s, bad := unescape(t.text, like)
		if bad >= 0 {
			return Value{}, newError(p.q, t.pos, CodeMalformedQuery,
				"Invalid string literal '"+t.text+"'. Illegal character sequence '"+escapeAt(t.text, bad)+"' in string literal.")
		}
		v.Kind, v.Str = ValueString, s
	case tNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return Value{}, p.unexpected(t)
		}
		v.Kind, v.Num = ValueNumber, f
	case tDate:
		tm, err := time.Parse("2006-01-02", t.text)
		if err != nil {
			return Value{}, p.unexpected(t)
		}
		v.Kind, v.Time = ValueDate, tm
	case tDateTime:
		tm, ok := parseDateTimeLiteral(t.text)
		if !ok {
			return Value{}, p.unexpected(t)
		}
		v.Kind, v.Time = ValueDateTime, tm
	case tIdent:
		up := strings.ToUpper(t.text)
		switch up {
		case "NULL":
			v.Kind = ValueNull
		case "TRUE", "FALSE":
			v.Kind, v.Bool = ValueBool, up == "TRUE"
		default:
			takesN, ok := relativeDates[up]
			if !ok {
				return Value{}, p.unexpected(t)
			}
			v.Kind, v.Relative = ValueRelativeDate, up
			if takesN {
				if _, err := p.expect(tColon); err != nil {
					return Value{}, err
				}
				n, _, err := p.integer()
				if err != nil {
					return Value{}, err
				}
				v.N = n
			}
		}
	case tColon:
		return Value{}, p.unsupported(t, "a bind variable")
	default:
		return Value{}, p.unexpected(t)
	}
	return v, nil
}

// parseDateTimeLiteral accepts the forms the lexer lets through:
// seconds with optional fraction, then Z, ±hh:mm or ±hhmm.
func parseDateTimeLiteral(s string) (time.Time, bool) {
	s = strings.ToUpper(s)
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// unescape decodes a string literal's escapes. In LIKE patterns \% and \_
// are kept escaped for the matcher. It returns the byte offset of a bad
// escape, or -1.
func unescape(raw string, like bool) (string, int) {
	if !strings.Contains(raw, `\`) {
		return raw, -1
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(raw) {
			return "", i
		}
		e := raw[i+1]
		switch e {
		case 'n', 'N':
			b.WriteByte('\n')
		case 'r', 'R':
			b.WriteByte('\r')
		case 't', 'T':
			b.WriteByte('\t')
		case 'b', 'B':
			b.WriteByte('\b')
		case 'f', 'F':
			b.WriteByte('\f')
		case '"', '\'':
			b.WriteByte(e)
		case '\\':
			if like {
				b.WriteString(`\\`)
			} else {
				b.WriteByte('\\')
			}
		case '%', '_':
			if !like {
				return "", i
			}
			b.WriteByte('\\')
			b.WriteByte(e)
		case 'u', 'U':
			if i+6 > len(raw) {
				return "", i
			}
			n, err := strconv.ParseUint(raw[i+2:i+6], 16, 32)
			if err != nil {
				return "", i
			}
			r := rune(n)
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			if like && (r == '%' || r == '_' || r == '\\') {
				// An escaped wildcard stays literal.
				b.WriteByte('\\')
			}
			b.WriteRune(r)
			i += 4
		default:
			return "", i
		}
		i++
	}
	return b.String(), -1
}

// escapeAt returns the escape sequence starting at i, for error messages.
func escapeAt(raw string, i int) string {
	end := i + 2
	if end > len(raw) {
		end = len(raw)
	}
	return raw[i:end]
}
