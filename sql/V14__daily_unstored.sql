-- What daily_analytics counts that email_events (and the first-touch tables) do not hold (issue 13
-- meets issue 12). The nightly reconciliation (daily_reconcile) recounts daily_analytics from the raw
-- tables; without this table it would "repair" away every count whose raw row was never stored or
-- was erased, which is exactly what the privacy settings promise to keep:
--   * events of aggregate-only tenants, and of a recipient within edge.privacy.erasure-hold after an
--     erasure: the Postgres sink counts them in daily_analytics, stores no row, and adds the same
--     counts here, in the same transaction;
--   * an erasure (edge erase, POST /v1/erasure): before deleting the recipient's email_events,
--     email_opens, email_clicks and email_human_opens rows it adds their counts here, per key and
--     UTC day as the sink keys them, in the erasure's transaction. The counts name no recipient.
-- The reconciliation's recount is the raw tables plus this table, so both stay counted and drift is
-- still found and repaired in both directions. Rows are only ever added to (col = col + x).
CREATE TABLE daily_unstored (
    tenant_id          uuid    NOT NULL,
    user_id            uuid    NOT NULL,
    campaign_id        text,
    mailbox_id         text,
    date               date    NOT NULL,
    emails_sent        bigint  NOT NULL DEFAULT 0,
    emails_delivered   bigint  NOT NULL DEFAULT 0,
    opens_total        bigint  NOT NULL DEFAULT 0,
    opens_unique       bigint  NOT NULL DEFAULT 0,
    opens_unique_human bigint  NOT NULL DEFAULT 0,
    opens_human        bigint  NOT NULL DEFAULT 0,
    opens_machine      bigint  NOT NULL DEFAULT 0,
    clicks_total       bigint  NOT NULL DEFAULT 0,
    clicks_unique      bigint  NOT NULL DEFAULT 0,
    clicks_human       bigint  NOT NULL DEFAULT 0,
    clicks_machine     bigint  NOT NULL DEFAULT 0,
    emails_bounced     bigint  NOT NULL DEFAULT 0,
    bounces_hard       bigint  NOT NULL DEFAULT 0,
    bounces_soft       bigint  NOT NULL DEFAULT 0,
    emails_replied     bigint  NOT NULL DEFAULT 0,
    unsubscribes       bigint  NOT NULL DEFAULT 0,
    complaints         bigint  NOT NULL DEFAULT 0,
    warmup_opens       bigint  NOT NULL DEFAULT 0,
    warmup_replies     bigint  NOT NULL DEFAULT 0,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT daily_unstored_key UNIQUE NULLS NOT DISTINCT (tenant_id, user_id, campaign_id, mailbox_id, date)
);
CREATE INDEX daily_unstored_date ON daily_unstored (date, tenant_id);
