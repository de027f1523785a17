-- What an email_events row costs in three shapes, without the sink: 300,000 rows shaped like
-- benchmarks/bench's end-to-end workload (1,000 signed paths: 1,000 tenants, users and emails, 17
-- campaigns, 5 mailboxes, 65 User-Agents, 70 % opens, a quarter of them prefetch with a reason),
-- each table loaded in one statement and indexed after (so the indexes are as packed as after
-- compact_events). Bytes per row of heap and indexes:
--   b_now        today's columns (V18/V19)
--   b_codes      + event_type, automation and certainty as one-byte "char" codes
--   b_email_ref  + user, campaign, mailbox, email, lead and step as one bigint (an emails table's number)
-- Run into a scratch database (it creates and drops only its b_* tables):
--   psql -h HOST -p PORT -U postgres -d SCRATCH -f benchmarks/storage-budget.sql
-- Needs PostgreSQL 13+ (gen_random_uuid). docs/benchmarks.md has the figures of 2026-12-01.
\set n 300000
DROP TABLE IF EXISTS b_now, b_codes, b_email_ref;
-- today's V18 columns, same order
CREATE TABLE b_now (occurred_at timestamptz NOT NULL, user_agent_id bigint, tenant_id uuid NOT NULL, event_id uuid NOT NULL,
  user_id uuid NOT NULL, edge_no integer NOT NULL, reasons integer, is_machine boolean NOT NULL DEFAULT false,
  event_type text NOT NULL, automation text, certainty text, campaign_id text, mailbox_id text, email_id text, lead_id text,
  step_id text, ip_address inet, url text, machine_reason text, attributes jsonb);
INSERT INTO b_now SELECT now() - (i || ' ms')::interval, -4752124685393785961 + (i % 65), md5('t' || (i % 1000))::uuid,
  gen_random_uuid(), md5('u' || (i % 1000))::uuid, 1, CASE WHEN i % 4 = 0 THEN 8 END, i % 4 = 0,
  CASE WHEN i % 10 < 7 THEN 'open' ELSE 'click' END, CASE WHEN i % 4 = 0 THEN 'prefetch' ELSE 'none' END, 'certain',
  'camp-' || (i % 1000 % 17), 'mb-' || (i % 1000 % 5), 'email-' || (i % 1000), NULL, NULL, ('192.0.2.' || (i % 250))::inet,
  CASE WHEN i % 10 >= 7 THEN 'https://example.com/landing' END, CASE WHEN i % 4 = 0 THEN 'apple_relay' END, NULL
FROM generate_series(1, :n) i ORDER BY i;
-- vocabularies as one-byte codes
CREATE TABLE b_codes AS SELECT occurred_at, user_agent_id, tenant_id, event_id, user_id, edge_no, reasons, is_machine,
  (CASE event_type WHEN 'open' THEN 'o' ELSE 'c' END)::"char" AS event_type, (CASE automation WHEN 'none' THEN 'n' ELSE 'p' END)::"char" AS automation,
  'c'::"char" AS certainty, campaign_id, mailbox_id, email_id, lead_id, step_id, ip_address, url, machine_reason, attributes FROM b_now;
-- and the per-email fields (user, campaign, mailbox, email, lead, step) as one number into an emails table
CREATE TABLE b_email_ref AS SELECT occurred_at, user_agent_id, tenant_id, event_id, (abs(hashtext(email_id)))::bigint AS email_no,
  edge_no, reasons, is_machine, event_type, automation, certainty, ip_address, url, machine_reason, attributes FROM b_codes;
ALTER TABLE b_now ADD PRIMARY KEY (tenant_id, event_id, occurred_at);
CREATE INDEX ON b_now (tenant_id, email_id);
ALTER TABLE b_codes ADD PRIMARY KEY (tenant_id, event_id, occurred_at);
CREATE INDEX ON b_codes (tenant_id, email_id);
ALTER TABLE b_email_ref ADD PRIMARY KEY (tenant_id, event_id, occurred_at);
CREATE INDEX ON b_email_ref (tenant_id, email_no);
SELECT c.relname, round(pg_relation_size(c.oid)::numeric / :n, 1) AS heap_b_row,
  round((pg_indexes_size(c.oid))::numeric / :n, 1) AS index_b_row,
  round(pg_total_relation_size(c.oid)::numeric / :n, 1) AS total_b_row
FROM pg_class c WHERE relname IN ('b_now', 'b_codes', 'b_email_ref') ORDER BY 4 DESC;
SELECT indexrelid::regclass, round(pg_relation_size(indexrelid)::numeric / :n, 1) AS b_row FROM pg_index WHERE indrelid IN ('b_now'::regclass, 'b_codes'::regclass, 'b_email_ref'::regclass);
