-- A technician's second factor: the TOTP secret sealed under the server's key (a copy
-- of the database alone cannot make codes), one being set up, the last time step used
-- (a code works once), and single-use recovery codes kept as keyed hashes.
ALTER TABLE technicians ADD COLUMN totp_sealed BLOB;
ALTER TABLE technicians ADD COLUMN totp_pending_sealed BLOB;
ALTER TABLE technicians ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN require_second_factor INTEGER NOT NULL DEFAULT 0;
CREATE TABLE recovery_codes (
    technician_id BLOB NOT NULL REFERENCES technicians(id),
    code_hash     TEXT NOT NULL,
    used_at       INTEGER,
    PRIMARY KEY (technician_id, code_hash)
);
