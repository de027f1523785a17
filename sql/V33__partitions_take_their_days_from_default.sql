-- V33: a day whose events wait in the default partition gets its partition all the same.
--
-- Events of a day with no partition land in email_events_default. Until now, making that day's
-- partition later failed: PostgreSQL refuses CREATE TABLE ... PARTITION OF while the default holds
-- rows of the new range (23514), and since every missing day is made in one call, that one day also
-- kept every later day from being made. After a week of failed partition maintenance (the days are
-- made a week ahead) each later day's events would then have gone to the default partition too,
-- which retention empties with DELETE instead of a drop, for good.
--
-- Now such a day's partition is made as a table of its own, the day's events are moved into it from
-- the default partition, and it is attached; every other day as before. A missing day takes
-- email_event_rows ACCESS EXCLUSIVE first (as CREATE ... PARTITION OF does anyway; the caller bounds
-- the wait with lock_timeout), so that no sink's event of the day lands in the default partition
-- between the look, the move and the attach, which ATTACH or CREATE would refuse (23514).
CREATE OR REPLACE FUNCTION email_events_ensure_partitions(days_back int, days_ahead int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    d date;
    made int := 0;
    moved bigint;
    name text;
    day_start timestamptz;
    day_end timestamptz;
    full_identity boolean := (SELECT relreplident = 'f' FROM pg_class WHERE oid = 'email_event_rows'::regclass);
    columns text := (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                     WHERE attrelid = 'email_event_rows'::regclass AND attnum > 0 AND NOT attisdropped);
BEGIN
    FOR d IN SELECT generate_series((now() AT TIME ZONE 'UTC')::date - days_back,
                                    (now() AT TIME ZONE 'UTC')::date + days_ahead, interval '1 day')::date LOOP
        name := 'email_events_' || to_char(d, 'YYYYMMDD');
        day_start := d::timestamp AT TIME ZONE 'UTC';
        day_end := (d + 1)::timestamp AT TIME ZONE 'UTC';
        IF to_regclass(name) IS NULL THEN
            LOCK TABLE email_event_rows IN ACCESS EXCLUSIVE MODE;
            IF EXISTS (SELECT 1 FROM email_events_default WHERE occurred_at >= day_start AND occurred_at < day_end) THEN
                -- ATTACH needs the parent's CHECK constraints on the table; its indexes it makes itself.
                EXECUTE format('CREATE TABLE %I (LIKE email_event_rows INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
                EXECUTE format('WITH moved AS (DELETE FROM email_events_default WHERE occurred_at >= $1 AND occurred_at < $2 '
                               'RETURNING %s) INSERT INTO %I (%s) SELECT %s FROM moved', columns, name, columns, columns)
                    USING day_start, day_end;
                GET DIAGNOSTICS moved = ROW_COUNT;
                EXECUTE format('ALTER TABLE email_event_rows ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                               name, day_start, day_end);
                RAISE NOTICE '% made with its % events from email_events_default', name, moved;
            ELSE
                EXECUTE format('CREATE TABLE %I PARTITION OF email_event_rows FOR VALUES FROM (%L) TO (%L)',
                               name, day_start, day_end);
            END IF;
            IF full_identity THEN
                EXECUTE format('ALTER TABLE %I REPLICA IDENTITY FULL', name);
            END IF;
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;
