-- The attended app an end user downloads from a chat session's page to hand over control.

-- One single-use download ticket per session at a time; a new one replaces the old.
CREATE TABLE agent_download_tickets (
    session_id  BLOB PRIMARY KEY REFERENCES sessions(id),
    ticket_hash TEXT NOT NULL UNIQUE,
    expires_at  INTEGER NOT NULL
);

-- Each download carries its own token. It works while the session is open and until it
-- is revoked (the app left, or the technician cancelled it).
CREATE TABLE attended_agents (
    token_hash  TEXT PRIMARY KEY,
    session_id  BLOB NOT NULL REFERENCES sessions(id),
    platform    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    joined_at   INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX attended_agents_session ON attended_agents(session_id);
