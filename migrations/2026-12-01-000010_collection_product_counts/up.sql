-- Every collection carries its product count, kept in the same transaction as each
-- product insert, move and delete, so reading a collection never counts products.
ALTER TABLE collections ADD COLUMN products_count bigint NOT NULL DEFAULT 0;

UPDATE collections c
SET products_count = (SELECT count(*) FROM products p WHERE p.collection_id = c.id);

CREATE FUNCTION collections_count_products() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NEW.collection_id <> OLD.collection_id) THEN
        UPDATE collections SET products_count = products_count - 1 WHERE id = OLD.collection_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.collection_id <> OLD.collection_id) THEN
        UPDATE collections SET products_count = products_count + 1 WHERE id = NEW.collection_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_counted_in_collections
AFTER INSERT OR DELETE OR UPDATE OF collection_id ON products
FOR EACH ROW EXECUTE FUNCTION collections_count_products();

-- TRUNCATE fires no row triggers, but products cannot be truncated without collections
-- (`collections.featured_product_id` refers to them), so no count outlives its rows.
