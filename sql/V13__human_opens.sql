-- "Unique human opens" (issue 13). With Apple Mail Privacy Protection the first open of an email is
-- mostly Apple's prefetch (email_opens keeps the first open of any kind, with its is_machine), and a
-- person's click is often the only human signal. So an email's first human open is its first open or
-- click classified human (not is_machine): a click implies that the email was read, images blocked or not.
-- Written by the Postgres sink like email_opens (INSERT ... ON CONFLICT DO NOTHING RETURNING, which bumps
-- daily_analytics.opens_unique_human on the row's key and UTC day); when a later correction or a re-score
-- (edge classify) makes that event a machine's, the row is replaced by the email's next human open or
-- click among the stored events, or deleted, and the daily counter moves with it.
CREATE TABLE email_human_opens (
    tenant_id    uuid        NOT NULL,
    email_id     text        NOT NULL,
    user_id      uuid        NOT NULL,
    campaign_id  text,
    mailbox_id   text,
    lead_id      text,
    step_id      text,
    event_id     uuid        NOT NULL,
    -- 'open', or 'click' when the click came first (the open it implies was blocked or a machine's)
    event_type   text        NOT NULL CHECK (event_type IN ('open', 'click')),
    opened_at    timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, email_id)
);
CREATE INDEX email_human_opens_user ON email_human_opens (tenant_id, user_id, opened_at);
CREATE INDEX email_human_opens_campaign ON email_human_opens (tenant_id, campaign_id, opened_at);

ALTER TABLE email_human_opens ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON email_human_opens FOR SELECT TO trackedge_reader
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT ON email_human_opens TO trackedge_reader;

-- Emails whose first human open or click (email_human_opens) was written that day, per key.
ALTER TABLE daily_analytics ADD COLUMN opens_unique_human bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN daily_analytics.opens_unique_human IS
    'emails whose first human open, or human click implying one, is that day (email_human_opens.opened_at)';
