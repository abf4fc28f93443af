DROP TRIGGER products_forget_generic_items ON products;
DROP FUNCTION forget_generic_items();
DROP TABLE liked_items;
DROP TABLE tagged_items;
DROP TABLE tags;
