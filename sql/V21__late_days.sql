-- Days that received events after they closed: a late bounce from a mail server (ingest accepts
-- occurred_at up to 30 days back), a set-aside event replayed, the classifier's correction of an
-- earlier open (and the first-touch counts it moves to other days), or a sink catching up on its
-- journal. Before, only `trackedge classify` ever recounted a closed day.
--
-- The sink adds a row per closed UTC day a batch writes into, in the batch's own transaction
-- (BatchWriter, LateDays): append-only, so a batch never waits on another batch or on the
-- scheduler. The scheduler (LateEventReruns) takes a day's rows once the oldest is the schedule
-- delay old (a burst gathers into one re-run), deletes them, and runs again every roll-up of the
-- periods holding the day whose claim did not see all of those rows' transactions.
--
-- Not per tenant: like analytics_jobs it is the cluster's own bookkeeping (with several clusters,
-- each cluster's sink marks its own and its scheduler reads them).
CREATE TABLE analytics_late_days (
    day       date        NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    xid       xid8        NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX analytics_late_days_day ON analytics_late_days (day);

-- What a job's run saw: its claim's snapshot (the run's own statements start later and see at least
-- as much), so that a late batch visible in it needs no re-run and one not visible does.
ALTER TABLE analytics_jobs ADD COLUMN claim_snapshot pg_snapshot;
-- Set by the scheduler on a running job whose claim did not see a late batch: the job's completion
-- then queues it again instead (JobStore.complete).
ALTER TABLE analytics_jobs ADD COLUMN rerun_requested boolean NOT NULL DEFAULT false;
