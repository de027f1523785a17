-- Bearer keys of the ingest API (POST /v1/events). Only the SHA-256 of a key is stored; the key
-- itself is printed once by `edge keys create`. prefix is the key's first 12 characters
-- ("tek_" and 8 more): not secret, it names the key in `keys list` and finds its row. A NULL
-- tenant_id lets the key write events of every tenant. Edges cache the unrevoked keys and reload
-- them every edge.ingest.key-refresh, so creating or revoking one needs no restart.
CREATE TABLE ingest_keys (
    key_id      uuid        PRIMARY KEY,
    prefix      text        NOT NULL UNIQUE,
    key_hash    bytea       NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    tenant_id   uuid,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- Event ids that ingest clients chose themselves. The Postgres sink inserts every client id of a
-- batch here with ON CONFLICT DO NOTHING RETURNING, in the batch's transaction, and writes only
-- the returned (new) ones to email_events and the aggregates: a retried request is counted once.
-- Ids the edge makes (UUIDv7, every open and click) never pass through this table.
CREATE TABLE ingest_event_ids (
    event_id       uuid        PRIMARY KEY,
    tenant_id      uuid        NOT NULL,
    event_type     text        NOT NULL,
    first_seen_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingest_event_ids_first_seen ON ingest_event_ids (first_seen_at);
