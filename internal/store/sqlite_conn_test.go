package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLiteConnStatements: a connection prepares a text the second time
// it runs it, and a text whose rows are still open runs unprepared instead
// of disturbing them.
func TestSQLiteConnStatements(t *testing.T) {
	ctx := context.Background()
	db, err := openSQLiteDB(filepath.Join(t.TempDir(), "t.db") + "?" + sqlitePragmas)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const q = `SELECT value FROM json_each(?)`
	values := func(rs *sql.Rows) []string {
		t.Helper()
		var out []string
		for rs.Next() {
			var v string
			if err := rs.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	cached := func() int {
		var n int
		if err := conn.Raw(func(dc any) error { n = len(dc.(*stmtConn).stmts); return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, want := range []int{0, 1, 1} {
		var v string
		if err := conn.QueryRowContext(ctx, q, `["x"]`).Scan(&v); err != nil || v != "x" {
			t.Fatalf("run %d: %q, %v", i, v, err)
		}
		if got := cached(); got != want {
			t.Fatalf("after run %d: %d statements prepared, want %d", i, got, want)
		}
	}
	outer, err := conn.QueryContext(ctx, q, `["a","b","c"]`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var v string
		if err := outer.Scan(&v); err != nil {
			t.Fatal(err)
		}
		inner, err := conn.QueryContext(ctx, q, `["`+v+`1","`+v+`2"]`)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
		got = append(got, values(inner)...)
		if len(got) > 9 {
			t.Fatalf("the outer rows started over: %q", got)
		}
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if want := "a a1 a2 b b1 b2 c c1 c2"; strings.Join(got, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " "), want)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := conn.ExecContext(ctx, `INSERT INTO t VALUES (?)`, 1); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Errorf("count = %d, %v; want 3", n, err)
	}
}
