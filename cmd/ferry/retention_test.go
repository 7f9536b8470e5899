package main

import (
	"context"
	"encoding/base64"
	"maps"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/ferrysync/ferry/internal/store"
)

// serveVars returns a free listen address, a new database path and the
// variables `ferry serve` needs (database, secret key, admin token), with
// extra added.
func serveVars(t *testing.T, extra map[string]string) (addr, db string, vars map[string]string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close() // serve listens itself; the port is free again
	db = filepath.Join(t.TempDir(), "ferry.db")
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	vars = map[string]string{
		"FERRY_DATABASE_URL": db,
		"FERRY_SECRET_KEY":   base64.StdEncoding.EncodeToString(key),
		"FERRY_ADMIN_TOKEN":  "admin-test",
	}
	maps.Copy(vars, extra)
	return addr, db, vars
}

// TestServeKeepsHistoryForTheRetentionPeriod: with FERRY_HISTORY_RETENTION
// set, `ferry serve`'s cleanup deletes older history entries and keeps newer
// ones (issue 8 item 11).
func TestServeKeepsHistoryForTheRetentionPeriod(t *testing.T) {
	t.Parallel()
	addr, db, vars := serveVars(t, map[string]string{"FERRY_HISTORY_RETENTION": "2h"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := st.InTx(ctx, func(tx store.Tx) error {
		c, err := tx.CreateConnection(ctx, store.Connection{Name: "retention"})
		if err != nil {
			return err
		}
		return tx.AppendHistoryBatch(ctx, []store.HistoryEntry{
			{ConnectionID: c.ID, Object: "lead", IntercomID: "old", Origin: store.OriginIntercom, Outcome: "ok", CreatedAt: now.Add(-3 * time.Hour)},
			{ConnectionID: c.ID, Object: "lead", IntercomID: "recent", Origin: store.OriginIntercom, Outcome: "ok", CreatedAt: now.Add(-time.Hour)},
		})
	}); err != nil {
		t.Fatal(err)
	}
	conns, err := st.ListConnections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	connID := conns[0].ID

	env, _, errOut := testEnv(vars)
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--listen", addr}, env) }()
	count := func(id string) int {
		h, err := st.ListHistory(ctx, connID, id, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		return len(h)
	}
	for deadline := time.Now().Add(60 * time.Second); count("old") > 0; {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, errOut.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("history older than FERRY_HISTORY_RETENTION still stored after 60 s: %s", errOut.String())
		}
	}
	if n := count("recent"); n != 1 {
		t.Errorf("history within the retention period: %d entries, want 1 kept", n)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exit code = %d: %s", code, errOut.String())
	}
}
