-- Ad-hoc (unattended, 24-hour) support: licence slots, sessions, computers and groups.

ALTER TABLE companies ADD COLUMN adhoc_slots INTEGER NOT NULL DEFAULT 1;

CREATE TABLE adhoc_sessions (
    id                  BLOB PRIMARY KEY,
    technician_id       BLOB NOT NULL REFERENCES technicians(id),
    company_id          BLOB NOT NULL REFERENCES companies(id),
    end_user_email      TEXT NOT NULL,
    -- argon2id hash of the session password; the agent verifies against it.
    password_verifier   TEXT NOT NULL,
    -- HMAC-SHA256 of the security code under the installation's secret.
    code_hash           TEXT,
    code_attempts       INTEGER NOT NULL DEFAULT 0,
    code_expires_at     INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('prepared', 'active', 'ended', 'expired')),
    created_at          INTEGER NOT NULL,
    activated_at        INTEGER,
    expires_at          INTEGER,
    ended_at            INTEGER,
    agent_token_hash    TEXT UNIQUE,
    computer_id         BLOB
);
-- At most one live ad-hoc session per technician; sessions past their time are marked
-- expired before this is checked.
CREATE UNIQUE INDEX adhoc_one_live_per_technician ON adhoc_sessions(technician_id)
    WHERE status IN ('prepared', 'active');
CREATE INDEX adhoc_company ON adhoc_sessions(company_id, status);

CREATE TABLE computers (
    id             BLOB PRIMARY KEY,
    company_id     BLOB NOT NULL REFERENCES companies(id),
    hostname       TEXT NOT NULL,
    os             TEXT NOT NULL,
    os_version     TEXT NOT NULL,
    username       TEXT NOT NULL,
    agent_version  TEXT NOT NULL,
    ip             TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL
);

CREATE TABLE computer_groups (
    id          BLOB PRIMARY KEY,
    company_id  BLOB NOT NULL REFERENCES companies(id),
    name        TEXT NOT NULL,
    system      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    UNIQUE (company_id, name)
);

CREATE TABLE computer_group_members (
    group_id     BLOB NOT NULL REFERENCES computer_groups(id) ON DELETE CASCADE,
    computer_id  BLOB NOT NULL REFERENCES computers(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, computer_id)
) WITHOUT ROWID;

-- Every technician connection to an ad-hoc computer: who, when, for how long.
CREATE TABLE adhoc_connections (
    id                BLOB PRIMARY KEY,
    adhoc_session_id  BLOB NOT NULL REFERENCES adhoc_sessions(id),
    technician_id     BLOB NOT NULL REFERENCES technicians(id),
    started_at        INTEGER NOT NULL,
    ended_at          INTEGER
);
