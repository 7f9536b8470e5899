-- +goose Up
-- The admin pages count today's history by direction and find a record's
-- mappings by its email (the match key), without scanning either table.
CREATE INDEX IF NOT EXISTS history_created ON history (connection_id, created_at);
CREATE INDEX IF NOT EXISTS mappings_match_key ON mappings (connection_id, match_key);

-- +goose Down
DROP INDEX IF EXISTS history_created;
DROP INDEX IF EXISTS mappings_match_key;
