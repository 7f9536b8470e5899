-- +goose Up
-- Leads created from the inbox app, the admin API or the CLI (F4): one row
-- per Intercom contact, written with state 'creating' before the Salesforce
-- create is sent, so the same request twice (a double click, Intercom
-- retrying, two instances) makes one Lead. attempt counts takeovers of a
-- row left 'creating' by a crash.
CREATE TABLE IF NOT EXISTS inbox_leads (
    connection_id BIGINT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    intercom_id   TEXT NOT NULL,
    lead_id       TEXT NOT NULL DEFAULT '',
    state         TEXT NOT NULL,
    attempt       INTEGER NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (connection_id, intercom_id)
);

-- +goose Down
DROP TABLE inbox_leads;
