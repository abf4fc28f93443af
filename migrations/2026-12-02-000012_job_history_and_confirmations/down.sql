ALTER TABLE orders DROP COLUMN confirmation_sent_at;
DROP TABLE job_history;
