-- What a closed day of email_events would cost packed: one row per (tenant, UTC day, block of up to
-- :block events in time order), each column an array that PostgreSQL compresses (lz4) as one value,
-- against the same events as rows with today's indexes packed (what compact_events leaves). Not the
-- schema: a measurement for the next storage step of issue 15 (docs/benchmarks.md, "Packed days").
--   psql -h HOST -p PORT -U postgres -d SCRATCH -v spread=86400 -f benchmarks/storage-packed.sql
-- :n events shaped like benchmarks/bench's end-to-end workload (as in storage-budget.sql: 1,000
-- tenants, users and emails, 17 campaigns, 5 mailboxes, 65 User-Agents, 70 % opens, a quarter of
-- them prefetch), their times spread evenly over :spread seconds of one day (86400: a whole day;
-- 300: the 5-minute burst of a benchmark run). It creates and drops only its s_* tables, and checks
-- that the packed rows unnest to exactly the rows they came from. Needs PostgreSQL 14+ (lz4).
-- With -v from_events=1, the database's own email_events instead of generated rows (spread unused).
\set n 300000
\if :{?spread}
\else
\set spread 86400
\endif
\if :{?block}
\else
\set block 1000
\endif
SET default_toast_compression = lz4;
DROP TABLE IF EXISTS s_rows, s_packed CASCADE;
CREATE TABLE s_rows (occurred_at timestamptz NOT NULL, user_agent_id bigint, tenant_id uuid NOT NULL, event_id uuid NOT NULL,
  user_id uuid NOT NULL, edge_no integer NOT NULL, reasons integer, is_machine boolean NOT NULL DEFAULT false,
  event_type text NOT NULL, automation text, certainty text, campaign_id text, mailbox_id text, email_id text, lead_id text,
  step_id text, ip_address inet, url text, machine_reason text, attributes jsonb);
