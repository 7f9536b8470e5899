package store

import (
	"context"
	"fmt"
	"time"
)

// AdminSession is a signed-in admin browser. ID is what the web layer
// derives from the cookie (a keyed hash), never the cookie itself.
type AdminSession struct {
	ID        string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// GetAdminSession returns a session that has not expired; an unknown,
// ended or expired one gives ErrNotFound.
func (r *reader) GetAdminSession(ctx context.Context, id string) (AdminSession, error) {
	s := AdminSession{ID: id}
	err := r.q.queryRow(ctx, `SELECT created_at, expires_at FROM admin_sessions WHERE id = $1`, id).
		Scan(timeCol{&s.CreatedAt}, timeCol{&s.ExpiresAt})
	if err != nil {
		return AdminSession{}, notFound(err, "store: get admin session")
	}
	if !s.ExpiresAt.After(now()) {
		return AdminSession{}, fmt.Errorf("store: get admin session: expired: %w", ErrNotFound)
	}
	return s, nil
}

// CreateAdminSession stores a session until ExpiresAt, and forgets the
// expired ones so the table does not grow with abandoned browsers.
func (w *writer) CreateAdminSession(ctx context.Context, s AdminSession) error {
	if len(s.ID) < 16 || s.ExpiresAt.IsZero() {
		return fmt.Errorf("store: create admin session: need an id of 16+ characters and an expiry: %w", ErrInvalid)
	}
	t := now()
	if _, err := w.q.exec(ctx, `DELETE FROM admin_sessions WHERE expires_at <= $1`, t); err != nil {
		return fmt.Errorf("store: create admin session: purge expired: %w", err)
	}
	_, err := w.q.exec(ctx, `INSERT INTO admin_sessions (id, created_at, expires_at) VALUES ($1, $2, $3)`,
		s.ID, t, normTime(s.ExpiresAt))
	if err != nil {
		return w.wrapWrite(err, "store: create admin session")
	}
	return nil
}

// DeleteAdminSession ends a session; ending an unknown one is not an error
// (signing out twice is fine).
func (w *writer) DeleteAdminSession(ctx context.Context, id string) error {
	if _, err := w.q.exec(ctx, `DELETE FROM admin_sessions WHERE id = $1`, id); err != nil {
		return fmt.Errorf("store: delete admin session: %w", err)
	}
	return nil
}
