-- V35: a job that lost a contention, not its work, is deferred instead of failed.
--
-- A roll-up or maintenance job can give up for reasons that say nothing about the job: its bounded
-- wait for a table lock ran out (55P03, LockWait: retention behind a long reader), PostgreSQL chose
-- it as a deadlock's victim (40P01), or a serialization check refused it (40001). Counted as failed
-- attempts, five such runs made the job dead, and a daily retention job behind one long report
-- stayed undone until someone retried it. Now such a run gives its attempt back and the job waits in
-- the queue; deferrals counts them, and each doubles the wait before the next run (retry-backoff,
-- up to max-retry-backoff), so a lock held for hours costs one short try at a time, never the job.
ALTER TABLE analytics_jobs ADD COLUMN deferrals integer NOT NULL DEFAULT 0;
