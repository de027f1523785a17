-- Erasure of one recipient's events (issue 13: `edge erase`, POST /v1/erasure). One row per erasure,
-- written in the transaction that deletes the rows, and kept: it is the proof that the erasure ran.
-- It never holds the email id, only email_hash = SHA-256('<tenant uuid>' || E'\n' || '<email id>')
-- (io.trackedge.privacy.RecipientHash): the audit alone names nobody, whoever holds the id can
-- check that it was erased, and the sinks match late events against it (they drop events of a
-- recipient erased less than edge.privacy.erasure-hold ago).
--
-- The Postgres sink takes SHARE on this table in every batch transaction (before its COPY) and
-- reads the recent rows; an erasure's INSERT takes ROW EXCLUSIVE. So an erasure waits for the
-- batches in flight to commit, then deletes what they wrote, and every later batch sees the row.
CREATE TABLE erasure_audit (
    erasure_id    bigserial   PRIMARY KEY,
    tenant_id     uuid        NOT NULL,
    email_hash    bytea       NOT NULL CHECK (length(email_hash) = 32),
    -- who asked: "cli:<os user>@<host>" or "api:<ingest key prefix>"
    requested_by  text        NOT NULL,
    erased_at     timestamptz NOT NULL DEFAULT now(),
    -- rows deleted per table, e.g. {"email_events": 3, "email_opens": 1, ...}
    deleted       jsonb       NOT NULL DEFAULT '{}',
    -- what PostHog answered to the person deletion: requested (2xx), skipped (no PostHog
    -- personal API key configured), or failed: <status or error>
    posthog       text
);
CREATE INDEX erasure_audit_recent ON erasure_audit (erased_at);
CREATE INDEX erasure_audit_recipient ON erasure_audit (tenant_id, email_hash);
