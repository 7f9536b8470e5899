-- +goose Up
-- The org's daily event delivery allocation (the DailyDeliveredPlatformEvents
-- limit, which change events delivered to every subscriber count against),
-- as the change stream last read it, for the API budget view.
ALTER TABLE change_streams ADD COLUMN delivery_max BIGINT NOT NULL DEFAULT 0;
ALTER TABLE change_streams ADD COLUMN delivery_remaining BIGINT NOT NULL DEFAULT 0;
ALTER TABLE change_streams ADD COLUMN delivery_read_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE change_streams DROP COLUMN delivery_read_at;
ALTER TABLE change_streams DROP COLUMN delivery_remaining;
ALTER TABLE change_streams DROP COLUMN delivery_max;
