-- Jobs that must run once per installation (expiry, clean-up) run where this lease is
-- held; with one node that is always here.
CREATE TABLE leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    until   INTEGER NOT NULL
);
