-- V39: a database's own identity, so that two cluster names given one database are noticed.
--
-- An edge writes each cluster's tenants with a sink of its own. Two names of edge.database.clusters
-- that reach one database (two host names of it) made two sinks move one cursor row (sink_cursors
-- said 'postgres' in every cluster), each skipping what the other passed over: events lost. Since this
-- version each sink keeps a row of its own ('postgres_<cluster>', taking over the one row no
-- configured cluster names on its first start), and a sink does not write to a database that holds
-- another of its edge's clusters' row (CursorClaim). This id is what edges say, beside their routing
-- table (edge_routing.cluster_ids, name=id), each of their cluster names reaches, so that two edges
-- naming different databases alike are noticed (RoutingAgreement, trackedge clusters check), and what
-- keeps an edge from forwarding moved events into a database another of its names reaches.
--
-- Random, made once by this migration: a promoted standby or a restored copy keeps its database's
-- id, which is what it is; so does a copy made with CREATE DATABASE ... TEMPLATE of a migrated
-- database: give a copy used as another cluster an id of its own (UPDATE cluster_identity SET id =
-- gen_random_uuid()).

CREATE TABLE cluster_identity (
    one         boolean     PRIMARY KEY DEFAULT true CHECK (one),
    id          uuid        NOT NULL DEFAULT gen_random_uuid(),
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO cluster_identity DEFAULT VALUES;

COMMENT ON TABLE cluster_identity IS 'This database''s id (one row), made by V39: edge_routing.cluster_ids says which database each edge''s cluster names reach by it';

ALTER TABLE edge_routing ADD COLUMN cluster_ids text NOT NULL DEFAULT '';

COMMENT ON COLUMN edge_routing.cluster_ids IS 'name=id of each of the edge''s clusters whose cluster_identity it has read, comma-separated in its clusters'' order';

-- The name a sink's cursor row had before the sink took it over: a row that took over the
-- 'postgres' row of a release before this one carries the progress of every sink that moved it.
ALTER TABLE sink_cursors ADD COLUMN taken_over_from text;

COMMENT ON COLUMN sink_cursors.taken_over_from IS 'The sink row this one was before a sink of another name took it over (postgres before V39, a renamed cluster''s); null for a row the sink made';
