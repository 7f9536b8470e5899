-- +goose Up
-- A refreshed token is stored with a compare-and-swap on this version, so
-- the token endpoint is called outside any transaction and a concurrent
-- refresher that lost the race takes the winner's token.
ALTER TABLE credentials ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE credentials DROP COLUMN version;
