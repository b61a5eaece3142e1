-- Migration 3: artifacts larger than one SQLite value.
-- Frozen: applied stores record the SHA-256 of these statements; never edit this file.
--
-- SQLite holds at most SQLITE_MAX_LENGTH bytes (1,000,000,000 by default) in one value, and a
-- 10^4-point grid on 43,800 bars has a 3.5 GB returns matrix. An artifact whose bytes are
-- larger than one part (qrp_jupyter/store/db.py, PART_BYTES) keeps an empty `data` in its
-- artifacts row; its stored form (the codec's output, as `data` would have held it) is cut into
-- parts numbered from 0, one row each here. The artifact's id stays the SHA-256 of its whole
-- bytes; each part also carries the SHA-256 of its own stored bytes, so `qrp verify` can name
-- the part that was damaged. Parts are append-only (never changed, never deleted), and are
-- appended in order only to an artifact whose row holds no data. With foreign keys on, an
-- artifact that has parts cannot be deleted (QRP never deletes an artifact).

CREATE TABLE artifact_chunks (
    artifact_id TEXT NOT NULL REFERENCES artifacts(artifact_id),
    seq         INTEGER NOT NULL CHECK (seq >= 0),
    sha256      TEXT NOT NULL CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    data        BLOB NOT NULL CHECK (length(data) > 0),
    PRIMARY KEY (artifact_id, seq)
);

CREATE TRIGGER trg_artifact_chunks_no_replace BEFORE INSERT ON artifact_chunks
WHEN EXISTS (SELECT 1 FROM artifact_chunks x
             WHERE x.artifact_id = NEW.artifact_id AND x.seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifact_chunks_no_replace]: artifact_chunks already holds a row with this key: rows are never replaced');
END;

CREATE TRIGGER trg_artifact_chunks_in_order BEFORE INSERT ON artifact_chunks
WHEN NOT EXISTS (SELECT 1 FROM artifact_chunks x
                 WHERE x.artifact_id = NEW.artifact_id AND x.seq = NEW.seq)
 AND (NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.artifact_id = NEW.artifact_id
                  AND length(a.data) = 0 AND a.size > 0)
      OR NEW.seq IS NOT (SELECT COALESCE(MAX(seq), -1) + 1 FROM artifact_chunks
                         WHERE artifact_id = NEW.artifact_id))
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifact_chunks_in_order]: parts are appended in order, from 0, to an artifact whose row holds no data');
END;

CREATE TRIGGER trg_artifact_chunks_no_update BEFORE UPDATE ON artifact_chunks
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifact_chunks_no_update]: artifact_chunks is append-only: rows are never updated');
END;

CREATE TRIGGER trg_artifact_chunks_no_delete BEFORE DELETE ON artifact_chunks
BEGIN
    SELECT RAISE(ABORT, 'qrp[trg_artifact_chunks_no_delete]: artifact_chunks is append-only: rows are never deleted');
END;
