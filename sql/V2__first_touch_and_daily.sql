-- First open and first click per email: the unique counters only move when a row is inserted here
-- (INSERT ... ON CONFLICT DO NOTHING RETURNING). The product document lacked these unique keys.
CREATE TABLE email_opens (
    tenant_id    uuid        NOT NULL,
    email_id     text        NOT NULL,
    user_id      uuid        NOT NULL,
    campaign_id  text,
    mailbox_id   text,
    lead_id      text,
    step_id      text,
    event_id     uuid        NOT NULL,
    opened_at    timestamptz NOT NULL,
    ip_address   inet,
    user_agent   text,
    is_machine   boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, email_id)
);
CREATE INDEX email_opens_user ON email_opens (tenant_id, user_id, opened_at);
CREATE INDEX email_opens_campaign ON email_opens (tenant_id, campaign_id, opened_at);

CREATE TABLE email_clicks (
    tenant_id    uuid        NOT NULL,
    email_id     text        NOT NULL,
    user_id      uuid        NOT NULL,
    campaign_id  text,
    mailbox_id   text,
    lead_id      text,
    step_id      text,
    event_id     uuid        NOT NULL,
    clicked_url  text        NOT NULL,
    clicked_at   timestamptz NOT NULL,
    ip_address   inet,
    user_agent   text,
    is_machine   boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, email_id)
);
CREATE INDEX email_clicks_user ON email_clicks (tenant_id, user_id, clicked_at);
CREATE INDEX email_clicks_campaign ON email_clicks (tenant_id, campaign_id, clicked_at);

CREATE TABLE email_bounces (
    event_id      uuid        PRIMARY KEY,
    tenant_id     uuid        NOT NULL,
    user_id       uuid        NOT NULL,
    email_id      text        NOT NULL,
    campaign_id   text,
    mailbox_id    text,
    lead_id       text,
    step_id       text,
    bounce_type   text        NOT NULL CHECK (bounce_type IN ('hard', 'soft')),
    bounce_reason text,
    bounced_at    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_bounces_email ON email_bounces (tenant_id, email_id);
CREATE INDEX email_bounces_campaign ON email_bounces (tenant_id, campaign_id, bounced_at);

CREATE TABLE email_replies (
    event_id     uuid        PRIMARY KEY,
    tenant_id    uuid        NOT NULL,
    user_id      uuid        NOT NULL,
    email_id     text        NOT NULL,
    campaign_id  text,
    mailbox_id   text,
    lead_id      text,
    step_id      text,
    message_id   text,
    replied_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_replies_email ON email_replies (tenant_id, email_id);
CREATE INDEX email_replies_campaign ON email_replies (tenant_id, campaign_id, replied_at);

-- Daily counters per (tenant, user, campaign, mailbox, UTC day), folded per batch into one upsert
-- per key. NULLS NOT DISTINCT makes a NULL campaign or mailbox one key, not a new row each time.
CREATE TABLE daily_analytics (
    tenant_id          uuid    NOT NULL,
    user_id            uuid    NOT NULL,
    campaign_id        text,
    mailbox_id         text,
    date               date    NOT NULL,
    emails_sent        bigint  NOT NULL DEFAULT 0,
    emails_delivered   bigint  NOT NULL DEFAULT 0,
    opens_total        bigint  NOT NULL DEFAULT 0,
    opens_unique       bigint  NOT NULL DEFAULT 0,
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
    open_rate   numeric(7,2) GENERATED ALWAYS AS
        (CASE WHEN emails_sent > 0 THEN round(opens_unique::numeric * 100 / emails_sent, 2) ELSE 0 END) STORED,
    click_rate  numeric(7,2) GENERATED ALWAYS AS
        (CASE WHEN emails_sent > 0 THEN round(clicks_unique::numeric * 100 / emails_sent, 2) ELSE 0 END) STORED,
    bounce_rate numeric(7,2) GENERATED ALWAYS AS
        (CASE WHEN emails_sent > 0 THEN round(emails_bounced::numeric * 100 / emails_sent, 2) ELSE 0 END) STORED,
    reply_rate  numeric(7,2) GENERATED ALWAYS AS
        (CASE WHEN emails_sent > 0 THEN round(emails_replied::numeric * 100 / emails_sent, 2) ELSE 0 END) STORED,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT daily_analytics_key UNIQUE NULLS NOT DISTINCT (tenant_id, user_id, campaign_id, mailbox_id, date)
);
CREATE INDEX daily_analytics_tenant_date ON daily_analytics (tenant_id, date);
CREATE INDEX daily_analytics_campaign ON daily_analytics (tenant_id, campaign_id, date);
