-- Lifeline's schema on PostgreSQL: the same tables as the SQLite migrations up to
-- 0011, in PostgreSQL's own types. Times are Unix milliseconds (UTC).
--
-- Two columns exist only here:
-- * sessions.last_seq: the last event number handed out. Taking the next one is an
--   UPDATE of the session's row, so concurrent writers on several nodes queue on that
--   row's lock instead of reading the same MAX(seq) (SQLite has one writer at a time
--   and needs no counter).
-- * outbox.rowid and adhoc_connections.rowid: insertion order, as SQLite's implicit
--   rowid gives it, so the same ORDER BY serves both backends.

CREATE TABLE companies (
    id                          UUID PRIMARY KEY,
    name                        TEXT NOT NULL UNIQUE,
    created_at                  BIGINT NOT NULL,
    adhoc_slots                 BIGINT NOT NULL DEFAULT 1,
    adhoc_control_confirmation  TEXT NOT NULL DEFAULT 'when_present'
        CHECK (adhoc_control_confirmation IN ('always', 'when_present', 'never')),
    require_second_factor       BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE technicians (
    id                   UUID PRIMARY KEY,
    company_id           UUID NOT NULL REFERENCES companies(id),
    email                TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    is_admin             BOOLEAN NOT NULL DEFAULT FALSE,
    disabled             BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           BIGINT NOT NULL,
    totp_sealed          BYTEA,
    totp_pending_sealed  BYTEA,
    totp_last_step       BIGINT NOT NULL DEFAULT 0
);
-- Unique regardless of case, as SQLite's COLLATE NOCASE makes it.
CREATE UNIQUE INDEX technicians_email ON technicians (lower(email));

CREATE TABLE auth_tokens (
    token_hash     TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    technician_id  UUID NOT NULL REFERENCES technicians(id),
    family_id      UUID NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at     BIGINT NOT NULL,
    signed_in_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX auth_tokens_family ON auth_tokens(family_id);
CREATE INDEX auth_tokens_technician ON auth_tokens(technician_id);

CREATE TABLE adhoc_sessions (
    id                     UUID PRIMARY KEY,
    technician_id          UUID NOT NULL REFERENCES technicians(id),
    company_id             UUID NOT NULL REFERENCES companies(id),
    end_user_email         TEXT NOT NULL,
    password_verifier      TEXT NOT NULL,
    code_hash              TEXT,
    code_attempts          BIGINT NOT NULL DEFAULT 0,
    code_expires_at        BIGINT NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('prepared', 'active', 'ended', 'expired')),
    created_at             BIGINT NOT NULL,
    activated_at           BIGINT,
    expires_at             BIGINT,
    ended_at               BIGINT,
    agent_token_hash       TEXT UNIQUE,
    computer_id            UUID,
    challenge_nonce        TEXT,
    enrollment_id          UUID,
    enrollment_message     TEXT,
    enrollment_computer    TEXT,
    enrollment_ip          TEXT,
    enrollment_started_at  BIGINT,
    enrollment_answer      TEXT,
    enrollment_grant_hash  TEXT
);
CREATE UNIQUE INDEX adhoc_one_live_per_technician ON adhoc_sessions(technician_id)
    WHERE status IN ('prepared', 'active');
CREATE INDEX adhoc_company ON adhoc_sessions(company_id, status);

CREATE TABLE sessions (
    id                          UUID PRIMARY KEY,
    technician_id               UUID NOT NULL REFERENCES technicians(id),
    support_key                 TEXT NOT NULL,
    key_live                    BOOLEAN NOT NULL DEFAULT TRUE,
    key_expires_at              BIGINT NOT NULL,
    request_control_on_arrival  BOOLEAN NOT NULL DEFAULT FALSE,
    status                      TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'ended')),
    end_user_name               TEXT,
    end_user_token_hash         TEXT UNIQUE,
    created_at                  BIGINT NOT NULL,
    joined_at                   BIGINT,
    ended_at                    BIGINT,
    technician_delivered_seq    BIGINT NOT NULL DEFAULT 0,
    technician_read_seq         BIGINT NOT NULL DEFAULT 0,
    end_user_delivered_seq      BIGINT NOT NULL DEFAULT 0,
    end_user_read_seq           BIGINT NOT NULL DEFAULT 0,
    adhoc_session_id            UUID REFERENCES adhoc_sessions(id),
    last_seq                    BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX sessions_live_key ON sessions(support_key) WHERE key_live;
