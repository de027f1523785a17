CREATE TABLE warmup_interactions (
    event_id          uuid        PRIMARY KEY,
    tenant_id         uuid        NOT NULL,
    user_id           uuid        NOT NULL,
    mailbox_id        text        NOT NULL,
    interaction_type  text        NOT NULL CHECK (interaction_type IN ('open', 'reply')),
    partner_mailbox   text,
    interaction_at    timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX warmup_interactions_mailbox ON warmup_interactions (tenant_id, mailbox_id, interaction_at);
CREATE INDEX warmup_interactions_at ON warmup_interactions (interaction_at);

CREATE TABLE warmup_daily_stats (
    tenant_id         uuid    NOT NULL,
    user_id           uuid    NOT NULL,
    mailbox_id        text    NOT NULL,
    date              date    NOT NULL,
    emails_sent       bigint  NOT NULL DEFAULT 0,
    opens_received    bigint  NOT NULL DEFAULT 0,
    replies_received  bigint  NOT NULL DEFAULT 0,
    reputation_score  integer NOT NULL DEFAULT 0 CHECK (reputation_score BETWEEN 0 AND 100),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, mailbox_id, date)
);

-- OLAP tables, rebuilt idempotently by jobs from the raw tables. tenant_id is a uuid everywhere
-- (the product document's company_id TEXT named the same thing), and each has a natural key.
CREATE TABLE billing_analytics (
    tenant_id        uuid        NOT NULL,
    period_start     timestamptz NOT NULL,
    period_end       timestamptz NOT NULL,
    subscription_id  text,
    emails_sent      bigint      NOT NULL DEFAULT 0,
    mailboxes_used   integer     NOT NULL DEFAULT 0,
    domains_used     integer     NOT NULL DEFAULT 0,
    campaigns_used   integer     NOT NULL DEFAULT 0,
    leads_used       integer     NOT NULL DEFAULT 0,
    warmups_active   integer     NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, period_start),
    CHECK (period_end > period_start)
);

CREATE TABLE campaign_analytics (
    tenant_id        uuid    NOT NULL,
    campaign_id      text    NOT NULL,
    date             date    NOT NULL,
    sent             bigint  NOT NULL DEFAULT 0,
    delivered        bigint  NOT NULL DEFAULT 0,
    opened_tracked   bigint  NOT NULL DEFAULT 0,
    clicked_tracked  bigint  NOT NULL DEFAULT 0,
    replied          bigint  NOT NULL DEFAULT 0,
    bounced          bigint  NOT NULL DEFAULT 0,
    unsubscribed     bigint  NOT NULL DEFAULT 0,
    spam_complaints  bigint  NOT NULL DEFAULT 0,
    status           text,
    completed_leads  integer NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, campaign_id, date)
);

CREATE TABLE mailbox_analytics (
    tenant_id        uuid    NOT NULL,
    mailbox_id       text    NOT NULL,
    date             date    NOT NULL,
    sent             bigint  NOT NULL DEFAULT 0,
    delivered        bigint  NOT NULL DEFAULT 0,
    opened_tracked   bigint  NOT NULL DEFAULT 0,
    clicked_tracked  bigint  NOT NULL DEFAULT 0,
    replied          bigint  NOT NULL DEFAULT 0,
    bounced          bigint  NOT NULL DEFAULT 0,
    unsubscribed     bigint  NOT NULL DEFAULT 0,
    spam_complaints  bigint  NOT NULL DEFAULT 0,
    warmup_status    text,
    health_score     integer NOT NULL DEFAULT 0,
    current_volume   integer NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, mailbox_id, date)
);

CREATE TABLE lead_analytics (
    tenant_id        uuid    NOT NULL,
    campaign_id      text    NOT NULL,
    lead_id          text    NOT NULL,
    sent             bigint  NOT NULL DEFAULT 0,
    delivered        bigint  NOT NULL DEFAULT 0,
    opened_tracked   bigint  NOT NULL DEFAULT 0,
    clicked_tracked  bigint  NOT NULL DEFAULT 0,
    replied          bigint  NOT NULL DEFAULT 0,
    bounced          bigint  NOT NULL DEFAULT 0,
    unsubscribed     bigint  NOT NULL DEFAULT 0,
    spam_complaints  bigint  NOT NULL DEFAULT 0,
    status           text,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, campaign_id, lead_id)
);

CREATE TABLE warmup_analytics (
    tenant_id            uuid    NOT NULL,
    mailbox_id           text    NOT NULL,
    date                 date    NOT NULL,
    sent                 bigint  NOT NULL DEFAULT 0,
    delivered            bigint  NOT NULL DEFAULT 0,
    opened_tracked       bigint  NOT NULL DEFAULT 0,
    clicked_tracked      bigint  NOT NULL DEFAULT 0,
    replied              bigint  NOT NULL DEFAULT 0,
    bounced              bigint  NOT NULL DEFAULT 0,
    unsubscribed         bigint  NOT NULL DEFAULT 0,
    spam_complaints      bigint  NOT NULL DEFAULT 0,
    health_score         integer NOT NULL DEFAULT 0,
    progress_percentage  integer NOT NULL DEFAULT 0,
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, mailbox_id, date)
);

CREATE TABLE sequence_step_analytics (
    tenant_id        uuid    NOT NULL,
    campaign_id      text    NOT NULL,
    step_id          text    NOT NULL,
    date             date    NOT NULL,
    sent             bigint  NOT NULL DEFAULT 0,
    delivered        bigint  NOT NULL DEFAULT 0,
    opened_tracked   bigint  NOT NULL DEFAULT 0,
    clicked_tracked  bigint  NOT NULL DEFAULT 0,
    replied          bigint  NOT NULL DEFAULT 0,
    bounced          bigint  NOT NULL DEFAULT 0,
    unsubscribed     bigint  NOT NULL DEFAULT 0,
    spam_complaints  bigint  NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, campaign_id, step_id, date)
);

-- The record of every analytics job; Redis only dispatches. Priorities as in the product
-- document: hourly 25, daily 50, campaign 75, billing 100.
CREATE TABLE analytics_jobs (
    job_id        uuid        PRIMARY KEY,
    job_type      text        NOT NULL CHECK (job_type IN ('hourly_metrics', 'daily_aggregate',
                                  'campaign_aggregate', 'billing_calculate', 'retention')),
    dedupe_key    text        NOT NULL,
    payload       jsonb       NOT NULL DEFAULT '{}',
    priority      integer     NOT NULL,
    status        text        NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    attempts      integer     NOT NULL DEFAULT 0,
    max_attempts  integer     NOT NULL DEFAULT 5,
    run_after     timestamptz NOT NULL DEFAULT now(),
    claimed_by    text,
    claimed_at    timestamptz,
    finished_at   timestamptz,
    error         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_type, dedupe_key)
);
CREATE INDEX analytics_jobs_queued ON analytics_jobs (priority DESC, run_after) WHERE status = 'queued';
