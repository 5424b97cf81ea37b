-- Consecutive failed guesses (a wrong password, an unknown support key) per address and
-- per account, for growing delays. A success clears them; a day without one forgets them.
CREATE TABLE failed_attempts (
    bucket          TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);
