-- Sinks remember which emails have an email_human_opens row, so that a later human open of the same
-- email is not staged and probed again (KnownHumanOpens), as they already do for email_opens and
-- email_clicks. Unlike those, a row here can go: a correction or a re-score that makes an email's
-- only human event a machine's deletes it. Whoever deletes (HumanOpens.recompute) takes the
-- advisory lock the sinks' batches share, exclusively, and bumps this sequence; a batch reads it
-- under the shared lock and forgets what it remembered when it moved.
CREATE SEQUENCE human_opens_epoch;
