-- Canned replies: a technician's own, or (technician_id NULL) the company's, kept by admins.
CREATE TABLE canned_replies (
    id            BLOB PRIMARY KEY,
    company_id    BLOB NOT NULL REFERENCES companies(id),
    technician_id BLOB REFERENCES technicians(id),
    author_id     BLOB NOT NULL REFERENCES technicians(id),
    title         TEXT NOT NULL,
    text_en       TEXT NOT NULL,
    text_de       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX canned_replies_owner ON canned_replies(company_id, technician_id);
