-- Jobs that must run once per cluster (expiry, clean-up) run on the node holding this
-- lease; when that node dies, the lease runs out and another takes it.
CREATE TABLE leases (
    name    TEXT PRIMARY KEY,
    holder  TEXT NOT NULL,
    until   BIGINT NOT NULL
);
