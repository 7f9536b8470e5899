-- +goose Up
-- Whether a connection's kind of Intercom webhook events (contacts and
-- companies, or conversations) has a drain job that has not started
-- draining yet: the webhook intake enqueues a drain job only when it sets
-- the request, so a stream of webhooks makes one job per drain round
-- instead of one per webhook. requested_at is NULL when not requested.
CREATE TABLE IF NOT EXISTS drain_requests (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    requested_at  TEXT,
    PRIMARY KEY (connection_id, kind)
);

-- +goose Down
DROP TABLE drain_requests;
