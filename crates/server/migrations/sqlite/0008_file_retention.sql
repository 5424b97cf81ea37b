-- When a file's bytes were deleted by the retention job; the record stays for the
-- transcript, the bytes are gone.
ALTER TABLE files ADD COLUMN expired_at INTEGER;
CREATE INDEX files_unexpired ON files(session_id) WHERE expired_at IS NULL;
