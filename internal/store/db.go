package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferrysync/ferry/internal/secret"
)

// querier is what the entity code needs from a pool or transaction of either
// engine. The engine files adapt database/sql (SQLite) and pgx (PostgreSQL)
// to it.
type querier interface {
	exec(ctx context.Context, query string, args ...any) (int64, error)
	query(ctx context.Context, query string, args ...any) (rows, error)
	queryRow(ctx context.Context, query string, args ...any) row
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// row.Scan returns sql.ErrNoRows for no row on both engines.
type row interface {
	Scan(dest ...any) error
}

// dialect is where the engines' SQL differs inside entity code.
type dialect struct {
	engine Engine
	// jobConnectionIs matches River jobs whose args' connection_id is $1.
	jobConnectionIs string
	// isUniqueViolation reports a unique-constraint error.
	isUniqueViolation func(error) bool
	// inList is the condition "col is one of the list bound as $n" (made
	// by listArg): one parameter however long the list, so the
	// statement's text is the same for every list and is prepared once.
	inList func(col string, n int) string
	// listArg turns a []string or []int64 into inList's argument.
	listArg func(list any) any
}

// reader implements Reader over a querier.
type reader struct {
	q   querier
	d   *dialect
	box *secret.Box
}

// writer implements Tx's data writes over a transaction's querier.
type writer struct {
	reader
}

// now is the store's clock: UTC at microsecond precision, which both engines
// store exactly, so a value read back equals the value written.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// normTime brings a caller's time to the stored precision.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// sqliteTimeLayout is how times are stored in SQLite: fixed width, so text
// order is time order.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

// timeCol scans a time column from either engine: time.Time from pgx, text
// from SQLite.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*c.t = v.UTC()
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	case nil:
		*c.t = time.Time{}
	default:
		return fmt.Errorf("store: cannot scan %T into a time", src)
	}
	return nil
}

func (c timeCol) parse(s string) error {
	if s == "" {
		*c.t = time.Time{}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: parse time %q: %w", s, err)
	}
	*c.t = t.UTC()
	return nil
}

// nullTimeCol scans a nullable time column into a *time.Time.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(src any) error {
	if src == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{&t}).Scan(src); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

// nullTime turns an optional time into a query argument.
func nullTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return normTime(*t)
}

// placeholders returns "$from, $from+1, …" for n arguments.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(from + i))
	}
	return b.String()
}

// rowBatches splits n rows into the sizes of multi-row statements: as
// many of max as fit, then the rest in powers of two (max is one too). A
// statement is prepared once per distinct text, so its sizes come from a
// set of log2(max)+1 rather than one size per remainder.
func rowBatches(n, max int) []int {
	var out []int
	for ; n >= max; n -= max {
		out = append(out, max)
	}
	for size := max / 2; size > 0; size /= 2 {
		if n >= size {
			out = append(out, size)
			n -= size
		}
	}
	return out
}

// valueRows returns "($1, …, $perRow), ($perRow+1, …)" for n rows.
func valueRows(n, perRow int) string {
	var b strings.Builder
	b.Grow(n * perRow * 6)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		b.WriteString(placeholders(i*perRow+1, perRow))
		b.WriteByte(')')
	}
	return b.String()
}

// chunkSize bounds the ids a statement looks up, so that one statement's
// work stays small.
const chunkSize = 500

// chunks splits ids for IN lists, dropping duplicates and empty strings.
func chunks(ids []string) [][]string {
	seen := make(map[string]bool, len(ids))
	var out [][]string
	var cur []string
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		cur = append(cur, id)
		if len(cur) == chunkSize {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// notFound turns sql.ErrNoRows into ErrNotFound with context.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrNotFound)
	}
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), err)
}

// wrapWrite adds context and turns unique violations into ErrConflict.
func (r *reader) wrapWrite(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	msg := fmt.Sprintf(format, args...)
	if r.d.isUniqueViolation(err) {
		return fmt.Errorf("%s: %w (%v)", msg, ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// anyArgs turns strings into query arguments.
func anyArgs(prefix []any, ids []string) []any {
	out := make([]any, 0, len(prefix)+len(ids))
	out = append(out, prefix...)
	for _, id := range ids {
		out = append(out, id)
	}
	return out
}

// collect reads all rows with scan.
func collect[T any](rs rows, err error, scan func(rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []T
	for rs.Next() {
		v, err := scan(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rs.Err()
}
