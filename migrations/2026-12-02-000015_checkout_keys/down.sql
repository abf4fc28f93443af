DROP TABLE checkout_keys;