CREATE INDEX sessions_technician ON sessions(technician_id, created_at);

CREATE TABLE events (
    session_id  UUID NOT NULL REFERENCES sessions(id),
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    author      TEXT,
    client_id   UUID,
    data        TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE UNIQUE INDEX events_client_id ON events(session_id, author, client_id)
    WHERE client_id IS NOT NULL;

CREATE TABLE files (
    id          UUID PRIMARY KEY,
    session_id  UUID NOT NULL REFERENCES sessions(id),
    uploader    TEXT NOT NULL CHECK (uploader IN ('technician', 'end_user')),
    name        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    received    BIGINT NOT NULL DEFAULT 0,
    complete    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    expired_at  BIGINT
);
CREATE INDEX files_session ON files(session_id);
CREATE INDEX files_unexpired ON files(session_id) WHERE expired_at IS NULL;

CREATE TABLE outbox (
    id             UUID PRIMARY KEY,
    rowid          BIGINT GENERATED ALWAYS AS IDENTITY,
    channel        TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    driver         TEXT NOT NULL,
    recipient      TEXT NOT NULL,
    subject        TEXT,
    body           TEXT NOT NULL,
    technician_id  UUID NOT NULL REFERENCES technicians(id),
    session_id     UUID REFERENCES sessions(id),
    created_at     BIGINT NOT NULL
);
CREATE INDEX outbox_technician ON outbox(technician_id, created_at);

CREATE TABLE rate_limits (
    bucket        TEXT PRIMARY KEY,
    window_start  BIGINT NOT NULL,
    count         BIGINT NOT NULL
);

CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

CREATE TABLE computers (
    id             UUID PRIMARY KEY,
    company_id     UUID NOT NULL REFERENCES companies(id),
    hostname       TEXT NOT NULL,
    os             TEXT NOT NULL,
    os_version     TEXT NOT NULL,
    username       TEXT NOT NULL,
    agent_version  TEXT NOT NULL,
    ip             TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL
);

CREATE TABLE computer_groups (
    id          UUID PRIMARY KEY,
    company_id  UUID NOT NULL REFERENCES companies(id),
    name        TEXT NOT NULL,
    system      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    UNIQUE (company_id, name)
);

CREATE TABLE computer_group_members (
    group_id     UUID NOT NULL REFERENCES computer_groups(id) ON DELETE CASCADE,
    computer_id  UUID NOT NULL REFERENCES computers(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, computer_id)
);

CREATE TABLE adhoc_connections (
    id                UUID PRIMARY KEY,
    rowid             BIGINT GENERATED ALWAYS AS IDENTITY,
    adhoc_session_id  UUID NOT NULL REFERENCES adhoc_sessions(id),
    technician_id     UUID NOT NULL REFERENCES technicians(id),
    started_at        BIGINT NOT NULL,
    ended_at          BIGINT,
    outcome           TEXT NOT NULL DEFAULT 'pending'
        CHECK (outcome IN ('pending', 'accepted', 'refused', 'timed_out')),
    session_id        UUID REFERENCES sessions(id)
);
CREATE INDEX adhoc_connections_session ON adhoc_connections(adhoc_session_id, started_at);

CREATE TABLE agent_download_tickets (
    session_id   UUID PRIMARY KEY REFERENCES sessions(id),
    ticket_hash  TEXT NOT NULL UNIQUE,
    expires_at   BIGINT NOT NULL
);

CREATE TABLE attended_agents (
    token_hash  TEXT PRIMARY KEY,
    session_id  UUID NOT NULL REFERENCES sessions(id),
    platform    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    joined_at   BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX attended_agents_session ON attended_agents(session_id);

CREATE TABLE failed_attempts (
    bucket           TEXT PRIMARY KEY,
    failures         BIGINT NOT NULL,
    last_failure_at  BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    technician_id  UUID NOT NULL REFERENCES technicians(id),
    code_hash      TEXT NOT NULL,
    used_at        BIGINT,
    PRIMARY KEY (technician_id, code_hash)
);

CREATE TABLE canned_replies (
    id             UUID PRIMARY KEY,
    company_id     UUID NOT NULL REFERENCES companies(id),
    technician_id  UUID REFERENCES technicians(id),
    author_id      UUID NOT NULL REFERENCES technicians(id),
    title          TEXT NOT NULL,
    text_en        TEXT NOT NULL,
    text_de        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX canned_replies_owner ON canned_replies(company_id, technician_id);
