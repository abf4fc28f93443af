-- Every user has exactly one customer (SIG-01): create the missing ones.
INSERT INTO customers (user_id)
SELECT u.id FROM users u
WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.user_id = u.id);
