-- +goose Up
-- Counts the overview shows on every visit, kept by triggers as rows are
-- written: mappings per kind and history entries per UTC day, origin and
-- outcome. Counting 200,000 mappings or a day's 50,000 history entries
-- from their indexes costs tens of milliseconds per visit; reading a
-- counter row costs none. The triggers keep them exact under every insert,
-- delete (retention, unmap) and kind change; a connection's delete
-- cascades to them.
CREATE TABLE IF NOT EXISTS mapping_counts (
    connection_id BIGINT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    n             BIGINT NOT NULL,
    PRIMARY KEY (connection_id, kind)
);
INSERT INTO mapping_counts (connection_id, kind, n)
    SELECT connection_id, kind, COUNT(*) FROM mappings GROUP BY connection_id, kind;

CREATE TABLE IF NOT EXISTS history_counts (
    connection_id BIGINT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    day           TEXT NOT NULL,
    origin        TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    n             BIGINT NOT NULL,
    PRIMARY KEY (connection_id, day, origin, outcome)
);
INSERT INTO history_counts (connection_id, day, origin, outcome, n)
    SELECT connection_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), origin, outcome, COUNT(*) FROM history
    GROUP BY 1, 2, 3, 4;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION mapping_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE mapping_counts SET n = n - 1 WHERE connection_id = OLD.connection_id AND kind = OLD.kind;
        DELETE FROM mapping_counts WHERE connection_id = OLD.connection_id AND kind = OLD.kind AND n <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO mapping_counts (connection_id, kind, n) VALUES (NEW.connection_id, NEW.kind, 1)
            ON CONFLICT (connection_id, kind) DO UPDATE SET n = mapping_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER mapping_counts_insert_delete AFTER INSERT OR DELETE ON mappings
    FOR EACH ROW EXECUTE FUNCTION mapping_counts_keep();
CREATE TRIGGER mapping_counts_update AFTER UPDATE OF connection_id, kind ON mappings
    FOR EACH ROW WHEN (OLD.connection_id <> NEW.connection_id OR OLD.kind <> NEW.kind) EXECUTE FUNCTION mapping_counts_keep();

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION history_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE history_counts SET n = n - 1
            WHERE connection_id = OLD.connection_id AND day = to_char(OLD.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
            AND origin = OLD.origin AND outcome = OLD.outcome;
        DELETE FROM history_counts
            WHERE connection_id = OLD.connection_id AND day = to_char(OLD.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
            AND origin = OLD.origin AND outcome = OLD.outcome AND n <= 0;
    ELSE
        INSERT INTO history_counts (connection_id, day, origin, outcome, n)
            VALUES (NEW.connection_id, to_char(NEW.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), NEW.origin, NEW.outcome, 1)
            ON CONFLICT (connection_id, day, origin, outcome) DO UPDATE SET n = history_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER history_counts_insert_delete AFTER INSERT OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION history_counts_keep();

-- +goose Down
DROP TRIGGER IF EXISTS history_counts_insert_delete ON history;
DROP FUNCTION IF EXISTS history_counts_keep();
DROP TRIGGER IF EXISTS mapping_counts_update ON mappings;
DROP TRIGGER IF EXISTS mapping_counts_insert_delete ON mappings;
DROP FUNCTION IF EXISTS mapping_counts_keep();
DROP TABLE IF EXISTS history_counts;
DROP TABLE IF EXISTS mapping_counts;
