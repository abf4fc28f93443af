-- Idempotent checkout: the order a user's `createOrder` made under an idempotency key, so a
-- retry with the key gets the same order. Kept for a day (the nightly clean-up).
CREATE TABLE checkout_keys (
    user_id    BIGINT      NOT NULL,
    key        UUID        NOT NULL,
    cart_id    UUID        NOT NULL,
    order_id   BIGINT      NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT checkout_keys_pkey PRIMARY KEY (user_id, key),
    CONSTRAINT checkout_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT checkout_keys_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
);
CREATE INDEX checkout_keys_created_at_idx ON checkout_keys (created_at);
