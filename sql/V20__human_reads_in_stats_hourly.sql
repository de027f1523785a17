-- stats_hourly.opened_first_human counts an email's first human open *or click* from this version on
-- (HourlyRollUp.stats), as email_human_opens and daily_analytics always did: a person's click means
-- the email was read, even when its images were blocked. Before, it counted human opens alone, so the
-- stats API's unique human opens disagreed with campaign_analytics and daily_analytics.
--
-- The days already rolled up are recounted by their own jobs: each completed stats_hourly job of a
-- day goes back to the queue, and the runners recompute that day from email_events. A day whose raw
-- events retention has dropped is left as it is (HourlyRollUp does not recompute a day with no raw
-- events), so its stats keep the old count.
UPDATE analytics_jobs
   SET status = 'queued', attempts = 0, run_after = now(), dispatched_at = NULL, finished_at = NULL, queued_at = now()
 WHERE job_type = 'stats_hourly' AND granularity = 'day' AND status = 'completed';
