-- +goose Up
-- The sync engine drains unprocessed events per connection in id order.
CREATE INDEX IF NOT EXISTS webhook_events_pending ON webhook_events (connection_id, id) WHERE processed_at IS NULL;

-- +goose Down
DROP INDEX IF EXISTS webhook_events_pending;
