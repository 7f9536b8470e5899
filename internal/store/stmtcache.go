package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// stmtCache keeps SQLite statements prepared: parsing a statement costs
// more than running it for the small writes the engine makes by the
// thousand (an upsert per mapping, inserts of 100 field states a
// statement), and SQLite parses every statement it is given as text.
//
// A statement is prepared the second time its text is seen (the first may
// be one of a kind: IN lists of every length), in the background: on the
// writer pool's single connection, a transaction asking for it would wait
// for itself. Statements are never evicted (one may be in use), so at most
// stmtCacheSize are kept; beyond that, statements are parsed each time.
type stmtCache struct {
	db *sql.DB

	mu      sync.Mutex
	seen    map[string]int
	stmts   map[string]*sql.Stmt
	closed  bool
	pending sync.WaitGroup
}

const (
	stmtCacheSize = 256
	// stmtSeenSize bounds the texts counted before being prepared.
	stmtSeenSize = 4096
)

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, seen: map[string]int{}, stmts: map[string]*sql.Stmt{}}
}

// get returns query's prepared statement, or nil (not yet prepared, or no
// room): the caller then runs the text.
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[query]; ok {
		return s
	}
	if c.closed || len(c.stmts) >= stmtCacheSize {
		return nil
	}
	n, ok := c.seen[query]
	if !ok && len(c.seen) >= stmtSeenSize {
		return nil
	}
	c.seen[query] = n + 1
	if n+1 == 2 {
		c.pending.Add(1)
		go c.prepare(query)
	}
	return nil
}

func (c *stmtCache) prepare(query string) {
	defer c.pending.Done()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return // run as text, as before
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		_ = s.Close()
		return
	}
	c.stmts[query] = s
}

// close closes the statements; call it before closing the pool.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.pending.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.stmts {
		_ = s.Close()
	}
	clear(c.stmts)
}
