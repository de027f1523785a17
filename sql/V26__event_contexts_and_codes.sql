-- Fewer bytes per row of email_events (issue 15, row 3), no data lost, and its readers unchanged.
--
-- 1. The fields that repeat across a sender's emails (the user, campaign, mailbox and sequence step)
--    move to a per-tenant dictionary, event_contexts; a row keeps an 8-byte context_id. As for
--    user_agents (V15), the id is a function of the values (event_context_id below; the sink computes
--    the same in Java), so the sink needs no lookup: it inserts its batch's new contexts with
--    ON CONFLICT DO NOTHING. The email and lead stay in the row: they repeat per recipient, not per
--    sender, and a dictionary of them would cost about what it saves.
-- 2. event_type, a fixed vocabulary stored as text (5 to 13 bytes), becomes the enum email_event_type
--    (4 bytes): a comparison with a name ('open') is then a comparison of two numbers, and the daily
--    roll-ups compare it a dozen times a row (as a one-byte code the view decoded, they took 2 to 3
--    times the CPU). automation and certainty, read once a row where at all, are stored as one-byte
--    "char" codes (the *_code and *_name functions below). machine_reason, the names of the reasons
--    bitmask's signals joined with commas (13 to 40 bytes on a machine's row), is stored
--    only where it is not signal_names(reasons): the edge's own flags on an event nobody classified
--    ('head_request', 'machine_user_agent', with no reasons).
-- 3. The table is written again in the V18 order (widest alignment first), as email_event_rows with
--    the same partitions; email_events becomes a view with the columns and names it had (and the types,
--    but event_type's enum, which compares with names as text did), so every reader (the roll-ups, the
--    stats recounts, the privacy counters, psql users) reads as before; text functions need a cast.
--    The view LEFT JOINs event_contexts on its primary key, so a query that reads no context column
--    does not join at all (PostgreSQL removes the join), and it is security_invoker: the reader role's
--    row-level security applies to both tables. Writers name email_event_rows: the sink's COPY,
--    corrections, re-scores, erasure and the partition functions. INSERT through the view still
--    works (a trigger turns names into codes and contexts): for repairs by hand, not for bulk loads.
--
-- Like V18, this copies every row under an ACCESS EXCLUSIVE lock on email_events until it commits:
-- on a large table run `trackedge migrate` in a quiet hour; the sinks wait on the lock and resume.

