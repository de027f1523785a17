-- V41: the recipient of each set-aside event, so that an erasure finds that recipient's rows in the query.
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
