-- Single-use, expiring password-reset tokens (only their SHA-256 is stored).
CREATE TABLE password_resets (
    id         BIGSERIAL   CONSTRAINT password_resets_pkey PRIMARY KEY,
    user_id    BIGINT      NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT password_resets_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT password_resets_token_hash_key UNIQUE (token_hash)
);
