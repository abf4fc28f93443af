DROP TRIGGER products_counted_in_collections ON products;
DROP FUNCTION collections_count_products();
ALTER TABLE collections DROP COLUMN products_count;
