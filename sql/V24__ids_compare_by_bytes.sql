-- The ids a sender gives us (email_id, campaign_id, mailbox_id, lead_id, step_id) compare by their
-- bytes (COLLATE "C"), not by the database's locale (issue 15: the sink's CPU per event).
--
-- These columns are opaque identifiers, keys of most indexes the sink and the jobs write: every
-- btree insert into (tenant_id, email_id), every ON CONFLICT probe of a first-touch table and of
-- daily_analytics' key compares them several times. Under a locale collation each comparison goes
-- through strcoll (and a copy of both values to terminate them); under "C" it is a memcmp. A perf
-- profile of the sink's PostgreSQL backends (SinkVsPsqlCopy, C.UTF-8 database) put bttextcmp at 7 %
-- of their CPU; an en_US.UTF-8 database pays more. Equality is unchanged (every deterministic
-- collation compares equal exactly when the bytes are equal); only the order of ids in an ORDER BY
-- moves, to byte order, which for UTF-8 is code point order.
--
-- Only the indexes that hold these columns are rebuilt (the type does not change, so no table is
-- written again). ALTER TABLE holds an ACCESS EXCLUSIVE lock on each table while its indexes are
-- rebuilt: on a large email_events run `trackedge migrate` in a quiet hour; the sinks wait on the
-- lock and resume, nothing is lost. Partitions follow their parent. New tables with such columns
-- must declare them COLLATE "C" too (IdCollationMigrationIT checks the newest version).
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname, a.attname FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND a.attname IN ('email_id', 'campaign_id', 'mailbox_id', 'lead_id', 'step_id')
               AND a.atttypid = 'text'::regtype AND NOT a.attisdropped
             ORDER BY c.relname, a.attname LOOP
        EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE text COLLATE "C"', r.relname, r.attname);
    END LOOP;
END $$;
