-- Whether the person at an ad-hoc computer must allow a screen view or control:
-- 'always', 'when_present' (when someone uses the computer) or 'never'.
ALTER TABLE companies ADD COLUMN adhoc_control_confirmation TEXT NOT NULL DEFAULT 'when_present'
    CHECK (adhoc_control_confirmation IN ('always', 'when_present', 'never'));