-- user (as text), then each of campaign, mailbox, step as '|' followed by nothing (NULL) or by its
-- length in UTF-8 bytes, ':' and the value: no two different tuples share a string.
CREATE FUNCTION event_context_id(user_id uuid, campaign_id text, mailbox_id text, step_id text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ('x' || left(md5(user_id::text
        || '|' || coalesce(octet_length(campaign_id) || ':' || campaign_id, '')
        || '|' || coalesce(octet_length(mailbox_id) || ':' || mailbox_id, '')
        || '|' || coalesce(octet_length(step_id) || ':' || step_id, '')), 16))::bit(64)::bigint $$;

-- EventType's wire names; a new type is a new label (ALTER TYPE ... ADD VALUE), never a renamed one.
CREATE TYPE email_event_type AS ENUM ('open', 'click', 'sent', 'delivered', 'bounced', 'replied', 'unsubscribed',
    'complained', 'warmup_open', 'warmup_reply');
CREATE FUNCTION automation_code(name text) RETURNS "char" LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE name WHEN 'none' THEN 'n' WHEN 'proxy' THEN 'p' WHEN 'prefetch' THEN 'f' WHEN 'scanner' THEN 's'
    WHEN 'bot' THEN 'b' END::"char" $$;
CREATE FUNCTION automation_name(code "char") RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE code WHEN 'n' THEN 'none' WHEN 'p' THEN 'proxy' WHEN 'f' THEN 'prefetch' WHEN 's' THEN 'scanner'
    WHEN 'b' THEN 'bot' END $$;
CREATE FUNCTION certainty_code(name text) RETURNS "char" LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE name WHEN 'certain' THEN 'c' WHEN 'probable' THEN 'p' END::"char" $$;
CREATE FUNCTION certainty_name(code "char") RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE code WHEN 'c' THEN 'certain' WHEN 'p' THEN 'probable' END $$;

-- Classification.reasonText(): the signals of the bitmask (sql/V10's comment on reasons) in bit order.
-- A new signal needs a new version of this function (EventContextsIT compares it with Signal's names).
CREATE FUNCTION signal_names(reasons integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT nullif(concat_ws(',',
    CASE WHEN reasons & 1 <> 0 THEN 'head_request' END, CASE WHEN reasons & 2 <> 0 THEN 'empty_user_agent' END,
    CASE WHEN reasons & 4 <> 0 THEN 'bare_mozilla' END, CASE WHEN reasons & 8 <> 0 THEN 'apple_relay' END,
    CASE WHEN reasons & 16 <> 0 THEN 'apple_mail_from_relay' END, CASE WHEN reasons & 32 <> 0 THEN 'mail_proxy' END,
    CASE WHEN reasons & 64 <> 0 THEN 'security_vendor_range' END, CASE WHEN reasons & 128 <> 0 THEN 'crawler_user_agent' END,
    CASE WHEN reasons & 256 <> 0 THEN 'http_library' END, CASE WHEN reasons & 512 <> 0 THEN 'headless_browser' END,
    CASE WHEN reasons & 1024 <> 0 THEN 'unreduced_chrome' END, CASE WHEN reasons & 2048 <> 0 THEN 'soon_after_send' END,
    CASE WHEN reasons & 4096 <> 0 THEN 'link_burst' END, CASE WHEN reasons & 8192 <> 0 THEN 'click_before_open' END,
    CASE WHEN reasons & 16384 <> 0 THEN 'private_relay_click' END, CASE WHEN reasons & 32768 <> 0 THEN 'tenant_user_agent' END),
    '') $$;

CREATE TABLE event_contexts (
    tenant_id    uuid   NOT NULL,
    context_id   bigint NOT NULL,
    user_id      uuid   NOT NULL,
    campaign_id  text   COLLATE "C",
    mailbox_id   text   COLLATE "C",
    step_id      text   COLLATE "C",
    PRIMARY KEY (tenant_id, context_id)
);
COMMENT ON TABLE event_contexts IS
    'The sender side of email_events rows, stored once: context_id = event_context_id(user_id, campaign_id, mailbox_id, step_id)';

ALTER TABLE event_contexts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON event_contexts FOR SELECT TO trackedge_reader
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT ON event_contexts TO trackedge_reader;

LOCK TABLE email_events IN ACCESS EXCLUSIVE MODE;

INSERT INTO event_contexts (tenant_id, context_id, user_id, campaign_id, mailbox_id, step_id)
SELECT tenant_id, event_context_id(user_id, campaign_id, mailbox_id, step_id), user_id, campaign_id, mailbox_id, step_id
FROM (SELECT DISTINCT tenant_id, user_id, campaign_id, mailbox_id, step_id FROM email_events) c
ORDER BY 1, 2;

-- The old table, its partitions and their indexes take other names, so that the new ones can have theirs.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT i.indexrelid::regclass::text AS name FROM pg_index i JOIN pg_inherits h ON h.inhrelid = i.indrelid
             WHERE h.inhparent = 'email_events'::regclass
             UNION ALL
             SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'email_events'::regclass LOOP
        EXECUTE format('ALTER INDEX %s RENAME TO %I', r.name, 'v25_' || r.name);
    END LOOP;
    FOR r IN SELECT c.relname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid
             WHERE h.inhparent = 'email_events'::regclass LOOP
        EXECUTE format('ALTER TABLE %I RENAME TO %I', r.relname, 'v25_' || r.relname);
    END LOOP;
END $$;
ALTER TABLE email_events RENAME TO v25_email_events;

CREATE TABLE email_event_rows (
    occurred_at     timestamptz NOT NULL,
    user_agent_id   bigint,
    context_id      bigint      NOT NULL,
    tenant_id       uuid        NOT NULL,
    event_id        uuid        NOT NULL,
    edge_no         integer     NOT NULL,
    reasons         integer,
    event_type      email_event_type NOT NULL,
    is_machine      boolean     NOT NULL DEFAULT false,
    automation      "char",
    certainty       "char",
    email_id        text        COLLATE "C",
    lead_id         text        COLLATE "C",
    ip_address      inet,
    url             text,
    machine_reason  text,
    attributes      jsonb,
    CONSTRAINT email_event_rows_automation_check CHECK (automation IN ('n', 'p', 'f', 's', 'b')),
    CONSTRAINT email_event_rows_certainty_check CHECK (certainty IN ('c', 'p')),
    CONSTRAINT email_event_rows_machine_matches_automation
        CHECK (automation IS NULL OR is_machine = (automation IN ('f', 's', 'b')))
) PARTITION BY RANGE (occurred_at);

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits h
             JOIN pg_class c ON c.oid = h.inhrelid WHERE h.inhparent = 'v25_email_events'::regclass LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF email_event_rows %s', substr(r.relname, 5), r.bound);
    END LOOP;
END $$;

INSERT INTO email_event_rows (occurred_at, user_agent_id, context_id, tenant_id, event_id, edge_no, reasons, event_type,
                              is_machine, automation, certainty, email_id, lead_id, ip_address, url, machine_reason,
                              attributes)
SELECT occurred_at, user_agent_id, event_context_id(user_id, campaign_id, mailbox_id, step_id), tenant_id, event_id,
       edge_no, reasons, event_type::email_event_type, is_machine, automation_code(automation),
       certainty_code(certainty), email_id, lead_id, ip_address, url, nullif(machine_reason, signal_names(reasons)), attributes
FROM v25_email_events;

DROP TABLE v25_email_events;

CREATE INDEX email_events_email ON email_event_rows (tenant_id, email_id);
CREATE INDEX email_events_time ON email_event_rows USING brin (occurred_at) WITH (pages_per_range = 32);

ALTER TABLE email_event_rows ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON email_event_rows FOR SELECT TO trackedge_reader
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT ON email_event_rows TO trackedge_reader;

COMMENT ON TABLE email_event_rows IS 'Raw events as stored; read them through the email_events view';
COMMENT ON COLUMN email_event_rows.context_id IS 'event_contexts.context_id of the same tenant';
COMMENT ON COLUMN email_event_rows.edge_no IS 'edge_nodes.edge_no of the edge that recorded the event';
COMMENT ON COLUMN email_event_rows.user_agent_id IS 'user_agents.user_agent_id of the same tenant: user_agent_id(the text)';
COMMENT ON COLUMN email_event_rows.automation IS 'automation_code(name): n none, p proxy (a person behind a mail image '
    'proxy), f prefetch, s scanner, b bot; NULL when not an open or click';
COMMENT ON COLUMN email_event_rows.certainty IS 'certainty_code(name): c certain, p probable';
COMMENT ON COLUMN email_event_rows.machine_reason IS
    'only where it is not signal_names(reasons) (the view reads coalesce(machine_reason, signal_names(reasons)))';
COMMENT ON COLUMN email_event_rows.reasons IS
    'bitmask of signals: 0 head_request, 1 empty_user_agent, 2 bare_mozilla, 3 apple_relay, 4 apple_mail_from_relay, '
    '5 mail_proxy, 6 security_vendor_range, 7 crawler_user_agent, 8 http_library, 9 headless_browser, '
    '10 unreduced_chrome, 11 soon_after_send, 12 link_burst, 13 click_before_open, 14 private_relay_click, '
    '15 tenant_user_agent';

CREATE VIEW email_events WITH (security_invoker = true) AS
SELECT e.occurred_at, e.user_agent_id, e.tenant_id, e.event_id, c.user_id, e.edge_no, e.reasons, e.is_machine,
       e.event_type, automation_name(e.automation) AS automation,
       certainty_name(e.certainty) AS certainty, c.campaign_id, c.mailbox_id, e.email_id, e.lead_id, c.step_id,
       e.ip_address, e.url, coalesce(e.machine_reason, signal_names(e.reasons)) AS machine_reason, e.attributes
FROM email_event_rows e
LEFT JOIN event_contexts c ON c.tenant_id = e.tenant_id AND c.context_id = e.context_id;
COMMENT ON VIEW email_events IS 'Raw events with names and sender fields: email_event_rows joined to event_contexts';
GRANT SELECT ON email_events TO trackedge_reader;

CREATE FUNCTION email_events_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ctx bigint := event_context_id(NEW.user_id, NEW.campaign_id, NEW.mailbox_id, NEW.step_id);
BEGIN
    INSERT INTO event_contexts (tenant_id, context_id, user_id, campaign_id, mailbox_id, step_id)
    VALUES (NEW.tenant_id, ctx, NEW.user_id, NEW.campaign_id, NEW.mailbox_id, NEW.step_id) ON CONFLICT DO NOTHING;
    IF NEW.automation IS NOT NULL AND automation_code(NEW.automation) IS NULL THEN
        RAISE EXCEPTION 'email_events: unknown automation %', NEW.automation USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.certainty IS NOT NULL AND certainty_code(NEW.certainty) IS NULL THEN
        RAISE EXCEPTION 'email_events: unknown certainty %', NEW.certainty USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO email_event_rows (occurred_at, user_agent_id, context_id, tenant_id, event_id, edge_no, reasons,
                                  is_machine, event_type, automation, certainty, email_id, lead_id, ip_address, url,
                                  machine_reason, attributes)
    VALUES (NEW.occurred_at, NEW.user_agent_id, ctx, NEW.tenant_id, NEW.event_id, NEW.edge_no, NEW.reasons,
            coalesce(NEW.is_machine, false), NEW.event_type, automation_code(NEW.automation),
            certainty_code(NEW.certainty), NEW.email_id, NEW.lead_id, NEW.ip_address, NEW.url,
            nullif(NEW.machine_reason, signal_names(NEW.reasons)), NEW.attributes);
    RETURN NEW;
END $$;
CREATE TRIGGER email_events_insert INSTEAD OF INSERT ON email_events FOR EACH ROW EXECUTE FUNCTION email_events_insert();

CREATE OR REPLACE FUNCTION email_events_ensure_partitions(days_back int, days_ahead int) RETURNS int
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
            EXECUTE format('CREATE TABLE %I PARTITION OF email_event_rows FOR VALUES FROM (%L) TO (%L)',
                           name, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;

CREATE OR REPLACE FUNCTION email_events_drop_partitions_older_than(keep_days int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    dropped int := 0;
    cutoff date := (now() AT TIME ZONE 'UTC')::date - keep_days;
BEGIN
    FOR r IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'email_event_rows'::regclass AND c.relname ~ '^email_events_[0-9]{8}$' LOOP
        IF to_date(substr(r.relname, 14), 'YYYYMMDD') < cutoff THEN
            EXECUTE format('DROP TABLE %I', r.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END $$;

ANALYZE event_contexts;
ANALYZE email_event_rows;
