-- The roll-ups (jobs/, io.trackedge.jobs.rollup) recompute these tables per UTC day (billing per
-- calendar month) from email_events and the first-touch tables. What each column means is in the
-- README ("Analytics tables"); here: the columns the V3 sketches lacked and the keys they need.

-- Human and machine kept apart on every per-day email table. Event counts: opens_* and clicks_*.
-- Distinct emails that day: opened_* (a human click implies a human open) and clicked_*; the
-- V3 columns opened_tracked / clicked_tracked are their totals (human + machine-only).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['campaign_analytics', 'mailbox_analytics', 'lead_analytics', 'sequence_step_analytics',
            'warmup_analytics'] LOOP
        EXECUTE format('ALTER TABLE %I '
            'ADD COLUMN bounces_hard    bigint NOT NULL DEFAULT 0, '
            'ADD COLUMN bounces_soft    bigint NOT NULL DEFAULT 0, '
            'ADD COLUMN opens_total     bigint NOT NULL DEFAULT 0, '
            'ADD COLUMN opens_human     bigint NOT NULL DEFAULT 0, '
            'ADD COLUMN opens_machine   bigint NOT NULL DEFAULT 0, '
            'ADD COLUMN clicks_total    bigint NOT NULL DEFAULT 0, '
            'ADD COLUMN clicks_human    bigint NOT NULL DEFAULT 0, '
            'ADD COLUMN clicks_machine  bigint NOT NULL DEFAULT 0, '
            'ADD COLUMN opened_human    bigint NOT NULL DEFAULT 0, '
            'ADD COLUMN opened_machine  bigint NOT NULL DEFAULT 0, '
            'ADD COLUMN clicked_human   bigint NOT NULL DEFAULT 0, '
            'ADD COLUMN clicked_machine bigint NOT NULL DEFAULT 0', t);
    END LOOP;
END $$;

-- The warm-up signals behind health_score, on the row that carries the score.
ALTER TABLE mailbox_analytics
    ADD COLUMN warmup_opens   bigint NOT NULL DEFAULT 0,
    ADD COLUMN warmup_replies bigint NOT NULL DEFAULT 0;
ALTER TABLE warmup_analytics
    ADD COLUMN warmup_opens   bigint NOT NULL DEFAULT 0,
    ADD COLUMN warmup_replies bigint NOT NULL DEFAULT 0;

-- lead_analytics is per day like the others (V3 keyed it per lead for all time, which a recompute
-- of one day cannot maintain). Nothing filled the table before, so it is empty and the NOT NULL
-- column needs no default.
ALTER TABLE lead_analytics DROP CONSTRAINT lead_analytics_pkey;
ALTER TABLE lead_analytics ADD COLUMN date date NOT NULL;
ALTER TABLE lead_analytics ADD PRIMARY KEY (tenant_id, campaign_id, lead_id, date);

-- Billing meters beside the billed unit (emails_sent).
ALTER TABLE billing_analytics
    ADD COLUMN events_recorded bigint NOT NULL DEFAULT 0,
    ADD COLUMN opens_human     bigint NOT NULL DEFAULT 0,
    ADD COLUMN opens_machine   bigint NOT NULL DEFAULT 0,
    ADD COLUMN clicks_human    bigint NOT NULL DEFAULT 0,
    ADD COLUMN clicks_machine  bigint NOT NULL DEFAULT 0;

-- Date-first indexes for the all-tenant daily jobs (the V3 keys lead with tenant_id).
CREATE INDEX campaign_analytics_date ON campaign_analytics (date);
CREATE INDEX mailbox_analytics_date ON mailbox_analytics (date);
CREATE INDEX lead_analytics_date ON lead_analytics (date);
CREATE INDEX sequence_step_analytics_date ON sequence_step_analytics (date);
CREATE INDEX warmup_analytics_date ON warmup_analytics (date);
CREATE INDEX daily_analytics_date ON daily_analytics (date);

-- One row per run of the daily reconciliation: how far the sink's in-batch counters of
-- daily_analytics had drifted from a recount of the raw events, and what was repaired.
-- drift: per counter, table minus recount summed over the day's rows, before the repair.
CREATE TABLE rollup_reconciliations (
    reconciliation_id  bigserial   PRIMARY KEY,
    date               date        NOT NULL,
    tenant_id          uuid,
    rows_recounted     bigint      NOT NULL,
    rows_drifted       bigint      NOT NULL,
    rows_missing       bigint      NOT NULL,
    rows_extra         bigint      NOT NULL,
    drift              jsonb       NOT NULL,
    raw_missing        boolean     NOT NULL DEFAULT false,
    reconciled_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rollup_reconciliations_date ON rollup_reconciliations (date, reconciled_at);
