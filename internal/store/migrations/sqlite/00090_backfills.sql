-- +goose Up
-- Backfills (F3.8): one row per admin-started backfill of mapped values,
-- with its request, how far it got (the object and mapping id of the last
-- finished page, saved after each page so a restart resumes there) and
-- its counts.
CREATE TABLE IF NOT EXISTS backfills (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    request       TEXT NOT NULL,
    plan          TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,
    object        TEXT NOT NULL DEFAULT '',
    after_id      INTEGER NOT NULL DEFAULT 0,
    pairs_total   INTEGER NOT NULL DEFAULT 0,
    pairs_done    INTEGER NOT NULL DEFAULT 0,
    sf_changes    INTEGER NOT NULL DEFAULT 0,
    ic_changes    INTEGER NOT NULL DEFAULT 0,
    sf_calls      INTEGER NOT NULL DEFAULT 0,
    ic_calls      INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    message       TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    finished_at   TEXT
);
CREATE INDEX IF NOT EXISTS backfills_connection ON backfills (connection_id, id);

-- +goose Down
DROP TABLE backfills;
