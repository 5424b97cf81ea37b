-- When the sign-in (token family) began: refreshing never carries it past
-- limits.sign_in_days from then, after which the password is asked again.
ALTER TABLE auth_tokens ADD COLUMN signed_in_at INTEGER NOT NULL DEFAULT 0;
UPDATE auth_tokens SET signed_in_at = (
    SELECT MIN(earlier.created_at) FROM auth_tokens AS earlier
    WHERE earlier.family_id = auth_tokens.family_id
);
