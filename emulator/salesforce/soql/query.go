package soql

import (
	"strconv"
	"strings"
	"time"
)

// NoLimit is Query.Limit when the query has no LIMIT clause.
const NoLimit = -1

// MaxOffset is the largest OFFSET Salesforce accepts.
const MaxOffset = 2000

// Query is a parsed SOQL statement. Parse fills it with names as written;
// Validate (called by Execute) replaces them with the schema's canonical
// spellings and resolves relationship paths. A Query is not safe for
// concurrent use until it has been validated.
type Query struct {
	// Object is the FROM sObject.
	Object string
	// Fields are the selected paths, in order. Empty when IsCount.
	Fields []Path
	// IsCount is true for SELECT COUNT() FROM ….
	IsCount bool
	// Where is the WHERE condition, nil when absent.
	Where Expr
	// OrderBy lists the ORDER BY terms, in order.
	OrderBy []Order
	// Limit is the LIMIT value, or NoLimit.
	Limit int
	// Offset is the OFFSET value (0 when absent).
	Offset int

	text      string // the statement as given, for error messages
	objectPos int
	validated bool
}

// Path is a field reference, possibly through parent relationships:
// Owner.Email is Path{Relationships: ["Owner"], Field: "Email"}.
type Path struct {
	// Relationships are the parent relationship names followed, in order.
	Relationships []string
	// Field is the field read on the last object.
	Field string
	// Objects is set by Validate: Objects[0] is the query's object and
	// Objects[i+1] the object Relationships[i] points to.
	Objects []string
	// FKFields is set by Validate: FKFields[i] is the reference field on
	// Objects[i] that holds the id of the parent reached by
	// Relationships[i] (e.g. "OwnerId" for "Owner").
	FKFields []string
	// Type is set by Validate: the describe type of Field.
	Type string

	pos int
}

// String returns the path as written in SOQL, e.g. "Owner.Email".
func (p Path) String() string {
	if len(p.Relationships) == 0 {
		return p.Field
	}
	return strings.Join(p.Relationships, ".") + "." + p.Field
}

// Parent follows the first n relationships of p from rec and returns the
// record reached. ok is false when a reference on the way is null or
// dangling. Parent(…, 0) returns rec itself. p must be validated.
func (p Path) Parent(src RecordGetter, rec Record, n int) (Record, bool) {
	for i := 0; i < n && i < len(p.FKFields); i++ {
		id, _ := rec.Get(p.FKFields[i]).(string)
		if id == "" {
			return nil, false
		}
		parent, ok := src.Get(id)
		if !ok {
			return nil, false
		}
		rec = parent
	}
	return rec, true
}

// Value returns the value of p for rec, following relationships through
// src; nil when any hop is null. p must be validated.
func (p Path) Value(src RecordGetter, rec Record) any {
	r, ok := p.Parent(src, rec, len(p.Relationships))
	if !ok {
		return nil
	}
	return r.Get(p.Field)
}

// Nulls says where ORDER BY puts null values.
type Nulls int

// The Nulls placements. NullsDefault means Salesforce's default: first for
// ASC, last for DESC.
const (
	NullsDefault Nulls = iota
	NullsFirst
	NullsLast
)

// Order is one ORDER BY term.
type Order struct {
	Field Path
	Desc  bool
	Nulls Nulls
}

// nullsFirst applies the default placement.
func (o Order) nullsFirst() bool {
	switch o.Nulls {
	case NullsFirst:
		return true
	case NullsLast:
		return false
	}
	return !o.Desc
}

// Expr is a WHERE condition: *Condition, *Logical or *Not.
type Expr interface {
	// String returns the expression in SOQL syntax.
	String() string
	expr()
}

// Logical is an AND or OR of two or more terms.
type Logical struct {
	// Op is "AND" or "OR".
	Op    string
	Terms []Expr
}

// Not negates an expression.
type Not struct {
	X Expr
}

// Op is a comparison operator of a Condition.
type Op string

