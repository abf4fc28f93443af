-- Invoices: one per order, numbered without gaps per calendar year in UTC (`2026-000123`).
-- The number is taken from `invoice_years` inside the order's transaction: the counter
-- row stays locked until that transaction ends, so a rolled-back order gives its number
-- back and two orders never share one. The PDF is rendered later (by the confirmation
-- job, or on first download) and then never changes.
CREATE TABLE invoice_years (
    year     INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    CONSTRAINT invoice_years_pkey PRIMARY KEY (year),
    CONSTRAINT invoice_years_last_seq_check CHECK (last_seq > 0)
);

CREATE TABLE invoices (
    id          BIGSERIAL   NOT NULL,
    -- Kept when a staff member deletes the order: an issued number is never reused.
    order_id    BIGINT,
    year        INTEGER     NOT NULL,
    seq         INTEGER     NOT NULL,
    number      TEXT        NOT NULL GENERATED ALWAYS AS (
                    year::text || '-' || CASE WHEN seq < 1000000 THEN lpad(seq::text, 6, '0')
                                              ELSE seq::text END
                ) STORED,
    issued_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    pdf         BYTEA,
    rendered_at TIMESTAMPTZ,
    CONSTRAINT invoices_pkey PRIMARY KEY (id),
    CONSTRAINT invoices_order_id_key UNIQUE (order_id),
    CONSTRAINT invoices_year_seq_key UNIQUE (year, seq),
    CONSTRAINT invoices_number_key UNIQUE (number),
    CONSTRAINT invoices_seq_check CHECK (seq > 0),
    CONSTRAINT invoices_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE SET NULL
);

-- Orders placed before invoices existed get theirs, numbered in the order they were placed.
INSERT INTO invoices (order_id, year, seq, issued_at)
SELECT id,
       extract(year FROM placed_at AT TIME ZONE 'UTC')::int,
       row_number() OVER (PARTITION BY extract(year FROM placed_at AT TIME ZONE 'UTC')
                          ORDER BY placed_at, id)::int,
       placed_at
FROM orders;

INSERT INTO invoice_years (year, last_seq)
SELECT year, max(seq) FROM invoices GROUP BY year;
