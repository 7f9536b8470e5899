-- +goose Up
-- How many records the initial sync of an object has to go through, as
-- Intercom's listing counts them (total_count), so progress is shown as a
-- share of records; 0 while unknown.
ALTER TABLE initial_syncs ADD COLUMN total INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE initial_syncs DROP COLUMN total;
