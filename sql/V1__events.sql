-- Raw events: one row per event, partitioned by day on occurred_at. Written only by the Postgres
-- sink, with binary COPY; event_id is the UUIDv7 the edge made, so ids sort by time.
CREATE TABLE email_events (
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL CHECK (event_type IN ('open', 'click', 'sent', 'delivered', 'bounced',
                                    'replied', 'unsubscribed', 'complained', 'warmup_open', 'warmup_reply')),
    occurred_at     timestamptz NOT NULL,
    tenant_id       uuid        NOT NULL,
    user_id         uuid        NOT NULL,
    campaign_id     text,
    mailbox_id      text,
    email_id        text,
    lead_id         text,
    step_id         text,
    ip_address      inet,
    user_agent      text,
    url             text,
    is_machine      boolean     NOT NULL DEFAULT false,
    machine_reason  text,
    attributes      jsonb,
    edge_node       uuid        NOT NULL,
    PRIMARY KEY (event_id, occurred_at)
) PARTITION BY RANGE (occurred_at);

-- Rows whose day has no partition yet land here instead of failing the batch.
CREATE TABLE email_events_default PARTITION OF email_events DEFAULT;

CREATE INDEX email_events_tenant_time ON email_events (tenant_id, occurred_at);
CREATE INDEX email_events_campaign ON email_events (tenant_id, campaign_id, occurred_at);
CREATE INDEX email_events_email ON email_events (tenant_id, email_id);

-- Creates the daily partitions from (today - days_back) to (today + days_ahead), UTC.
CREATE FUNCTION email_events_ensure_partitions(days_back int, days_ahead int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    d date;
    made int := 0;
    name text;
BEGIN
    FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - days_back,
                                    (now() AT TIME ZONE 'UTC')::date + days_ahead, interval '1 day')::date LOOP
        name := 'email_events_' || to_char(d, 'YYYYMMDD');
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF email_events FOR VALUES FROM (%L) TO (%L)',
                           name, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;

-- Retention: drops whole daily partitions older than keep_days. Returns how many it dropped.
CREATE FUNCTION email_events_drop_partitions_older_than(keep_days int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    dropped int := 0;
    cutoff date := (now() AT TIME ZONE 'UTC')::date - keep_days;
BEGIN
    FOR r IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'email_events'::regclass AND c.relname ~ '^email_events_[0-9]{8}$' LOOP
        IF to_date(substr(r.relname, 14), 'YYYYMMDD') < cutoff THEN
            EXECUTE format('DROP TABLE %I', r.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END $$;

SELECT email_events_ensure_partitions(2, 7);

-- Where each sink of each edge node has got to in that node's journal. The Postgres sink updates
-- its row in the same transaction as the rows it writes: that is what makes delivery exactly once.
CREATE TABLE sink_cursors (
    edge_node   uuid        NOT NULL,
    sink        text        NOT NULL,
    position    bigint      NOT NULL DEFAULT 0,
    events      bigint      NOT NULL DEFAULT 0,
    host        text,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (edge_node, sink)
);
