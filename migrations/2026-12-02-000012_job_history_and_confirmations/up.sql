-- Completed jobs, kept for JOB_HISTORY_DAYS so staff can see what ran (the queue deletes a
-- job when it completes). Payloads are stored with secret-looking keys scrubbed.
CREATE TABLE job_history (
    job_id BIGINT PRIMARY KEY,
    task TEXT NOT NULL,
    payload JSONB NOT NULL,
    attempts SMALLINT NOT NULL,
    max_attempts SMALLINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    run_at TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX job_history_completed_at ON job_history (completed_at);

-- When the order's confirmation was mailed: a re-run of the job (its worker died after
-- sending) finds it set and sends nothing.
ALTER TABLE orders ADD COLUMN confirmation_sent_at TIMESTAMPTZ;
