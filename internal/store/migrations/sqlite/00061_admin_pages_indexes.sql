-- +goose Up
-- The admin pages on a large connection: today's history counted by
-- outcome and origin from the index alone, and open sync errors counted,
-- listed newest first and filtered by code without reading resolved ones.
DROP INDEX IF EXISTS history_created;
CREATE INDEX IF NOT EXISTS history_created_outcome ON history (connection_id, created_at, outcome, origin);
CREATE INDEX IF NOT EXISTS sync_errors_open_time ON sync_errors (connection_id, updated_at, id) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS sync_errors_open_code ON sync_errors (connection_id, code, updated_at) WHERE resolved_at IS NULL;

-- +goose Down
DROP INDEX IF EXISTS sync_errors_open_code;
DROP INDEX IF EXISTS sync_errors_open_time;
DROP INDEX IF EXISTS history_created_outcome;
CREATE INDEX IF NOT EXISTS history_created ON history (connection_id, created_at);
