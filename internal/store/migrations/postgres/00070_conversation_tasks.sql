-- +goose Up
-- The Salesforce Task of each conversation and person (F6.1): one row per
-- conversation and Lead or Contact, written with state 'creating' before the
-- Salesforce create is sent, so a crash between the create and the commit
-- is recovered by finding the Task (its Description names the
-- conversation) instead of creating a second one.
CREATE TABLE IF NOT EXISTS conversation_tasks (
    connection_id   BIGINT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    who_id          TEXT NOT NULL,
    intercom_id     TEXT NOT NULL DEFAULT '',
    task_id         TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    owner_id        TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (connection_id, conversation_id, who_id)
);

-- +goose Down
DROP TABLE conversation_tasks;
