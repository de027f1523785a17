-- V27: a partition made after the raw events are published keeps the replica identity they need.
--
-- email_event_rows has no primary key (V25), so to publish it for logical replication (change data
-- capture) its partitions need REPLICA IDENTITY FULL: corrections UPDATE its rows and erasure
-- DELETEs them, and PostgreSQL refuses both on a published table without a replica identity. The
-- setting is per partition, and a partition made later does not take the parent's: without this, the
-- first day after publishing would refuse every correction and erasure of that day's events, and the
-- sink's batch with them. email_events_ensure_partitions now gives each partition it makes the
-- parent's FULL when the parent has it (docs/publish-raw-events.sql sets both).
CREATE OR REPLACE FUNCTION email_events_ensure_partitions(days_back int, days_ahead int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    d date;
    made int := 0;
    name text;
    full_identity boolean := (SELECT relreplident = 'f' FROM pg_class WHERE oid = 'email_event_rows'::regclass);
BEGIN
    FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - days_back,
                                    (now() AT TIME ZONE 'UTC')::date + days_ahead, interval '1 day')::date LOOP
        name := 'email_events_' || to_char(d, 'YYYYMMDD');
        IF to_regclass(name) IS NULL THEN
            EXECUTE format('CREATE TABLE %I PARTITION OF email_event_rows FOR VALUES FROM (%L) TO (%L)',
                           name, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
            IF full_identity THEN
                EXECUTE format('ALTER TABLE %I REPLICA IDENTITY FULL', name);
            END IF;
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;
