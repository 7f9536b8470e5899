package store

import (
	"database/sql"
	"slices"
	"testing"
)

func TestRewriteSQLite(t *testing.T) {
	tests := []struct {
		name, query, want string
		order             []int
		wantErr           bool
	}{
		{name: "no parameters", query: `SELECT 1`, want: `SELECT 1`},
		{name: "in order", query: `SELECT $1, $2, $3`, want: `SELECT ?, ?, ?`},
		{name: "repeated", query: `VALUES ($1, $2, $2)`, want: `VALUES (?, ?, ?)`, order: []int{0, 1, 1}},
		{name: "out of order", query: `SET a = $3 WHERE b = $1 AND c = $2`, want: `SET a = ? WHERE b = ? AND c = ?`, order: []int{2, 0, 1}},
		{name: "$10 is not $1 then 0", query: `IN ($1, $10, $2)`, want: `IN (?, ?, ?)`, order: []int{0, 9, 1}},
		{name: "gap", query: `WHERE a = $2`, want: `WHERE a = ?`, order: []int{1}},
		{name: "string literal", query: `SELECT '$1', $1, 'it''s $2', $2`, want: `SELECT '$1', ?, 'it''s $2', ?`},
		{name: "json path literal", query: `json_extract(args, '$.connection_id') = $1`, want: `json_extract(args, '$.connection_id') = ?`},
		{name: "quoted identifiers", query: `SELECT "a$1", "b""$2", ` + "`c$3`" + `, [d$4], $1`, want: `SELECT "a$1", "b""$2", ` + "`c$3`" + `, [d$4], ?`},
		{name: "identifier with dollar", query: `SELECT a$1 FROM t WHERE x = $1`, want: `SELECT a$1 FROM t WHERE x = ?`},
		{name: "comments", query: "SELECT $1 -- $2\n, /* $3 */ $2", want: "SELECT ? -- $2\n, /* $3 */ ?"},
		{name: "unterminated literal", query: `SELECT $1, 'abc $2`, want: `SELECT ?, 'abc $2`},
		{name: "dollar not followed by a digit", query: `SELECT $a, $1`, want: `SELECT $a, ?`},
		{name: "question mark", query: `SELECT ?`, wantErr: true},
		{name: "question mark in a literal", query: `SELECT '?', $1`, want: `SELECT '?', ?`},
		{name: "$0", query: `SELECT $0`, wantErr: true},
		{name: "huge number", query: `SELECT $99999999999999999999`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rewriteSQLite(tt.query)
			if tt.wantErr {
				if got.err == nil {
					t.Fatalf("rewrite(%q) = %q, want an error", tt.query, got.text)
				}
				return
			}
			if got.err != nil {
				t.Fatal(got.err)
			}
			if got.text != tt.want || !slices.Equal(got.order, tt.order) {
				t.Errorf("rewrite(%q) = %q %v, want %q %v", tt.query, got.text, got.order, tt.want, tt.order)
			}
		})
	}
}

// TestSQLiteBinderRuns checks on a real database that each "?" takes the
// argument its $N named, literals untouched.
func TestSQLiteBinderRuns(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := newSQLiteBinder()
	args := []any{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	for range 2 { // the second time from the cache
		q, bound, err := b.bind(`SELECT '$1' || $10 || $1 || 'x''$2' || $2 || "$1", $1 AS "$1"`, args)
		if err != nil {
			t.Fatal(err)
		}
		var got, first string
		if err := db.QueryRow(q, bound...).Scan(&got, &first); err != nil {
			t.Fatal(q, err)
		}
		// "$1" in double quotes where no column has that name is a
		// string literal to SQLite.
		if want := "$1jax'$2b$1"; got != want || first != "a" {
			t.Errorf("got %q, %q; want %q, %q", got, first, want, "a")
		}
	}
	if _, _, err := b.bind(`SELECT $3`, []any{1, 2}); err == nil {
		t.Error("$3 with two arguments: no error")
	}
}
