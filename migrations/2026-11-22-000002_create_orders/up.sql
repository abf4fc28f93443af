-- Orders and their items (spec part A §2.6-2.7, part B §2.6-2.7).
-- The customer link arrives with the identity migration; order_items exists now so
-- that the product delete guard (API-DEL-1) is backed by a real table.

CREATE TABLE orders (
    id             BIGSERIAL   CONSTRAINT orders_pkey PRIMARY KEY,
    placed_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    payment_status VARCHAR(1)  NOT NULL DEFAULT 'P',
    CONSTRAINT orders_payment_status_check CHECK (payment_status IN ('P', 'C', 'F'))
);
CREATE INDEX orders_placed_at_id_idx ON orders (placed_at, id);

CREATE TABLE order_items (
    id         BIGSERIAL     CONSTRAINT order_items_pkey PRIMARY KEY,
    order_id   BIGINT        NOT NULL,
    product_id BIGINT        NOT NULL,
    quantity   SMALLINT      NOT NULL,
    unit_price NUMERIC(6, 2) NOT NULL,
    CONSTRAINT order_items_quantity_positive CHECK (quantity > 0),
    CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id)
        REFERENCES orders (id) ON DELETE RESTRICT,
    CONSTRAINT order_items_product_id_fkey FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE RESTRICT
);
CREATE INDEX order_items_order_id_idx ON order_items (order_id);
CREATE INDEX order_items_product_id_idx ON order_items (product_id);
