-- +goose Up
-- Processed webhook events are deleted once past the redelivery window,
-- oldest first, without scanning the pending ones.
CREATE INDEX IF NOT EXISTS webhook_events_processed ON webhook_events (connection_id, processed_at) WHERE processed_at IS NOT NULL;

-- +goose Down
DROP INDEX IF EXISTS webhook_events_processed;
