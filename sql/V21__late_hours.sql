-- Hours that received events after they closed: a late bounce from a mail server (ingest accepts
-- occurred_at up to 30 days back), a set-aside event replayed, the classifier's correction of an
-- earlier open, or a sink catching up on its journal. The sink marks each such hour in the batch's
-- own transaction (BatchWriter), and the scheduler (LateEventReruns) runs the roll-ups of every
-- closed period the hour falls in again, or for the first time when the period never had a job
-- (history older than the first schedule). Without this, only `trackedge classify` ever recounted
-- a closed day.
--
-- first_marked_at lets late events of one hour gather for the schedule delay before one re-run;
-- last_marked_at (the time of the last batch's statement, just before its commit) tells a job that
-- started after it, and so saw every marked event, from one that must run again.
--
-- Not per tenant: like analytics_jobs' scheduled rows it is the cluster's own bookkeeping (with
-- several clusters, each cluster's sink marks its own and its scheduler reads them).
CREATE TABLE analytics_late_hours (
    hour_start      timestamptz PRIMARY KEY,
    first_marked_at timestamptz NOT NULL,
    last_marked_at  timestamptz NOT NULL
);
