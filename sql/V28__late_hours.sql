-- V28: an hour's job of the hourly tables recounts its hour, not its whole day so far.
--
-- stats_hourly, link_clicks_hourly and automation_hourly hold a row per hour, and their jobs run
-- hourly and daily. Until now an hour's job recounted its whole UTC day so far, so each event of a
-- day was counted again by every later hour's job: about 12.5 passes over the day, 13.5 with the
-- day's own job (docs/benchmarks.md, "An hour's job recounts its hour"). Now an hour's job recounts
-- that hour, and the day's job still recounts the whole day once it has closed.
--
-- What the whole-day recount used to catch within the day, these rows now mark: the sink adds one per
-- hour of today that has closed and that a batch writes into (a bounce reported an hour late, a sink
-- catching up, a correction of an earlier open), in the batch's own transaction, as
-- analytics_late_days does for closed days (V21). The scheduler (LateEventReruns) takes an hour's rows
-- once the oldest is the schedule delay old and runs the hourly tables' jobs of that hour and of every
-- later hour of its day again (an older open may move an email's first open into an earlier hour),
-- where their claim did not see those rows' transactions. The hour of today that holds an email's
-- first open or click is marked too when an older open or click of it, from an earlier day, lands.
--
-- Not per tenant, like analytics_late_days: the cluster's own bookkeeping.
CREATE TABLE analytics_late_hours (
    hour      timestamptz NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    xid       xid8        NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX analytics_late_hours_hour ON analytics_late_hours (hour);
