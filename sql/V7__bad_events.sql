-- Events a sink could not deliver because of their data (PostgreSQL refused them with a data
-- error, PostHog answered 400/413 for them alone, or the journal record does not decode). The sink
-- loop narrows a failing batch down to these, records each here with the raw journal record and
-- the error, moves its cursor past it in the same transaction (for the Postgres sink), and goes on.
-- `edge bad-events list|replay` shows them and writes them again once the cause is fixed.
CREATE TABLE bad_events (
    bad_event_id     bigserial   PRIMARY KEY,
    sink             text        NOT NULL,
    edge_node        uuid        NOT NULL,
    journal_position bigint      NOT NULL,
    event_id         uuid,
    tenant_id        uuid,
    event_type       text,
    record           bytea       NOT NULL,
    error            text        NOT NULL,
    error_code       text,
    attempts         integer     NOT NULL DEFAULT 1,
    set_aside_at     timestamptz NOT NULL DEFAULT now(),
    replayed_at      timestamptz,
    last_replay_error text,
    -- A sink that sets the same record aside twice (a crash between the insert and its cursor
    -- file, for PostHog) keeps one row.
    UNIQUE (sink, edge_node, journal_position)
);
CREATE INDEX bad_events_open ON bad_events (sink, set_aside_at) WHERE replayed_at IS NULL;
