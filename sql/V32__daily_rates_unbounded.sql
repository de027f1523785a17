-- V32: daily_analytics' rate columns take any ratio.
--
-- open_rate, click_rate, bounce_rate and reply_rate (V2) are the day's first opens (clicks, bounces,
-- replies) per 100 of the day's sends, as numeric(7,2): at most 99,999.99. A day's first opens are of
-- any day's emails, so a sequence that sends 5 follow-ups on a day when 6,000 of the day before's
-- emails are first opened makes 120,000.00: the sink's daily upsert then failed with a numeric field
-- overflow (22003), and the loop set aside, as bad events, the opens of that key for the rest of the
-- day (and the daily reconciliation failed on the same row). Unconstrained numeric keeps the values
-- (two decimals, from round(..., 2)); the stats API computes its own rates and never read these.
ALTER TABLE daily_analytics
    ALTER COLUMN open_rate TYPE numeric,
    ALTER COLUMN click_rate TYPE numeric,
    ALTER COLUMN bounce_rate TYPE numeric,
    ALTER COLUMN reply_rate TYPE numeric;
