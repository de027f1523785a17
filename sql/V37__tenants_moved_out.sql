-- V37: the tenants moved out of this cluster (trackedge clusters move), so that an edge still on the
-- routing table from before the move cannot write them here unseen.
--
-- Written in the source cluster by the transaction that deletes the moved rows, under the lock the
-- sinks' batches hold shared (HumanOpens.lockForChange), and deleted in a cluster by a move of the
-- tenant back into it. A sink reads the marks at connect and every minute, and again inside a batch
-- whose shared lock finds that an exclusive holder came and went (the epoch moved): either the move
-- committed before the batch's check, which then sees the mark, or it waits for the batch, whose
-- rows it then finds left behind. Events of a marked tenant are set aside (bad_events, error code
-- "moved"), and `trackedge bad-events replay` forwards them to the cluster the routing table sends
-- the tenant to now.
CREATE TABLE tenants_moved_out (
    tenant_id  uuid        PRIMARY KEY,
    moved_to   text        NOT NULL,
    moved_at   timestamptz NOT NULL DEFAULT now()
);
