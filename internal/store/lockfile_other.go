//go:build !unix

package store

// lockFile is a no-op where flock is unavailable; Migrate is then serialized
// only within the process.
func lockFile(string) (func(), error) { return func() {}, nil }

// tryLockFile is a no-op where flock is unavailable: two instances on one
// SQLite file are then not detected.
func tryLockFile(string) (func(), error) { return func() {}, nil }
