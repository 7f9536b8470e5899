-- +goose Up
-- A review can also be one Salesforce Lead or Contact whose key several
-- Intercom people share: sf_object and sf_id name that record, intercom_id
-- is then empty and the candidates are Intercom people. Reviews of one
-- Intercom person (Salesforce candidates) keep both empty.
ALTER TABLE match_reviews ADD COLUMN sf_object TEXT NOT NULL DEFAULT '';
ALTER TABLE match_reviews ADD COLUMN sf_id TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE match_reviews DROP COLUMN sf_id;
ALTER TABLE match_reviews DROP COLUMN sf_object;
