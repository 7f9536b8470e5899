package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Settings is a connection's configuration document (field mappings, rules,
// budget) with a version for optimistic concurrency.
type Settings struct {
	ConnectionID int64
	Doc          json.RawMessage
	Version      int64
	UpdatedAt    time.Time
}

// GetSettings returns a connection's settings; ErrNotFound if none were saved.
func (r *reader) GetSettings(ctx context.Context, connID int64) (Settings, error) {
	s := Settings{ConnectionID: connID}
	var doc string
	err := r.q.queryRow(ctx, `SELECT doc, version, updated_at FROM settings WHERE connection_id = $1`, connID).
		Scan(&doc, &s.Version, timeCol{&s.UpdatedAt})
	if err != nil {
		return Settings{}, notFound(err, "store: get settings of connection %d", connID)
	}
	s.Doc = json.RawMessage(doc)
	return s, nil
}

// PutSettings saves doc if the stored version is still expectVersion (0 when
// none exists yet) and returns the new version; otherwise it returns
// ErrVersionConflict and changes nothing.
func (w *writer) PutSettings(ctx context.Context, connID int64, doc []byte, expectVersion int64) (Settings, error) {
	if !json.Valid(doc) {
		return Settings{}, fmt.Errorf("store: put settings of connection %d: document is not valid JSON: %w", connID, ErrInvalid)
	}
	s := Settings{ConnectionID: connID, Doc: json.RawMessage(doc), Version: expectVersion + 1, UpdatedAt: now()}
	var n int64
	var err error
	if expectVersion == 0 {
		n, err = w.q.exec(ctx, `INSERT INTO settings (connection_id, doc, version, updated_at) VALUES ($1, $2, 1, $3)
			ON CONFLICT (connection_id) DO NOTHING`, connID, string(doc), s.UpdatedAt)
	} else {
		n, err = w.q.exec(ctx, `UPDATE settings SET doc = $2, version = version + 1, updated_at = $3
			WHERE connection_id = $1 AND version = $4`, connID, string(doc), s.UpdatedAt, expectVersion)
	}
	if err != nil {
		return Settings{}, w.wrapWrite(err, "store: put settings of connection %d", connID)
	}
	if n == 0 {
		return Settings{}, fmt.Errorf("store: put settings of connection %d at version %d: %w", connID, expectVersion, ErrVersionConflict)
	}
	return s, nil
}
