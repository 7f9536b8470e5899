-- +goose Up
-- Each connection's Salesforce change stream (Change Data Capture over the
-- Pub/Sub API): which instance holds the subscriber lease (one subscriber
-- per connection across instances, taken over when held_until passes), the
-- replay id of the last applied event (hex of Salesforce's opaque bytes,
-- saved only after the events are applied), and whether changes arrive by
-- stream or by poll, why, the objects streamed and those Salesforce has no
-- change events for (polled at the normal interval; the setup check says
-- how to enable them) and the stream's lag, for the overview.
CREATE TABLE IF NOT EXISTS change_streams (
    connection_id BIGINT PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    holder        TEXT NOT NULL DEFAULT '',
    held_until    TIMESTAMPTZ,
    replay_id     TEXT NOT NULL DEFAULT '',
    replay_at     TIMESTAMPTZ,
    mode          TEXT NOT NULL DEFAULT '',
    cause         TEXT NOT NULL DEFAULT '',
    objects       TEXT NOT NULL DEFAULT '',
    missing       TEXT NOT NULL DEFAULT '',
    mode_since    TIMESTAMPTZ,
    last_event_at TIMESTAMPTZ,
    lag_ms        BIGINT NOT NULL DEFAULT 0,
    events        BIGINT NOT NULL DEFAULT 0,
    updated_at    TIMESTAMPTZ
);

-- +goose Down
DROP TABLE change_streams;
