-- What one page of /v1/stats/recipients costs PostgreSQL, by machine filter, on a campaign of
-- 2,000 and one of 200,000 opened emails (README, "Stats API"). The first-touch tables with their
-- keys and campaign indexes as sql/ has them, the columns the queries read only; the statements are
-- RecipientsQuery's for opens with machine=exclude and include, and clicks with exclude (the raw
-- events' (tenant_id, email_id) index stands in for email_events').
--
--   createdb -h 127.0.0.1 -U postgres recipients_page
--   psql -h 127.0.0.1 -U postgres -d recipients_page -f benchmarks/recipients-page.sql
--   dropdb -h 127.0.0.1 -U postgres recipients_page
\set ON_ERROR_STOP on
\set tenant '\'0193a6f0-0000-7000-8000-0000000000ab\''
CREATE TABLE email_opens (tenant_id uuid, email_id text, campaign_id text, lead_id text, mailbox_id text, step_id text,
                          opened_at timestamptz, is_machine bool, PRIMARY KEY (tenant_id, email_id));
CREATE INDEX ON email_opens (tenant_id, campaign_id, opened_at);
CREATE TABLE email_clicks (tenant_id uuid, email_id text, campaign_id text, lead_id text, mailbox_id text, step_id text,
                           clicked_at timestamptz, clicked_url text, is_machine bool, PRIMARY KEY (tenant_id, email_id));
CREATE INDEX ON email_clicks (tenant_id, campaign_id, clicked_at);
CREATE TABLE email_human_opens (tenant_id uuid, email_id text, campaign_id text, lead_id text, mailbox_id text, step_id text,
                                opened_at timestamptz, PRIMARY KEY (tenant_id, email_id));
CREATE TABLE ev (tenant_id uuid, email_id text, event_type text, occurred_at timestamptz, is_machine bool, url text, event_id uuid);
CREATE INDEX ON ev (tenant_id, email_id);

-- 400,000 emails over 200 campaigns of 2,000 (c0..c199), and one campaign of 200,000 ('big'); half the
-- first opens a machine's, a click on every tenth email, a third of them a machine's first
INSERT INTO email_opens SELECT :tenant, 'e' || i, 'c' || (i % 200), NULL, NULL, NULL, now() - (i || ' s')::interval, i % 2 = 0
FROM generate_series(1, 400000) i;
INSERT INTO email_opens SELECT :tenant, 'b' || i, 'big', NULL, NULL, NULL, now() - (i || ' s')::interval, i % 2 = 0
FROM generate_series(1, 200000) i;
INSERT INTO email_clicks SELECT tenant_id, email_id, campaign_id, NULL, NULL, NULL, opened_at + interval '1 min', 'u',
       right(email_id, 1) = '0' FROM email_opens WHERE email_id ~ '[05]$';
INSERT INTO email_human_opens SELECT tenant_id, email_id, campaign_id, NULL, NULL, NULL, opened_at + interval '2 min' FROM email_opens;
INSERT INTO ev SELECT tenant_id, email_id, 'open', opened_at, false, NULL, gen_random_uuid() FROM email_opens;
INSERT INTO ev SELECT tenant_id, email_id, 'click', clicked_at + interval '1 min', false, 'u2', gen_random_uuid() FROM email_clicks;
ANALYZE;

\echo opens, machine=exclude (2,000 then 200,000 emails)
EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) SELECT f.email_id, f.opened_at FROM (SELECT email_id FROM email_opens
  WHERE tenant_id = :tenant AND campaign_id = 'c7' UNION SELECT email_id FROM email_clicks WHERE tenant_id = :tenant
  AND campaign_id = 'c7') c CROSS JOIN LATERAL (SELECT * FROM email_human_opens h WHERE h.tenant_id = :tenant
  AND h.email_id = c.email_id LIMIT 1) f ORDER BY f.opened_at, f.email_id LIMIT 101;
EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) SELECT f.email_id, f.opened_at FROM (SELECT email_id FROM email_opens
  WHERE tenant_id = :tenant AND campaign_id = 'big' UNION SELECT email_id FROM email_clicks WHERE tenant_id = :tenant
  AND campaign_id = 'big') c CROSS JOIN LATERAL (SELECT * FROM email_human_opens h WHERE h.tenant_id = :tenant
  AND h.email_id = c.email_id LIMIT 1) f ORDER BY f.opened_at, f.email_id LIMIT 101;
\echo clicks, machine=exclude (200,000-email campaign)
EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) SELECT f.email_id, k.at FROM email_clicks f CROSS JOIN LATERAL (
  SELECT f.clicked_at AS at, f.clicked_url AS url WHERE f.is_machine = false UNION ALL (SELECT e.occurred_at, e.url FROM ev e
  WHERE f.is_machine <> false AND e.tenant_id = f.tenant_id AND e.email_id = f.email_id AND e.event_type = 'click'
  AND e.is_machine = false ORDER BY e.occurred_at, e.event_id LIMIT 1)) k
  WHERE f.tenant_id = :tenant AND f.campaign_id = 'big' ORDER BY k.at, f.email_id LIMIT 101;
\echo opens, machine=include (200,000-email campaign): an index range
EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) SELECT email_id, opened_at FROM email_opens WHERE tenant_id = :tenant
  AND campaign_id = 'big' ORDER BY opened_at, email_id LIMIT 101;
