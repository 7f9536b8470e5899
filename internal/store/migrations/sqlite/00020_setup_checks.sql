-- +goose Up
-- The last setup check of each connection (F1.4): which Salesforce fields
-- ferry needs are missing, hidden or read-only, since when, and which
-- features are off because of it. One JSON document per connection.
CREATE TABLE IF NOT EXISTS setup_checks (
    connection_id INTEGER NOT NULL PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    result        TEXT NOT NULL,
    checked_at    TEXT NOT NULL
);

-- +goose Down
DROP TABLE setup_checks;
