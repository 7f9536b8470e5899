-- +goose Up
-- The sync engine claims batches of pending webhook events with a lease, so
-- two workers or instances never process the same event; an expired lease
-- (a crashed worker) makes the events claimable again.
ALTER TABLE webhook_events ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_events ADD COLUMN claimed_until TEXT;

-- Progress of the initial sync at connect (F3.8), one row per object kind.
CREATE TABLE IF NOT EXISTS initial_syncs (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    object        TEXT NOT NULL,
    state         TEXT NOT NULL,
    cursor        TEXT NOT NULL DEFAULT '',
    processed     INTEGER NOT NULL DEFAULT 0,
    matched       INTEGER NOT NULL DEFAULT 0,
    ambiguous     INTEGER NOT NULL DEFAULT 0,
    message       TEXT NOT NULL DEFAULT '',
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (connection_id, object)
);

-- +goose Down
DROP TABLE initial_syncs;
ALTER TABLE webhook_events DROP COLUMN claimed_until;
ALTER TABLE webhook_events DROP COLUMN claimed_by;
