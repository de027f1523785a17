-- The read side (issue 14): a read scope on the ingest keys, and the hourly roll-ups that GET /v1/stats
-- answers from (it never reads email_events).

-- What a key may do: 'write' (POST /v1/events), 'read' (GET /v1/stats and the dashboard), or both.
-- Every key made before this migration was an ingest key, so the default is write alone.
ALTER TABLE ingest_keys
    ADD COLUMN scopes text[] NOT NULL DEFAULT '{write}'
        CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'write']);

-- Hourly counts per (tenant, campaign, mailbox, step), recomputed a UTC day at a time by the
-- stats_hourly roll-up (io.trackedge.jobs.rollup.StatsHourlyRollUp). Hours are UTC instants, so any
-- time zone whose offset is whole hours can be bucketed from them into days, weeks and months.
-- Event counts are split human / machine (email_events.is_machine). The *_first_* columns are
-- additive over any range: emails whose first open (click) ever, of that kind, happened in the hour;
-- "any" is the first open of either kind, so any <= human + machine.
CREATE TABLE stats_hourly (
    tenant_id             uuid        NOT NULL,
    hour                  timestamptz NOT NULL,
    campaign_id           text,
    mailbox_id            text,
    step_id               text,
    sent                  bigint      NOT NULL DEFAULT 0,
    delivered             bigint      NOT NULL DEFAULT 0,
    bounces_hard          bigint      NOT NULL DEFAULT 0,
    bounces_soft          bigint      NOT NULL DEFAULT 0,
    replied               bigint      NOT NULL DEFAULT 0,
    unsubscribed          bigint      NOT NULL DEFAULT 0,
    complaints            bigint      NOT NULL DEFAULT 0,
    opens_human           bigint      NOT NULL DEFAULT 0,
    opens_machine         bigint      NOT NULL DEFAULT 0,
    clicks_human          bigint      NOT NULL DEFAULT 0,
    clicks_machine        bigint      NOT NULL DEFAULT 0,
    opened_first_any      bigint      NOT NULL DEFAULT 0,
    opened_first_human    bigint      NOT NULL DEFAULT 0,
    opened_first_machine  bigint      NOT NULL DEFAULT 0,
    clicked_first_any     bigint      NOT NULL DEFAULT 0,
    clicked_first_human   bigint      NOT NULL DEFAULT 0,
    clicked_first_machine bigint      NOT NULL DEFAULT 0,
    CONSTRAINT stats_hourly_key UNIQUE NULLS NOT DISTINCT (tenant_id, hour, campaign_id, mailbox_id, step_id)
);
CREATE INDEX stats_hourly_campaign ON stats_hourly (tenant_id, campaign_id, hour);
CREATE INDEX stats_hourly_mailbox ON stats_hourly (tenant_id, mailbox_id, hour);
CREATE INDEX stats_hourly_hour ON stats_hourly (hour);

-- Clicks per link (the URL as clicked) per hour and campaign: the links table and CTR per link.
-- clickers_first_*: emails whose first click on that link ever, of that kind, happened in the hour.
CREATE TABLE link_clicks_hourly (
    tenant_id              uuid        NOT NULL,
    hour                   timestamptz NOT NULL,
    campaign_id            text,
    url                    text        NOT NULL,
    clicks_human           bigint      NOT NULL DEFAULT 0,
    clicks_machine         bigint      NOT NULL DEFAULT 0,
    clickers_first_any     bigint      NOT NULL DEFAULT 0,
    clickers_first_human   bigint      NOT NULL DEFAULT 0,
    clickers_first_machine bigint      NOT NULL DEFAULT 0,
    CONSTRAINT link_clicks_hourly_key UNIQUE NULLS NOT DISTINCT (tenant_id, hour, campaign_id, url)
);
CREATE INDEX link_clicks_hourly_hour ON link_clicks_hourly (hour);

-- Opens and clicks per hour by classification: automation class ('unclassified' for rows written
-- before classification existed) and the reasons bitmask as stored (email_events.reasons, 0 when
-- none); the API expands the bits into reason names. is_machine is kept so the machine switch needs
-- no knowledge of which classes are machines.
CREATE TABLE automation_hourly (
    tenant_id    uuid        NOT NULL,
    hour         timestamptz NOT NULL,
    campaign_id  text,
    mailbox_id   text,
    event_type   text        NOT NULL CHECK (event_type IN ('open', 'click')),
    automation   text        NOT NULL,
    reasons      integer     NOT NULL,
    is_machine   boolean     NOT NULL,
    events       bigint      NOT NULL,
    CONSTRAINT automation_hourly_key UNIQUE NULLS NOT DISTINCT
        (tenant_id, hour, campaign_id, mailbox_id, event_type, automation, reasons, is_machine)
);
CREATE INDEX automation_hourly_hour ON automation_hourly (hour);

-- The reader sees one tenant at a time (as in V4), and the edge's own login may become the reader
-- (SET LOCAL ROLE trackedge_reader inside each stats transaction).
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['stats_hourly', 'link_clicks_hourly', 'automation_hourly'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I FOR SELECT TO trackedge_reader '
                       'USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
        EXECUTE format('GRANT SELECT ON %I TO trackedge_reader', t);
    END LOOP;
    IF NOT pg_has_role(current_user, 'trackedge_reader', 'MEMBER') THEN
        EXECUTE format('GRANT trackedge_reader TO %I', current_user);
    END IF;
END $$;
