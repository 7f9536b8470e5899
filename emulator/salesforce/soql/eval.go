package soql

import (
	"time"
)

// matcher is a compiled WHERE clause. match must not allocate: it runs
// once per scanned record.
type matcher interface {
	match(r Record) bool
}

type andMatcher []matcher

func (m andMatcher) match(r Record) bool {
	for _, x := range m {
		if !x.match(r) {
			return false
		}
	}
	return true
}

type orMatcher []matcher

func (m orMatcher) match(r Record) bool {
	for _, x := range m {
		if x.match(r) {
			return true
		}
	}
	return false
}

type notMatcher struct{ x matcher }

func (m notMatcher) match(r Record) bool { return !m.x.match(r) }

// operand is one literal converted to the field's comparison domain.
type operand struct {
	null    bool
	str     string // text (as is) or id (idKey form)
	num     float64
	b       bool
	t       instant // date/datetime, or lo of a range
	hi      instant // end (exclusive) of a relative date range
	isRange bool
}

// condMatcher evaluates one Condition.
type condMatcher struct {
	path Path
	src  RecordGetter
	kind fieldKind
	op   Op
	val  operand
	list []operand
	// set indexes long IN lists of text (lower-cased) or ids (idKey).
	set     map[string]bool
	setNull bool
	like    *likePattern
}

// setThreshold is the IN-list length from which a map beats a loop.
const setThreshold = 8

func compileExpr(e Expr, src RecordGetter, now time.Time) matcher {
	switch e := e.(type) {
	case *Logical:
		ms := make([]matcher, len(e.Terms))
		for i, t := range e.Terms {
			ms[i] = compileExpr(t, src, now)
		}
		if e.Op == "AND" {
			return andMatcher(ms)
		}
		return orMatcher(ms)
	case *Not:
		return notMatcher{compileExpr(e.X, src, now)}
	case *Condition:
		c := &condMatcher{path: e.Field, src: src, kind: kindOf(e.Field.Type), op: e.Op}
		switch e.Op {
		case OpIn, OpNotIn:
			c.list = make([]operand, len(e.Values))
			for i, v := range e.Values {
				c.list[i] = c.operand(v, now)
			}
			if len(c.list) >= setThreshold && (c.kind == kindText || c.kind == kindID) {
				c.set = make(map[string]bool, len(c.list))
				for _, o := range c.list {
					if o.null {
						c.setNull = true
						continue
					}
					c.set[c.setKey(o.str)] = true
				}
			}
		case OpLike:
			if e.Value.Kind == ValueString {
				c.like = compileLike(e.Value.Str)
			}
		default:
			c.val = c.operand(e.Value, now)
		}
		return c
	}
	return nil
}

func (c *condMatcher) setKey(s string) string {
	if c.kind == kindID {
		return idKey(s)
	}
	return lowerFold(s)
}

func (c *condMatcher) operand(v Value, now time.Time) operand {
	switch v.Kind {
	case ValueNull:
		return operand{null: true}
	case ValueString:
		if v.Str == "" && (c.kind == kindText || c.kind == kindID) {
			// Salesforce stores blank text as null, so '' means null.
			return operand{null: true}
		}
		if c.kind == kindID {
			return operand{str: idKey(v.Str)}
		}
		return operand{str: v.Str}
	case ValueNumber:
		return operand{num: v.Num}
	case ValueBool:
		return operand{b: v.Bool}
	case ValueDate, ValueDateTime:
		return operand{t: instantOf(v.Time)}
	case ValueRelativeDate:
		lo, hi := relativeRange(v, now)
		return operand{t: lo, hi: hi, isRange: true}
	}
	return operand{null: true}
}

func (c *condMatcher) value(r Record) any {
	var v any
	if len(c.path.FKFields) == 0 {
		v = r.Get(c.path.Field)
	} else {
		v = c.path.Value(c.src, r)
	}
	if s, ok := v.(string); ok && s == "" {
		return nil // blank text is null, as in Salesforce
	}
	return v
}

// match applies SOQL's null semantics: a null field equals only null, is
// "!=" to every non-null literal and fails every ordering comparison and
// LIKE.
func (c *condMatcher) match(r Record) bool {
	v := c.value(r)
	switch c.op {
	case OpEqual:
		return c.equal(v, c.val)
	case OpNotEqual:
		return !c.equal(v, c.val)
	case OpIn:
		return c.in(v)
	case OpNotIn:
		return !c.in(v)
	case OpLike:
		// LIKE never matches null (nor blank, which is null).
		s, ok := v.(string)
		return ok && c.like != nil && c.like.match(s)
	}
	if v == nil || c.val.null {
		return false
	}
	if c.val.isRange {
		t, ok := storedTime(v)
		if !ok {
			return false
		}
		switch c.op {
		case OpLess:
			return t.compare(c.val.t) < 0
		case OpLessEqual:
			return t.compare(c.val.hi) < 0
		case OpGreater:
			return t.compare(c.val.hi) >= 0
		case OpGreaterEqual:
			return t.compare(c.val.t) >= 0
		}
		return false
	}
	cmp, ok := c.compare(v, c.val)
	if !ok {
		return false
	}
	switch c.op {
	case OpLess:
		return cmp < 0
	case OpLessEqual:
		return cmp <= 0
	case OpGreater:
		return cmp > 0
	case OpGreaterEqual:
		return cmp >= 0
	}
	return false
}

func (c *condMatcher) in(v any) bool {
	if c.set != nil {
		if v == nil {
			return c.setNull
		}
		s, ok := v.(string)
		return ok && c.set[c.setKey(s)]
	}
	for _, o := range c.list {
		if c.equal(v, o) {
			return true
		}
	}
	return false
}

func (c *condMatcher) equal(v any, o operand) bool {
	if v == nil || o.null {
		return v == nil && o.null
	}
	if o.isRange {
		t, ok := storedTime(v)
		return ok && t.compare(o.t) >= 0 && t.compare(o.hi) < 0
	}
	if c.kind == kindID {
		s, ok := v.(string)
		return ok && idKey(s) == o.str
	}
	if c.kind == kindText {
		s, ok := v.(string)
		return ok && compareFold(s, o.str) == 0
	}
	cmp, ok := c.compare(v, o)
	return ok && cmp == 0
}

// compare orders a non-null record value against a non-null operand.
func (c *condMatcher) compare(v any, o operand) (int, bool) {
	switch c.kind {
	case kindText:
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		return compareFold(s, o.str), true
	case kindID:
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		return cmpOrdered(idKey(s), o.str), true
	case kindNumber:
		f, ok := storedNumber(v)
		if !ok {
			return 0, false
		}
		return cmpOrdered(f, o.num), true
	case kindBool:
		b, ok := v.(bool)
		if !ok {
			return 0, false
		}
		return cmpBool(b, o.b), true
	case kindDate, kindDateTime:
		t, ok := storedTime(v)
		if !ok {
			return 0, false
		}
		return t.compare(o.t), true
	}
	return 0, false
}

func cmpOrdered[T int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
