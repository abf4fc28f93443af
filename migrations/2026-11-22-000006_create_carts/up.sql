-- Carts for guests and signed-in users, with stock holds (spec part B §2.2-2.3, §3, §4).

CREATE TABLE carts (
    id         UUID        CONSTRAINT carts_pkey PRIMARY KEY,
    user_id    BIGINT      NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The cart's lines hold their quantities until then (renewed by every write).
    held_until TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT carts_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE
);
-- A signed-in user has at most one open cart.
CREATE UNIQUE INDEX carts_user_id_key ON carts (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX carts_updated_at_idx ON carts (updated_at);
CREATE INDEX carts_held_until_idx ON carts (held_until);

CREATE TABLE cart_items (
    id         BIGSERIAL CONSTRAINT cart_items_pkey PRIMARY KEY,
    cart_id    UUID      NOT NULL,
    product_id BIGINT    NOT NULL,
    quantity   SMALLINT  NOT NULL,
    CONSTRAINT cart_items_quantity_min CHECK (quantity >= 1),
    CONSTRAINT cart_items_cart_id_fkey FOREIGN KEY (cart_id)
        REFERENCES carts (id) ON DELETE CASCADE,
    CONSTRAINT cart_items_product_id_fkey FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT cart_items_cart_id_product_id_key UNIQUE (cart_id, product_id)
);
CREATE INDEX cart_items_product_id_idx ON cart_items (product_id);
