-- +goose Up
-- Whether a connection's systems answered ferry's last calls: a row per
-- connection and side, written only when reachability changes, so a
-- connection can say "Salesforce unreachable since …" on every instance.
CREATE TABLE IF NOT EXISTS reachability (
    connection_id     INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    side              TEXT NOT NULL,
    unreachable_since TEXT,
    last_error        TEXT NOT NULL DEFAULT '',
    updated_at        TEXT NOT NULL,
    PRIMARY KEY (connection_id, side)
);

-- +goose Down
DROP TABLE reachability;
