-- +goose Up
-- Signed-in admin browsers. The id is a keyed hash of the cookie's random
-- value, so the table never holds a usable cookie; signing out deletes the
-- row, which ends the session on every instance.
CREATE TABLE IF NOT EXISTS admin_sessions (
    id           TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS admin_sessions_expiry ON admin_sessions (expires_at);

-- +goose Down
DROP TABLE admin_sessions;
