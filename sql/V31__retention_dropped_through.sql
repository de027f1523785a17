-- V31: how far retention has dropped raw events, so that no event lands in a dropped day again.
--
-- The sink and `bad-events replay` refuse an event of a day retention dropped, or will drop within
-- the hour (RetentionCutoff), reckoned from edge.database.retention-days. Raised since a drop, the
-- setting alone would let events of an already dropped day in again: into the default partition,
-- where the day's late-event re-run would count them alone in place of the day's roll-ups. So each
-- retention run (PartitionMaintainer.dropExpired) records the last day it dropped everything up to
-- (partitions and the default partition's events), and an event of a day on or before the latest
-- recorded one is refused whatever the setting says now. Runs before this version are not recorded;
-- the setting still guards those days.
--
-- Not per tenant: the cluster's own bookkeeping, like analytics_late_days (with Citus, on the
-- coordinator, where retention runs).
CREATE TABLE email_events_dropped_through (
    day        date        PRIMARY KEY,
    dropped_at timestamptz NOT NULL DEFAULT now()
);
