-- End-to-end authenticated enrollment: the technician's app makes the security code and
-- keeps the verifier; the service relays one SPAKE2 run at a time between the agent and
-- the app and keeps only the verifier's salt and cost.
ALTER TABLE adhoc_sessions ADD COLUMN enrollment_id BLOB;
ALTER TABLE adhoc_sessions ADD COLUMN enrollment_message TEXT;
-- JSON of the agent's ComputerInfo, cleaned.
ALTER TABLE adhoc_sessions ADD COLUMN enrollment_computer TEXT;
ALTER TABLE adhoc_sessions ADD COLUMN enrollment_ip TEXT;
ALTER TABLE adhoc_sessions ADD COLUMN enrollment_started_at INTEGER;
-- JSON of the app's EnrollmentAnswer, for the agent.
ALTER TABLE adhoc_sessions ADD COLUMN enrollment_answer TEXT;
-- SHA-256 of the grant the agent shows if it knew the code.
ALTER TABLE adhoc_sessions ADD COLUMN enrollment_grant_hash TEXT;

-- A session prepared before cannot enroll this way (the service made its code, not the
-- technician's app): it expires, and its slot is free.
UPDATE adhoc_sessions SET status = 'expired', ended_at = created_at, code_hash = NULL
    WHERE status = 'prepared';
-- Active agents have their verifier: the service keeps only the salt and cost.
UPDATE adhoc_sessions SET password_verifier = json_remove(password_verifier, '$.public_key');
UPDATE adhoc_sessions SET code_hash = NULL;
