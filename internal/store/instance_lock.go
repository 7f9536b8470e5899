package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// errLocked: another process holds the lock.
var errLocked = errors.New("locked by another process")

// ErrInstanceRunning: another ferry already serves the SQLite file.
var ErrInstanceRunning = errors.New("another ferry is already serving this SQLite file")

// LockInstance makes sure one ferry at a time serves a SQLite file: two
// would each run their own queue workers and pollers on one file, with no
// coordination SQLite can give them. It holds a lock on "<file>.lock" until
// unlock is called or the process ends (a crash releases it). PostgreSQL
// needs no lock: several instances share it safely.
func LockInstance(databaseURL string) (unlock func(), err error) {
	engine, path, err := ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	if engine != EngineSQLite {
		return func() {}, nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: sqlite: create directory: %w", err)
		}
	}
	unlock, err = tryLockFile(path + ".lock")
	if errors.Is(err, errLocked) {
		return nil, fmt.Errorf("%w (%s): stop the other one first, or use PostgreSQL (FERRY_DATABASE_URL=postgres://…) to run several instances", ErrInstanceRunning, path)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return unlock, nil
}