// The comparison operators. "<>" parses as OpNotEqual.
const (
	OpEqual        Op = "="
	OpNotEqual     Op = "!="
	OpLess         Op = "<"
	OpLessEqual    Op = "<="
	OpGreater      Op = ">"
	OpGreaterEqual Op = ">="
	OpLike         Op = "LIKE"
	OpIn           Op = "IN"
	OpNotIn        Op = "NOT IN"
)

// Condition compares a field with a literal, or with a list of literals for
// IN and NOT IN.
type Condition struct {
	Field Path
	Op    Op
	// Value is the operand of every operator but IN and NOT IN.
	Value Value
	// Values are the operands of IN and NOT IN.
	Values []Value
}

// ValueKind is the kind of a literal.
type ValueKind int

// The literal kinds.
const (
	ValueNull ValueKind = iota
	ValueString
	ValueNumber
	ValueBool
	ValueDate         // 2024-01-01
	ValueDateTime     // 2024-01-01T00:00:00Z
	ValueRelativeDate // TODAY, LAST_N_DAYS:7, …
)

// Value is a literal in a WHERE clause.
type Value struct {
	Kind ValueKind
	// Raw is the literal as written; for strings, the text between the
	// quotes with its escapes.
	Raw string
	// Str is the unescaped string of a ValueString. In a LIKE operand,
	// \%, \_ and \\ stay escaped so the matcher can tell them from
	// wildcards.
	Str string
	// Num is the value of a ValueNumber.
	Num float64
	// Bool is the value of a ValueBool.
	Bool bool
	// Time is the value of a ValueDate (midnight UTC) or ValueDateTime.
	Time time.Time
	// Relative is the upper-cased name of a ValueRelativeDate ("TODAY",
	// "LAST_N_DAYS") and N its argument, if any.
	Relative string
	N        int

	pos int
}

func (*Logical) expr()   {}
func (*Not) expr()       {}
func (*Condition) expr() {}

// String prints the terms in parentheses so that the result parses back
// into the same tree.
func (l *Logical) String() string {
	parts := make([]string, len(l.Terms))
	for i, t := range l.Terms {
		parts[i] = t.String()
	}
	return "(" + strings.Join(parts, " "+l.Op+" ") + ")"
}

// String returns the negation in SOQL syntax.
func (n *Not) String() string { return "(NOT " + n.X.String() + ")" }

// String returns the condition in SOQL syntax.
func (c *Condition) String() string {
	if c.Op == OpIn || c.Op == OpNotIn {
		parts := make([]string, len(c.Values))
		for i, v := range c.Values {
			parts[i] = v.String()
		}
		return c.Field.String() + " " + string(c.Op) + " (" + strings.Join(parts, ", ") + ")"
	}
	return c.Field.String() + " " + string(c.Op) + " " + c.Value.String()
}

// String returns the literal in SOQL syntax.
func (v Value) String() string {
	switch v.Kind {
	case ValueNull:
		return "null"
	case ValueString:
		return "'" + v.Raw + "'"
	case ValueBool:
		return strconv.FormatBool(v.Bool)
	case ValueRelativeDate:
		if strings.HasSuffix(v.Relative, "_N_DAYS") || strings.HasPrefix(v.Relative, "N_") {
			return v.Relative + ":" + strconv.Itoa(v.N)
		}
		return v.Relative
	}
	return v.Raw
}

// String returns the query in SOQL syntax with keywords upper-cased.
func (q *Query) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if q.IsCount {
		b.WriteString("COUNT()")
	}
	for i, f := range q.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.String())
	}
	b.WriteString(" FROM ")
	b.WriteString(q.Object)
	if q.Where != nil {
		b.WriteString(" WHERE ")
		b.WriteString(q.Where.String())
	}
	for i, o := range q.OrderBy {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(o.Field.String())
		if o.Desc {
			b.WriteString(" DESC")
		} else {
			b.WriteString(" ASC")
		}
		switch o.Nulls {
		case NullsFirst:
			b.WriteString(" NULLS FIRST")
		case NullsLast:
			b.WriteString(" NULLS LAST")
		}
	}
	if q.Limit != NoLimit {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(q.Limit))
	}
	if q.Offset > 0 {
		b.WriteString(" OFFSET ")
		b.WriteString(strconv.Itoa(q.Offset))
	}
	return b.String()
}
