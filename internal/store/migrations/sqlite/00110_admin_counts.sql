-- +goose Up
-- Counts the overview shows on every visit, kept by triggers as rows are
-- written: mappings per kind and history entries per UTC day, origin and
-- outcome. Counting 200,000 mappings or a day's 50,000 history entries
-- from their indexes costs tens of milliseconds per visit; reading a
-- counter row costs none. The triggers keep them exact under every insert,
-- delete (retention, unmap) and kind change; a connection's delete
-- cascades to them.
CREATE TABLE IF NOT EXISTS mapping_counts (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (connection_id, kind)
);
INSERT INTO mapping_counts (connection_id, kind, n)
    SELECT connection_id, kind, COUNT(*) FROM mappings GROUP BY connection_id, kind;

CREATE TABLE IF NOT EXISTS history_counts (
    connection_id INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    day           TEXT NOT NULL,
    origin        TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    n             INTEGER NOT NULL,
    PRIMARY KEY (connection_id, day, origin, outcome)
);
INSERT INTO history_counts (connection_id, day, origin, outcome, n)
    SELECT connection_id, substr(created_at, 1, 10), origin, outcome, COUNT(*) FROM history
    GROUP BY connection_id, substr(created_at, 1, 10), origin, outcome;

-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS mapping_counts_insert AFTER INSERT ON mappings BEGIN
    INSERT INTO mapping_counts (connection_id, kind, n) VALUES (NEW.connection_id, NEW.kind, 1)
        ON CONFLICT (connection_id, kind) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS mapping_counts_delete AFTER DELETE ON mappings BEGIN
    UPDATE mapping_counts SET n = n - 1 WHERE connection_id = OLD.connection_id AND kind = OLD.kind;
    DELETE FROM mapping_counts WHERE connection_id = OLD.connection_id AND kind = OLD.kind AND n <= 0;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS mapping_counts_update AFTER UPDATE OF connection_id, kind ON mappings
    WHEN OLD.connection_id <> NEW.connection_id OR OLD.kind <> NEW.kind BEGIN
    UPDATE mapping_counts SET n = n - 1 WHERE connection_id = OLD.connection_id AND kind = OLD.kind;
    DELETE FROM mapping_counts WHERE connection_id = OLD.connection_id AND kind = OLD.kind AND n <= 0;
    INSERT INTO mapping_counts (connection_id, kind, n) VALUES (NEW.connection_id, NEW.kind, 1)
        ON CONFLICT (connection_id, kind) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS history_counts_insert AFTER INSERT ON history BEGIN
    INSERT INTO history_counts (connection_id, day, origin, outcome, n)
        VALUES (NEW.connection_id, substr(NEW.created_at, 1, 10), NEW.origin, NEW.outcome, 1)
        ON CONFLICT (connection_id, day, origin, outcome) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER IF NOT EXISTS history_counts_delete AFTER DELETE ON history BEGIN
    UPDATE history_counts SET n = n - 1
        WHERE connection_id = OLD.connection_id AND day = substr(OLD.created_at, 1, 10) AND origin = OLD.origin AND outcome = OLD.outcome;
    DELETE FROM history_counts
        WHERE connection_id = OLD.connection_id AND day = substr(OLD.created_at, 1, 10) AND origin = OLD.origin AND outcome = OLD.outcome AND n <= 0;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER IF EXISTS history_counts_delete;
DROP TRIGGER IF EXISTS history_counts_insert;
DROP TRIGGER IF EXISTS mapping_counts_update;
DROP TRIGGER IF EXISTS mapping_counts_delete;
DROP TRIGGER IF EXISTS mapping_counts_insert;
DROP TABLE IF EXISTS history_counts;
DROP TABLE IF EXISTS mapping_counts;
