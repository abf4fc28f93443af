-- A promotion's discount is a percentage as an exact decimal (0 < discount <= 100, two
-- places), and promotions show on products: their writes empty the catalogue cache.
ALTER TABLE promotions
    ALTER COLUMN discount TYPE NUMERIC(5, 2) USING round(discount::numeric, 2),
    ADD CONSTRAINT promotions_discount_check CHECK (discount > 0 AND discount <= 100);

CREATE TRIGGER catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON promotions
FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_changed();
CREATE TRIGGER catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product_promotions
FOR EACH STATEMENT EXECUTE FUNCTION notify_catalogue_changed();
