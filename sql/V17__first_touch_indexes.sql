-- Four secondary indexes of the first-touch tables that no query uses (issue 15: bytes per event).
-- Every read of email_opens, email_clicks and email_human_opens goes by its primary key
-- (tenant_id, email_id): the sink's first-touch inserts, corrections, re-scores and erasures; or by
-- (tenant_id, campaign_id, opened_at / clicked_at): the stats API's recipient lists, which read
-- email_opens and email_clicks only. The day-wide reads (the daily reconciliation, the erasure's and
-- the re-score's counts) filter on the time alone or on one tenant and a time range, which none of
-- these indexes serve. The sink paid for them on every first open and click: one more btree insert
-- (and its WAL) per row, in random key order.
-- Measured with io.trackedge.bench.StorageCost, before and after, in docs/benchmarks.md.
DROP INDEX email_opens_user;
DROP INDEX email_clicks_user;
DROP INDEX email_human_opens_user;
DROP INDEX email_human_opens_campaign;
