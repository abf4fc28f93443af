-- Product images (spec part C IMG-1..3): the file lives under MEDIA_ROOT, the row keeps
-- its relative path.
CREATE TABLE product_images (
    id         BIGSERIAL    CONSTRAINT product_images_pkey PRIMARY KEY,
    product_id BIGINT       NOT NULL,
    image      VARCHAR(255) NOT NULL,
    width      INTEGER      NOT NULL,
    height     INTEGER      NOT NULL,
    created_at TIMESTAMPTZ  NOT NULL DEFAULT now(),
    CONSTRAINT product_images_product_id_fkey FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT product_images_image_key UNIQUE (image)
);
CREATE INDEX product_images_product_id_idx ON product_images (product_id, id);
