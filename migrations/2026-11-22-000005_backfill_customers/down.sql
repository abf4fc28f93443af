-- Backfilled rows cannot be told apart from others; nothing to undo.
SELECT 1;
