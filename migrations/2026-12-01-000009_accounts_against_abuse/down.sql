ALTER TABLE reviews DROP COLUMN user_id;
DROP TABLE audit_log;
DROP TABLE sign_in_locks;
DROP TABLE sign_in_failures;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
