-- V38: which routing table each edge writing to this cluster routes tenants by, so that edges on
-- different tables (one not restarted after a change of edge.database.routing-table, or given another
-- file) are noticed: each sends some tenants' events to a cluster the others' reads and jobs do not look in.
--
-- Each edge with clusters upserts its row in every cluster at start and once a minute (seen_at), and
-- counts the other edges seen in the last 15 minutes whose digest differs from its own
-- (edge_routing_tables_differing on /metrics); `trackedge clusters check` compares every edge's row
-- with the table the command itself is configured with. Not by tenant: one row per edge, kept on the
-- coordinator under Citus, where there is one database and no routing between clusters (docs/citus.md).
CREATE TABLE edge_routing (
    edge_node   uuid        PRIMARY KEY,
    host        text        NOT NULL,
    clusters    text        NOT NULL,
    pins        integer     NOT NULL,
    digest      text        NOT NULL,
    started_at  timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL
);

COMMENT ON TABLE edge_routing IS 'The routing table each edge routes tenants by: its clusters in hash order, how many tenants it pins, '
    'and a digest of both (TenantRouting.digest); started_at is when the edge started with it, seen_at when it last said so';
