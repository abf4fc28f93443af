-- Sessions that can be revoked: one row per sign-in (a refresh-token family). Access
-- tokens name their session, so revoking it stops them at once.
CREATE TABLE sessions (
    id         UUID        CONSTRAINT sessions_pkey PRIMARY KEY,
    user_id    BIGINT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ NULL,
    CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

-- Every refresh token issued, by its `jti`. A used one is retired; presenting it again
-- revokes its whole session (reuse detection).
CREATE TABLE refresh_tokens (
    jti        VARCHAR(64) CONSTRAINT refresh_tokens_pkey PRIMARY KEY,
    session_id UUID        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ NULL,
    CONSTRAINT refresh_tokens_session_id_fkey FOREIGN KEY (session_id)
        REFERENCES sessions (id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);

-- Failed sign-ins, counted per (account, client address) and per account.
CREATE TABLE sign_in_failures (
    id        BIGSERIAL    CONSTRAINT sign_in_failures_pkey PRIMARY KEY,
    account   VARCHAR(150) NOT NULL,
    address   VARCHAR(64)  NOT NULL,
    failed_at TIMESTAMPTZ  NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_account_idx ON sign_in_failures (account, failed_at);

-- Locks from those failures: `address` is a client address, or '*' for the account.
CREATE TABLE sign_in_locks (
    account      VARCHAR(150) NOT NULL,
    address      VARCHAR(64)  NOT NULL,
    locked_until TIMESTAMPTZ  NOT NULL,
    strikes      INTEGER      NOT NULL,
    CONSTRAINT sign_in_locks_pkey PRIMARY KEY (account, address)
);

-- Who changed privileges, deactivated users, changed or deleted orders.
CREATE TABLE audit_log (
    id          BIGSERIAL   CONSTRAINT audit_log_pkey PRIMARY KEY,
    actor_id    BIGINT      NULL,
    action      VARCHAR(64) NOT NULL,
    target_type VARCHAR(64) NOT NULL,
    target_id   BIGINT      NOT NULL,
    request_id  VARCHAR(64) NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT audit_log_actor_id_fkey FOREIGN KEY (actor_id)
        REFERENCES users (id) ON DELETE SET NULL
);

-- Reviews belong to their signed-in author (NULL: written anonymously).
ALTER TABLE reviews ADD COLUMN user_id BIGINT NULL
    CONSTRAINT reviews_user_id_fkey REFERENCES users (id) ON DELETE SET NULL;
