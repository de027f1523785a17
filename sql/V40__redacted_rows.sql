-- A mark on each row whose client address or User-Agent its tenant's privacy settings cut before it was
-- stored (truncated or dropped address, dropped User-Agent), so that a re-score (`trackedge classify`)
-- leaves its verdict as the sink gave it. The sink classifies the full event; the row holds less, and
-- a dropped User-Agent read back is an empty one, which the classifier takes for a bot's. Before, a
-- re-score left out only the tenants whose settings cut *at the time of the re-score*: a tenant that
-- dropped User-Agents and later kept them had the opens stored meanwhile re-scored as machines'.
--
-- A column of its own, not a bit of reasons: reasons is the classifier's bitmask, which corrections
-- and re-scores overwrite whole, the sink's history reads back raw into verdicts, automation_hourly
-- groups by and the stats API splits by signal; and it is NULL on rows stored unclassified, which a
-- bit would make non-NULL. The sink writes true or NULL, never false: a NULL takes no byte of the row
-- (the null bitmap of email_event_rows, 17 columns, already has room for 24), and the byte of a true
-- mostly fills the padding PostgreSQL aligns a row to (200,000 opens as the sink stores them: 141.23
-- bytes a row before and after, with the column NULL; 141.27 with it true on every row).
--
-- Rows stored before this migration have no mark: a re-score still leaves out the tenants whose
-- settings cut now (RescoreScope), for those.
--
-- Adding a column without a default rewrites nothing: an ACCESS EXCLUSIVE lock on email_event_rows and
-- its partitions for a moment; sinks wait on the lock and resume. Partitions made later take it from the table.
ALTER TABLE email_event_rows ADD COLUMN redacted boolean;
COMMENT ON COLUMN email_event_rows.redacted IS
    'true: the tenant''s privacy settings cut this event''s client address or User-Agent before it was stored, '
    'and a re-score leaves its verdict as the sink gave it from the full event; NULL otherwise, and on rows stored before V40';
