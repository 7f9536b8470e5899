-- +goose Up
-- SQLite times are TEXT in a fixed-width UTC layout, so text order is time order.
-- ferry's tables. Every row belongs to a connection and goes with it.

CREATE TABLE IF NOT EXISTS connections (
    id                      INTEGER PRIMARY KEY,
    name                    TEXT NOT NULL,
    intercom_workspace_id   TEXT NOT NULL DEFAULT '',
    salesforce_org_id       TEXT NOT NULL DEFAULT '',
    salesforce_instance_url TEXT NOT NULL DEFAULT '',
    state                   TEXT NOT NULL,
    cause                   TEXT NOT NULL DEFAULT '',
    state_changed_at        TEXT NOT NULL,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS credentials (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    sealed        BLOB NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (connection_id, kind)
);

CREATE TABLE IF NOT EXISTS settings (
    connection_id INTEGER PRIMARY KEY REFERENCES connections (id) ON DELETE CASCADE,
    doc           TEXT NOT NULL,
    version       INTEGER NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS mappings (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    intercom_id   TEXT NOT NULL,
    intercom_role TEXT NOT NULL DEFAULT '',
    sf_object     TEXT NOT NULL,
    sf_id         TEXT NOT NULL,
    match_key     TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (connection_id, intercom_id),
    UNIQUE (connection_id, sf_object, sf_id)
);
CREATE INDEX IF NOT EXISTS mappings_kind ON mappings (connection_id, kind);

CREATE TABLE IF NOT EXISTS field_states (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    side          TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    field         TEXT NOT NULL,
    value         TEXT NOT NULL,
    origin        TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    written_hash  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (connection_id, side, record_id, field)
);

CREATE TABLE IF NOT EXISTS watermarks (
    connection_id   INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    object          TEXT NOT NULL,
    system_modstamp TEXT NOT NULL,
    last_id         TEXT NOT NULL DEFAULT '',
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (connection_id, object)
);

CREATE TABLE IF NOT EXISTS sync_errors (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    object        TEXT NOT NULL DEFAULT '',
    record_id     TEXT NOT NULL,
    operation     TEXT NOT NULL,
    code          TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '',
    details       TEXT NOT NULL DEFAULT '',
    request_body  TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL DEFAULT 1,
    job_id        INTEGER,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    resolved_at   TEXT
);
-- One open error per record and operation: a repeat failure updates it.
CREATE UNIQUE INDEX IF NOT EXISTS sync_errors_open ON sync_errors (connection_id, record_id, operation) WHERE resolved_at IS NULL;
CREATE INDEX IF NOT EXISTS sync_errors_list ON sync_errors (connection_id, updated_at);

CREATE TABLE IF NOT EXISTS history (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    object        TEXT NOT NULL DEFAULT '',
    intercom_id   TEXT NOT NULL DEFAULT '',
    salesforce_id TEXT NOT NULL DEFAULT '',
    origin        TEXT NOT NULL DEFAULT '',
    rule          TEXT NOT NULL DEFAULT '',
    changes       TEXT NOT NULL DEFAULT '',
    outcome       TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_intercom ON history (connection_id, intercom_id, id);
CREATE INDEX IF NOT EXISTS history_salesforce ON history (connection_id, salesforce_id, id);

CREATE TABLE IF NOT EXISTS api_usage (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    day           TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    count         INTEGER NOT NULL,
    PRIMARY KEY (connection_id, day, purpose)
);

CREATE TABLE IF NOT EXISTS webhook_events (
    id              INTEGER PRIMARY KEY,
    connection_id   INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    notification_id TEXT NOT NULL,
    topic           TEXT NOT NULL DEFAULT '',
    payload         TEXT NOT NULL DEFAULT '',
    received_at     TEXT NOT NULL,
    processed_at    TEXT,
    UNIQUE (connection_id, notification_id)
);

CREATE TABLE IF NOT EXISTS match_reviews (
    id            INTEGER PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    intercom_id   TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    candidates    TEXT NOT NULL DEFAULT '',
    resolution    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    resolved_at   TEXT
);
CREATE INDEX IF NOT EXISTS match_reviews_conn ON match_reviews (connection_id, id);

CREATE TABLE IF NOT EXISTS oauth_states (
    state         TEXT PRIMARY KEY,
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    provider      TEXT NOT NULL,
    verifier      TEXT NOT NULL DEFAULT '',
    redirect_to   TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);

-- +goose Down
DROP TABLE oauth_states;
DROP TABLE match_reviews;
DROP TABLE webhook_events;
DROP TABLE api_usage;
DROP TABLE history;
DROP TABLE sync_errors;
DROP TABLE watermarks;
DROP TABLE field_states;
DROP TABLE mappings;
DROP TABLE settings;
DROP TABLE credentials;
DROP TABLE connections;
