-- V34: the record of a tenant's rows moved from one cluster to another (trackedge clusters move).
--
-- Written in the destination cluster in the transaction that copies the rows, with how many rows of
-- each table it copied and a fingerprint of them, and marked done once the source cluster's rows are
-- deleted. A move stopped between the two commits (the copy's and the source's delete) is found here
-- and finished, without copying again (a second copy would add the daily counters twice), once the
-- source's rows still have the fingerprints copied.
CREATE TABLE tenant_moves (
    tenant_id     uuid        NOT NULL,
    from_cluster  text        NOT NULL,
    to_cluster    text        NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    -- copied: in this cluster, not yet deleted from from_cluster; done: deleted there too
    state         text        NOT NULL CHECK (state IN ('copied', 'done')),
    -- rows copied per table, e.g. {"email_event_rows": 1200, "email_opens": 310, ...}
    copied        jsonb       NOT NULL,
    -- per table, the source's rows as copied: "<count>:<sum of their text's 64-bit hashes>"
    fingerprints  jsonb       NOT NULL,
    finished_at   timestamptz,
    PRIMARY KEY (tenant_id, started_at)
);
CREATE UNIQUE INDEX tenant_moves_one_unfinished ON tenant_moves (tenant_id) WHERE state = 'copied';
