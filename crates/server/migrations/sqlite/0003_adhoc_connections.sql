-- Connecting to ad-hoc computers. The password verifier is now an Ed25519 public key
-- derived from the password by the technician's client (JSON of AdhocVerifier). It is
-- public, so the service keeps it to hand its parameters to the technician's client.
-- Sessions prepared under the old argon2id-hash verifier cannot be connected to: end them.
UPDATE adhoc_sessions SET status = 'ended', ended_at = created_at, code_hash = NULL
    WHERE status IN ('prepared', 'active');
DELETE FROM computer_group_members WHERE computer_id IN (SELECT computer_id FROM adhoc_sessions);

-- The agent's current single-use challenge, published by the agent itself.
ALTER TABLE adhoc_sessions ADD COLUMN challenge_nonce TEXT;

-- A connection is a chat session whose end-user party is the computer's agent.
ALTER TABLE sessions ADD COLUMN adhoc_session_id BLOB REFERENCES adhoc_sessions(id);

ALTER TABLE adhoc_connections ADD COLUMN outcome TEXT NOT NULL DEFAULT 'pending'
    CHECK (outcome IN ('pending', 'accepted', 'refused', 'timed_out'));
ALTER TABLE adhoc_connections ADD COLUMN session_id BLOB REFERENCES sessions(id);
CREATE INDEX adhoc_connections_session ON adhoc_connections(adhoc_session_id, started_at);
