-- +goose Up
-- The client id ferry's Salesforce calls carry (Sforce-Call-Options:
-- client=…), made once per connection: Salesforce echoes it in change
-- events' changeOrigin, and a connection id alone is the same (1) in every
-- deployment, so two deployments writing to one org took each other's
-- writes for their own. Existing connections get a random one here.
ALTER TABLE connections ADD COLUMN salesforce_client TEXT NOT NULL DEFAULT '';
UPDATE connections SET salesforce_client = lower(hex(randomblob(6))) WHERE salesforce_client = '';

-- +goose Down
ALTER TABLE connections DROP COLUMN salesforce_client;
