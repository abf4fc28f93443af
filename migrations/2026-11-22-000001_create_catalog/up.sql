-- Catalogue: collections, products, promotions, reviews (spec part A §2.1-2.3, §2.9).
-- Every constraint is named so that errors can be mapped from constraint names.

CREATE TABLE collections (
    id                  BIGSERIAL    CONSTRAINT collections_pkey PRIMARY KEY,
    title               VARCHAR(255) NOT NULL,
    featured_product_id BIGINT       NULL,  -- FK added below (circular reference)
    CONSTRAINT collections_title_not_blank CHECK (btrim(title) <> '')
);

CREATE TABLE products (
    id            BIGSERIAL     CONSTRAINT products_pkey PRIMARY KEY,
    title         VARCHAR(255)  NOT NULL,
    slug          VARCHAR(50)   NOT NULL,
    description   TEXT          NULL,
    unit_price    NUMERIC(6, 2) NOT NULL,
    inventory     INTEGER       NOT NULL,
    last_update   TIMESTAMPTZ   NOT NULL DEFAULT now(),
    collection_id BIGINT        NOT NULL,
    CONSTRAINT products_title_not_blank CHECK (btrim(title) <> ''),
    CONSTRAINT products_slug_format CHECK (slug ~ '^[-a-zA-Z0-9_]+$'),
    CONSTRAINT products_unit_price_min CHECK (unit_price >= 1),
    CONSTRAINT products_inventory_min CHECK (inventory >= 0),
    CONSTRAINT products_collection_id_fkey FOREIGN KEY (collection_id)
        REFERENCES collections (id) ON DELETE RESTRICT
);

CREATE INDEX products_collection_id_idx ON products (collection_id);
CREATE INDEX products_slug_idx ON products (slug);
-- Keyset pagination: every ordering ends with id, so each sort key is indexed with it.
CREATE INDEX products_title_id_idx ON products (title, id);
CREATE INDEX products_unit_price_id_idx ON products (unit_price, id);
CREATE INDEX products_last_update_id_idx ON products (last_update, id);
CREATE INDEX products_collection_title_id_idx ON products (collection_id, title, id);

ALTER TABLE collections
    ADD CONSTRAINT collections_featured_product_id_fkey FOREIGN KEY (featured_product_id)
        REFERENCES products (id) ON DELETE SET NULL;
CREATE INDEX collections_featured_product_id_idx ON collections (featured_product_id);
CREATE INDEX collections_title_id_idx ON collections (title, id);

CREATE TABLE promotions (
    id          BIGSERIAL        CONSTRAINT promotions_pkey PRIMARY KEY,
    description VARCHAR(255)     NOT NULL,
    discount    DOUBLE PRECISION NOT NULL
);

CREATE TABLE product_promotions (
    id           BIGSERIAL CONSTRAINT product_promotions_pkey PRIMARY KEY,
    product_id   BIGINT    NOT NULL,
    promotion_id BIGINT    NOT NULL,
    CONSTRAINT product_promotions_product_id_fkey FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT product_promotions_promotion_id_fkey FOREIGN KEY (promotion_id)
        REFERENCES promotions (id) ON DELETE CASCADE,
    CONSTRAINT product_promotions_product_id_promotion_id_key UNIQUE (product_id, promotion_id)
);
CREATE INDEX product_promotions_promotion_id_idx ON product_promotions (promotion_id);

CREATE TABLE reviews (
    id          BIGSERIAL    CONSTRAINT reviews_pkey PRIMARY KEY,
    product_id  BIGINT       NOT NULL,
    name        VARCHAR(255) NOT NULL,
    description TEXT         NOT NULL,
    date        DATE         NOT NULL DEFAULT CURRENT_DATE,
    CONSTRAINT reviews_name_not_blank CHECK (btrim(name) <> ''),
    CONSTRAINT reviews_description_not_blank CHECK (btrim(description) <> ''),
    CONSTRAINT reviews_product_id_fkey FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE CASCADE
);
CREATE INDEX reviews_product_id_idx ON reviews (product_id, id);
