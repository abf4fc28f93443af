DROP TABLE reviews;
DROP TABLE product_promotions;
DROP TABLE promotions;
ALTER TABLE collections DROP CONSTRAINT collections_featured_product_id_fkey;
DROP TABLE products;
DROP TABLE collections;
