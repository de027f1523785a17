-- V41: the recipient of each set-aside event, so that an erasure finds that recipient's rows in the query;
-- whether the privacy settings cut its address or User-Agent; and the moved events by tenant.
--
-- An erasure used to read every bad_events row of the tenant, replayed ones included, and decode each
-- record to find the recipient's, all while it held erasure_audit in ROW EXCLUSIVE mode, which every
-- sink batch on every node waits on. recipient_hash names the recipient as erasure_audit.email_hash
-- does: SHA-256 of '<tenant uuid>\n<email id>' (RecipientHash), written by the insert
-- (BadEvents.insert, and the copy of a row forwarded to another cluster). Empty for an event that
-- names no recipient (warm-up events are between mailboxes).
--
-- NULL where it is not known: rows set aside before this version, and records that did not decode
-- when they were set aside. Nothing is backfilled: the email id is inside the binary journal record,
-- which SQL cannot read. The erasure decodes those rows only.

ALTER TABLE bad_events ADD COLUMN recipient_hash bytea;

CREATE INDEX bad_events_recipient ON bad_events (recipient_hash);
-- The rows whose recipient is not known, by tenant (NULL for a record that did not decode).
CREATE INDEX bad_events_recipient_unknown ON bad_events (tenant_id) WHERE recipient_hash IS NULL;

-- A set-aside record is kept as its tenant keeps addresses and User-Agents, so its replay cannot tell
-- what was cut from what the event never had: redacted is true where the sink cut something (NULL
-- otherwise, or unknown before this version), and the replay marks its email_event_rows row so
-- (V40), where a re-score leaves it alone.
ALTER TABLE bad_events ADD COLUMN redacted boolean;

-- The edges look for the unreplayed events set aside as 'moved' every minute (MovedBackEvents,
-- MovedEventsForwarder); without this they read every unreplayed row of the sink, which after a long
-- outage past retention may be millions.
CREATE INDEX bad_events_moved ON bad_events (tenant_id) WHERE error_code = 'moved' AND replayed_at IS NULL;
