-- The ids a sender gives us (email_id, campaign_id, mailbox_id, lead_id, step_id) compare by their
-- bytes (COLLATE "C"), not by the database's locale (issue 15: the sink's CPU per event).
--
-- These columns are opaque identifiers, keys of most indexes the sink and the jobs write: every
-- btree insert into (tenant_id, email_id), every ON CONFLICT probe of a first-touch table and of
-- daily_analytics' key compares them several times. Under a locale collation each comparison goes
-- through strcoll (and a copy of both values to terminate them); under "C" it is a memcmp. In a
-- database created in en_US.UTF-8, strcoll was a quarter of the sink's PostgreSQL CPU
-- (benchmarks/pg-profile; docs/benchmarks.md, 2026-12-03). Equality is unchanged (under every
-- deterministic collation two values are equal exactly when their bytes are). What moves is order,
-- to byte order (for UTF-8, code point order), where a locale put it otherwise: an ORDER BY on an id,
-- the stats API's page cursors (a next_after issued before the migration may skip or repeat rows
-- once), and min(lead_id) where a sender gave one email several lead ids. During a rolling upgrade
-- the daily counters' upserts of old and new edges sort their keys differently, so two of them can
-- deadlock; PostgreSQL aborts one batch, and its sink retries it from its cursor.
--
-- One ALTER TABLE per table, so each index holding these columns is rebuilt once; the type does not
-- change, so no table is written again. Partitions follow their parent. Each table is held under an
-- ACCESS EXCLUSIVE lock until the migration commits: on a large email_events run `trackedge migrate`
-- in a quiet hour; the sinks wait on the lock and resume. email_events is locked first, because a
-- sink's batch and a roll-up touch it before the other tables. Changing a column's collation drops
-- its statistics, so the tables are analyzed again at the end. New tables with such columns must
-- declare them COLLATE "C" too (IdCollationMigrationIT checks the newest version).
LOCK TABLE email_events IN ACCESS EXCLUSIVE MODE;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname,
                    string_agg(format('ALTER COLUMN %I TYPE text COLLATE "C"', a.attname), ', ' ORDER BY a.attname) AS alters
             FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND a.attname IN ('email_id', 'campaign_id', 'mailbox_id', 'lead_id', 'step_id')
               AND a.atttypid = 'text'::regtype AND NOT a.attisdropped
             GROUP BY c.relname
             ORDER BY c.relname <> 'email_events', c.relname LOOP
        EXECUTE format('ALTER TABLE %I %s', r.relname, r.alters);
        EXECUTE format('ANALYZE %I', r.relname); -- a partitioned table's ANALYZE covers its partitions
    END LOOP;
END $$;
