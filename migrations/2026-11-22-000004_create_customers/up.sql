-- Customer profiles (spec part B §2.5) and the order -> customer link (§2.6).

CREATE TABLE customers (
    id         BIGSERIAL    CONSTRAINT customers_pkey PRIMARY KEY,
    phone      VARCHAR(255) NOT NULL DEFAULT '',
    birth_date DATE         NULL,
    membership VARCHAR(1)   NOT NULL DEFAULT 'B',
    user_id    BIGINT       NOT NULL,
    CONSTRAINT customers_membership_check CHECK (membership IN ('B', 'S', 'G')),
    CONSTRAINT customers_user_id_key UNIQUE (user_id),
    CONSTRAINT customers_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);

-- No API could place an order before this migration, so the table is empty.
ALTER TABLE orders ADD COLUMN customer_id BIGINT NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id)
    REFERENCES customers (id) ON DELETE RESTRICT;
CREATE INDEX orders_customer_id_idx ON orders (customer_id, placed_at);
