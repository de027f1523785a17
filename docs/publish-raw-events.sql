-- Publishes the raw events for logical replication (change data capture): run once as the owner of
-- the tables, after migrating to V27 or later. Subscribers get email_event_rows (the stored rows,
-- sender fields as context_id) and event_contexts (a context's names, inserted before any row that
-- uses it and never changed). The view email_events is not a table and cannot be published.
--
-- email_event_rows has no primary key, so each partition needs REPLICA IDENTITY FULL for the UPDATEs
-- of corrections and the DELETEs of erasure; partitions made later take it from the parent (V27).
-- Checked by batch-writer's PublishedRawEventsIT.
--
-- Each ALTER locks its table ACCESS EXCLUSIVE, and every sink write and read of events queues behind
-- it while it waits: on a live system it waits at most 2 s a table. If a statement fails with
-- "canceling statement due to lock timeout", run the file again (the ALTERs may run twice).
SET lock_timeout = '2s';
ALTER TABLE email_event_rows REPLICA IDENTITY FULL;
DO $$
DECLARE
    p regclass;
BEGIN
    FOR p IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'email_event_rows'::regclass LOOP
        EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', p);
    END LOOP;
END $$;
-- As the table, not as its daily partitions: a subscriber's copy need not be partitioned the same way.
CREATE PUBLICATION trackedge_raw_events FOR TABLE email_event_rows, event_contexts WITH (publish_via_partition_root = true);
