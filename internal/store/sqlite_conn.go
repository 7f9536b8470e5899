package store

import (
	"context"
	"database/sql/driver"
)

// sqliteConnector hands out SQLite connections that keep the statements
// they run as text prepared: SQLite parses every statement it is given as
// text, and parsing costs more than running for the small statements run by
// the thousand, the store's and River's alike (River's job fetches,
// inserts and completions spent a tenth of an initial sync's CPU time in
// SQLite's parser).
//
// A text is prepared the second time a connection runs it (the first may
// be one of a kind, such as a migration), up to stmtCacheSize statements a
// connection; beyond that, texts run unprepared.
type sqliteConnector struct {
	driver.Connector
}

const (
	stmtCacheSize = 256
	// stmtSeenSize bounds the texts counted before being prepared.
	stmtSeenSize = 4096
)

// sqliteDriverConn is what database/sql uses of a modernc.org/sqlite
// connection; a connection that lacks any of it is used as it is.
type sqliteDriverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// sqliteStmt is what the cache needs of a prepared statement.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

func (c sqliteConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteDriverConn)
	if !ok {
		return conn, nil
	}
	return &stmtConn{sqliteDriverConn: sc, seen: map[string]int{}, stmts: map[string]*cachedStmt{}}, nil
}

// stmtConn is a connection with its prepared statements. database/sql uses
// a connection from one goroutine at a time, so it needs no lock.
type stmtConn struct {
	sqliteDriverConn
	seen  map[string]int
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	sqliteStmt
	// busy is set while rows of the statement are open: the statement
	// cannot run again until they are closed, so the text runs
	// unprepared meanwhile.
	busy bool
}

// stmt returns query's prepared statement, or nil to run the text.
func (c *stmtConn) stmt(ctx context.Context, query string) *cachedStmt {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil
		}
		return s
	}
	if len(c.stmts) >= stmtCacheSize {
		return nil
	}
	n, ok := c.seen[query]
	if !ok && len(c.seen) >= stmtSeenSize {
		return nil
	}
	c.seen[query] = n + 1
	if n+1 < 2 {
		return nil
	}
	ds, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil // the text reports the error
	}
	ss, ok := ds.(sqliteStmt)
	if !ok {
		_ = ds.Close()
		return nil
	}
	delete(c.seen, query)
	s := &cachedStmt{sqliteStmt: ss}
	c.stmts[query] = s
	return s
}

func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if s := c.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args)
	}
	return c.sqliteDriverConn.ExecContext(ctx, query, args)
}

func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s := c.stmt(ctx, query)
	if s == nil {
		return c.sqliteDriverConn.QueryContext(ctx, query, args)
	}
	rs, err := s.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &stmtRows{Rows: rs, s: s}, nil
}

// Close closes the prepared statements, then the connection.
func (c *stmtConn) Close() error {
	for _, s := range c.stmts {
		_ = s.Close()
	}
	clear(c.stmts)
	return c.sqliteDriverConn.Close()
}

// stmtRows frees its statement when closed. (It hides the column type
// methods of the driver's rows, which neither the store nor River uses.)
type stmtRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *stmtRows) Close() error {
	r.s.busy = false
	return r.Rows.Close()
}
