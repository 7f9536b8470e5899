package store

import (
	"fmt"
	"strings"
	"sync"
)

// sqliteBinder turns the store's statements, written with PostgreSQL's $N
// placeholders, into SQLite's anonymous "?" and says which argument each
// "?" takes.
//
// SQLite reads $N as a named parameter and keeps the names of a statement
// in a list it searches linearly; modernc.org/sqlite asks for every
// parameter's name on every execution, so a statement of n parameters costs
// O(n²) each time it runs (a 100-row insert of 800 parameters spent ten
// times as long binding as inserting). Numbered ?N parameters are kept in
// the same list; only anonymous ones are not.
//
// Rewrites are cached by text, up to sqliteBindCacheSize texts; beyond
// that a statement is rewritten each time, which costs one pass over it.
type sqliteBinder struct {
	mu    sync.RWMutex
	texts map[string]sqliteText
}

const sqliteBindCacheSize = 4096

// sqliteText is a statement ready for SQLite.
type sqliteText struct {
	text string
	// order[i] is the index of the argument that the i-th "?" takes; nil
	// when the arguments go in as given ($1, $2, … each once, in order).
	order []int
	// err is why the statement cannot be rewritten.
	err error
}

func newSQLiteBinder() *sqliteBinder {
	return &sqliteBinder{texts: map[string]sqliteText{}}
}

// bind returns query's SQLite text and its arguments in the order of its
// placeholders.
func (b *sqliteBinder) bind(query string, args []any) (string, []any, error) {
	if !strings.ContainsAny(query, "$?") {
		return query, args, nil
	}
	b.mu.RLock()
	t, ok := b.texts[query]
	b.mu.RUnlock()
	if !ok {
		t = rewriteSQLite(query)
		b.mu.Lock()
		if len(b.texts) < sqliteBindCacheSize {
			b.texts[query] = t
		}
		b.mu.Unlock()
	}
	if t.err != nil {
		return "", nil, t.err
	}
	if t.order == nil {
		return t.text, args, nil
	}
	out := make([]any, len(t.order))
	for i, n := range t.order {
		if n >= len(args) {
			return "", nil, fmt.Errorf("store: sqlite: statement uses $%d but has %d arguments", n+1, len(args))
		}
		out[i] = args[n]
	}
	return t.text, out, nil
}

// rewriteSQLite replaces each $N outside string literals, quoted
// identifiers and comments by "?".
func rewriteSQLite(query string) sqliteText {
	var b strings.Builder
	b.Grow(len(query))
	var order []int
	inOrder := true
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			// A quoted string or identifier; a doubled quote is one
			// quote inside it.
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			j = min(j+1, len(query))
			b.WriteString(query[i:j])
			i = j
		case c == '[':
			j := through(query, i, "]")
			b.WriteString(query[i:j])
			i = j
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			j := through(query, i, "\n")
			b.WriteString(query[i:j])
			i = j
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			j := through(query, i+2, "*/")
			b.WriteString(query[i:j])
			i = j
		case c == '?':
			return sqliteText{err: fmt.Errorf("store: sqlite: statement uses ? instead of $N: %.80q", query)}
		case c == '$' && i+1 < len(query) && isDigit(query[i+1]) && (i == 0 || !isIdentByte(query[i-1])):
			j := i + 1
			n := 0
			for j < len(query) && isDigit(query[j]) {
				if n > 1<<20 {
					return sqliteText{err: fmt.Errorf("store: sqlite: parameter number too large in %.80q", query)}
				}
				n = n*10 + int(query[j]-'0')
				j++
			}
			if n == 0 {
				return sqliteText{err: fmt.Errorf("store: sqlite: parameter $0 in %.80q", query)}
			}
			if n-1 != len(order) {
				inOrder = false
			}
			order = append(order, n-1)
			b.WriteByte('?')
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	if inOrder {
		order = nil
	}
	return sqliteText{text: b.String(), order: order}
}

// through returns the index just past the first end at or after from, or
// the length of query if there is none.
func through(query string, from int, end string) int {
	j := strings.Index(query[from:], end)
	if j < 0 {
		return len(query)
	}
	return from + j + len(end)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isIdentByte reports a byte that continues an identifier in SQLite ($ and
// all non-ASCII bytes included), so that "a$1" stays a name.
func isIdentByte(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '$' || c >= 0x80
}
