-- V29: billing's day job counts its day, instead of recounting the month to date.
--
-- billing_analytics holds a row per tenant and calendar month; its job runs daily (the month to date)
-- and monthly (to close the month). Until now every run recounted all the month's raw events so far,
-- so each event was counted again by its own day's job and by every later day's of its month: 15.5
-- times on average in a 30-day month, 16.5 with the month's job, which made billing about a sixth of
-- what the whole job schedule costs PostgreSQL an event (docs/benchmarks.md, "Billing counts its day").
--
-- Now a run recounts each day of its period that still has raw events into billing_days, one row per
-- tenant, UTC day and sender context, and sums the month from those rows. leads_used (distinct lead
-- ids sent mail in the month) is the one figure still read from the month's raw sends: distinct leads
-- do not add up from days, and a lead per day and tenant would cost storage about one row a send.
--
-- Kept like the roll-up tables: retention drops raw partitions, not these rows. Filled here from the
-- raw events still held, so that a month under way sums every day it has from its next run on.
CREATE TABLE billing_days (
    tenant_id      uuid    NOT NULL,
    day            date    NOT NULL,
    context_id     bigint  NOT NULL,
    sent           integer NOT NULL,
    warm           integer NOT NULL,
    events         integer NOT NULL,
    opens_human    integer NOT NULL,
    opens_machine  integer NOT NULL,
    clicks_human   integer NOT NULL,
    clicks_machine integer NOT NULL,
    PRIMARY KEY (tenant_id, day, context_id)
);
-- the all-tenant jobs replace a day of every tenant at once
CREATE INDEX billing_days_day ON billing_days (day);
COMMENT ON TABLE billing_days IS
    'What billing_analytics sums over a month: per tenant, UTC day and sender context (event_contexts), the day''s counts (V29)';

ALTER TABLE billing_days ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON billing_days FOR SELECT TO trackedge_reader
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT ON billing_days TO trackedge_reader;

INSERT INTO billing_days (tenant_id, day, context_id, sent, warm, events, opens_human, opens_machine, clicks_human, clicks_machine)
SELECT tenant_id, (occurred_at AT TIME ZONE 'UTC')::date, context_id,
       count(*) FILTER (WHERE event_type = 'sent'),
       count(*) FILTER (WHERE event_type IN ('warmup_open', 'warmup_reply')),
       count(*),
       count(*) FILTER (WHERE event_type = 'open' AND NOT is_machine),
       count(*) FILTER (WHERE event_type = 'open' AND is_machine),
       count(*) FILTER (WHERE event_type = 'click' AND NOT is_machine),
       count(*) FILTER (WHERE event_type = 'click' AND is_machine)
FROM email_event_rows
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3;
ANALYZE billing_days;
