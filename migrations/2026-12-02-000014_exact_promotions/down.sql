DROP TRIGGER catalogue_changed ON product_promotions;
DROP TRIGGER catalogue_changed ON promotions;
ALTER TABLE promotions DROP CONSTRAINT promotions_discount_check,
    ALTER COLUMN discount TYPE DOUBLE PRECISION;
