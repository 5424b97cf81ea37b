-- Lifeline's first schema. Times are Unix milliseconds (UTC); ids are 16-byte UUID blobs.

CREATE TABLE companies (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE technicians (
    id             BLOB PRIMARY KEY,
    company_id     BLOB NOT NULL REFERENCES companies(id),
    email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    is_admin       INTEGER NOT NULL DEFAULT 0,
    disabled       INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);

-- Access and refresh tokens, by SHA-256 of the token. A refresh token rotates within
-- its family; presenting a rotated one revokes the whole family.
CREATE TABLE auth_tokens (
    token_hash     TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    technician_id  BLOB NOT NULL REFERENCES technicians(id),
    family_id      BLOB NOT NULL,
    expires_at     INTEGER NOT NULL,
    revoked        INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE INDEX auth_tokens_family ON auth_tokens(family_id);

CREATE TABLE sessions (
    id                          BLOB PRIMARY KEY,
    technician_id               BLOB NOT NULL REFERENCES technicians(id),
    support_key                 TEXT NOT NULL,
    -- 1 while the key may still be used; a key is unique among live keys only.
    key_live                    INTEGER NOT NULL DEFAULT 1,
    key_expires_at              INTEGER NOT NULL,
    request_control_on_arrival  INTEGER NOT NULL DEFAULT 0,
    status                      TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'ended')),
    end_user_name               TEXT,
    end_user_token_hash         TEXT UNIQUE,
    created_at                  INTEGER NOT NULL,
    joined_at                   INTEGER,
    ended_at                    INTEGER,
    technician_delivered_seq    INTEGER NOT NULL DEFAULT 0,
    technician_read_seq         INTEGER NOT NULL DEFAULT 0,
    end_user_delivered_seq      INTEGER NOT NULL DEFAULT 0,
    end_user_read_seq           INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX sessions_live_key ON sessions(support_key) WHERE key_live = 1;
CREATE INDEX sessions_technician ON sessions(technician_id, created_at);

-- Every session event, stored before it is delivered. seq counts from 1 per session.
CREATE TABLE events (
    session_id  BLOB NOT NULL REFERENCES sessions(id),
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    author      TEXT,
    client_id   BLOB,
    data        TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX events_client_id ON events(session_id, author, client_id)
    WHERE client_id IS NOT NULL;

CREATE TABLE files (
    id            BLOB PRIMARY KEY,
    session_id    BLOB NOT NULL REFERENCES sessions(id),
    uploader      TEXT NOT NULL CHECK (uploader IN ('technician', 'end_user')),
    name          TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    received      INTEGER NOT NULL DEFAULT 0,
    complete      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE INDEX files_session ON files(session_id);

-- Invites that left, or that the outbox driver keeps for admins to read.
CREATE TABLE outbox (
    id             BLOB PRIMARY KEY,
    channel        TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    driver         TEXT NOT NULL,
    recipient      TEXT NOT NULL,
    subject        TEXT,
    body           TEXT NOT NULL,
    technician_id  BLOB NOT NULL REFERENCES technicians(id),
    session_id     BLOB REFERENCES sessions(id),
    created_at     INTEGER NOT NULL
);
CREATE INDEX outbox_technician ON outbox(technician_id, created_at);

-- Fixed-window counters, kept on disk so a restart does not reset them.
CREATE TABLE rate_limits (
    bucket        TEXT PRIMARY KEY,
    window_start  INTEGER NOT NULL,
    count         INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
