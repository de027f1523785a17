-- Room on each page for the counters' next versions (issue 15: PostgreSQL's CPU per event).
--
-- Every sink batch adds to the daily counters of each key it touched (DailyUpsert: INSERT ... ON
-- CONFLICT DO UPDATE), and in PostgreSQL an update writes a new version of the row. On a full page
-- (fillfactor 100, the default) the new version goes to another page, and every index of the table
-- (daily_analytics has four) gets an entry for it, in WAL too. With room on the page, the update is
-- HOT (heap-only): no index entry at all, and the old version is pruned in place when the page is
-- next read. Measured with pgbench on a private PostgreSQL 15, 300 upserts of the same 1,000 keys
-- (the bench's batch): fillfactor 100: 18.5 ms an upsert, 41 % of updates HOT, the table and its
-- indexes 47 MB after; 70: 7.9 ms, 99.6 % HOT, 1.2 MB; 50: 7.1 ms, 100 % HOT, 0.8 MB
-- (docs/benchmarks.md, 2026-12-01).
--
-- The setting applies to pages written from now on: the pages of today's keys fill to half as their
-- rows are next updated; past days' rows, which are no longer updated, keep their pages. It costs
-- half-empty pages for the days a key was written: one row per key and day, a few bytes per event.
ALTER TABLE daily_analytics SET (fillfactor = 50);
ALTER TABLE daily_unstored SET (fillfactor = 50);
ALTER TABLE warmup_daily_stats SET (fillfactor = 50);
