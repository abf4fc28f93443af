DROP TRIGGER catalogue_changed ON product_images;
DROP TRIGGER catalogue_changed ON reviews;
DROP TRIGGER catalogue_changed ON products;
DROP TRIGGER catalogue_changed ON collections;
DROP FUNCTION notify_catalogue_changed();