\if :{?from_events}
-- the events a sink wrote (e.g. StorageCost's database, kept with BENCH_KEEP_DB=1): same columns, same order
INSERT INTO s_rows SELECT * FROM email_events;
\else
INSERT INTO s_rows SELECT '2026-12-01'::timestamptz + make_interval(secs => (i::float8 * :spread / :n)), -4752124685393785961 + (i % 65),
  md5('t' || (i % 1000))::uuid, gen_random_uuid(), md5('u' || (i % 1000))::uuid, 1, CASE WHEN i % 4 = 0 THEN 8 END, i % 4 = 0,
  CASE WHEN i % 10 < 7 THEN 'open' ELSE 'click' END, CASE WHEN i % 4 = 0 THEN 'prefetch' ELSE 'none' END, 'certain',
  'camp-' || (i % 1000 % 17), 'mb-' || (i % 1000 % 5), 'email-' || (i % 1000), NULL, NULL, ('192.0.2.' || (i % 250))::inet,
  CASE WHEN i % 10 >= 7 THEN 'https://example.com/landing' END, CASE WHEN i % 4 = 0 THEN 'apple_relay' END, NULL
FROM generate_series(0, :n - 1) i ORDER BY i;
\endif
SELECT count(*) AS n FROM s_rows \gset
ALTER TABLE s_rows ADD PRIMARY KEY (tenant_id, event_id, occurred_at);
CREATE INDEX ON s_rows (tenant_id, email_id);

CREATE TABLE s_packed (tenant_id uuid NOT NULL, day date NOT NULL, block integer NOT NULL, events integer NOT NULL,
  first_at timestamptz NOT NULL, last_at timestamptz NOT NULL,
  occurred_at timestamptz[], user_agent_id bigint[], event_id uuid[], user_id uuid[], edge_no integer[], reasons integer[],
  is_machine boolean[], event_type text[], automation text[], certainty text[], campaign_id text[], mailbox_id text[],
  email_id text[], lead_id text[], step_id text[], ip_address inet[], url text[], machine_reason text[], attributes jsonb[],
  PRIMARY KEY (tenant_id, day, block));
INSERT INTO s_packed
SELECT tenant_id, day, block, count(*), min(occurred_at), max(occurred_at),
  array_agg(occurred_at ORDER BY occurred_at, event_id), array_agg(user_agent_id ORDER BY occurred_at, event_id),
  array_agg(event_id ORDER BY occurred_at, event_id), array_agg(user_id ORDER BY occurred_at, event_id),
  array_agg(edge_no ORDER BY occurred_at, event_id), array_agg(reasons ORDER BY occurred_at, event_id),
  array_agg(is_machine ORDER BY occurred_at, event_id), array_agg(event_type ORDER BY occurred_at, event_id),
  array_agg(automation ORDER BY occurred_at, event_id), array_agg(certainty ORDER BY occurred_at, event_id),
  array_agg(campaign_id ORDER BY occurred_at, event_id), array_agg(mailbox_id ORDER BY occurred_at, event_id),
  array_agg(email_id ORDER BY occurred_at, event_id), array_agg(lead_id ORDER BY occurred_at, event_id),
  array_agg(step_id ORDER BY occurred_at, event_id), array_agg(ip_address ORDER BY occurred_at, event_id),
  array_agg(url ORDER BY occurred_at, event_id), array_agg(machine_reason ORDER BY occurred_at, event_id),
  array_agg(attributes ORDER BY occurred_at, event_id)
FROM (SELECT r.*, (occurred_at AT TIME ZONE 'UTC')::date AS day,
        ((row_number() OVER (PARTITION BY tenant_id, (occurred_at AT TIME ZONE 'UTC')::date ORDER BY occurred_at, event_id)) - 1)
          / :block AS block
      FROM s_rows r) x
GROUP BY tenant_id, day, block;

-- lossless: the blocks unnest to exactly the rows, as multisets (EXCEPT ALL both ways)
CREATE TEMP VIEW s_unpacked AS
SELECT u.occurred_at, u.user_agent_id, p.tenant_id, u.event_id, u.user_id, u.edge_no, u.reasons, u.is_machine,
       u.event_type, u.automation, u.certainty, u.campaign_id, u.mailbox_id, u.email_id, u.lead_id, u.step_id,
       u.ip_address, u.url, u.machine_reason, u.attributes
FROM s_packed p, unnest(p.occurred_at, p.user_agent_id, p.event_id, p.user_id, p.edge_no, p.reasons, p.is_machine,
     p.event_type, p.automation, p.certainty, p.campaign_id, p.mailbox_id, p.email_id, p.lead_id, p.step_id,
     p.ip_address, p.url, p.machine_reason, p.attributes)
     AS u(occurred_at, user_agent_id, event_id, user_id, edge_no, reasons, is_machine, event_type, automation,
          certainty, campaign_id, mailbox_id, email_id, lead_id, step_id, ip_address, url, machine_reason, attributes);
SELECT (SELECT count(*) FROM (SELECT * FROM s_rows EXCEPT ALL SELECT * FROM s_unpacked) d) AS rows_not_in_blocks,
       (SELECT count(*) FROM (SELECT * FROM s_unpacked EXCEPT ALL SELECT * FROM s_rows) d) AS block_events_not_in_rows,
       (SELECT count(*) FROM s_unpacked) - :n AS unpacked_minus_rows;

SELECT :spread AS spread_s, :block AS block, (SELECT count(*) FROM s_packed) AS blocks,
  round(:n::numeric / (SELECT count(*) FROM s_packed), 1) AS events_per_block,
  round(pg_total_relation_size('s_rows')::numeric / :n, 1) AS rows_b_event,
  round(pg_total_relation_size('s_packed')::numeric / :n, 1) AS packed_b_event,
  round(pg_total_relation_size('s_rows')::numeric / pg_total_relation_size('s_packed'), 2) AS rows_over_packed;
-- bytes per event of each packed column (as stored: compressed, inline or in TOAST)
SELECT round(sum(pg_column_size(event_id))::numeric / :n, 1) AS event_id, round(sum(pg_column_size(occurred_at))::numeric / :n, 1) AS occurred_at,
  round(sum(pg_column_size(ip_address))::numeric / :n, 1) AS ip, round(sum(pg_column_size(email_id))::numeric / :n, 1) AS email_id,
  round(sum(pg_column_size(campaign_id) + pg_column_size(mailbox_id) + pg_column_size(step_id) + pg_column_size(lead_id))::numeric / :n, 1)
    AS campaign_mailbox_step_lead,
  round(sum(pg_column_size(event_type) + pg_column_size(automation) + pg_column_size(certainty) + pg_column_size(is_machine)
    + pg_column_size(reasons) + pg_column_size(machine_reason))::numeric / :n, 1) AS classification,
  round(sum(pg_column_size(user_agent_id) + pg_column_size(user_id) + pg_column_size(edge_no) + pg_column_size(url)
    + coalesce(pg_column_size(attributes), 0))::numeric / :n, 1) AS ua_user_edge_url_attrs
FROM s_packed;
-- reading: an aggregate of the kind the roll-ups run, as rows and unnested from the blocks, twice each
SET max_parallel_workers_per_gather = 0;
\timing on
SELECT count(*) AS rows_groups FROM (SELECT tenant_id, campaign_id, event_type, is_machine, count(*) FROM s_rows GROUP BY 1, 2, 3, 4) x;
SELECT count(*) AS packed_groups FROM (SELECT p.tenant_id, u.campaign_id, u.event_type, u.is_machine, count(*) FROM s_packed p,
  unnest(p.campaign_id, p.event_type, p.is_machine) AS u(campaign_id, event_type, is_machine) GROUP BY 1, 2, 3, 4) x;
SELECT count(*) AS rows_groups FROM (SELECT tenant_id, campaign_id, event_type, is_machine, count(*) FROM s_rows GROUP BY 1, 2, 3, 4) x;
SELECT count(*) AS packed_groups FROM (SELECT p.tenant_id, u.campaign_id, u.event_type, u.is_machine, count(*) FROM s_packed p,
  unnest(p.campaign_id, p.event_type, p.is_machine) AS u(campaign_id, event_type, is_machine) GROUP BY 1, 2, 3, 4) x;
\timing off
DROP VIEW s_unpacked;
DROP TABLE s_rows, s_packed;
