-- Event ids that ingest clients choose are unique per tenant, not across tenants: two tenants
-- (two ESPs, two customers) may send the same id, and each must get its event stored. Until V5 the
-- id alone was the key of ingest_event_ids, so the second tenant's event was taken for a retry and
-- dropped while its request got 202.
--
-- Every key that holds an event id now starts with tenant_id. That is also the shape the tables
-- need to be distributed by tenant later (Citus: the distribution column must be in every unique
-- key). The existing rows stay: a key that was unique without tenant_id is unique with it.
--
-- email_events keeps occurred_at in its key (a key of a partitioned table must hold the partition
-- column). Its key changes because once the dedupe is per tenant, two tenants' events with the same
-- id reach the COPY; with the same occurred_at too, the old key (event_id, occurred_at) would fail
-- the whole batch. Daily partitions made later by email_events_ensure_partitions, and the default
-- partition, get the new key from the parent. Lookups by event_id alone no longer have an index:
-- nothing in the edge does one; ask with the tenant.
--
-- Takes an ACCESS EXCLUSIVE lock on these tables while the new keys are built: on a large
-- email_events, run it in a quiet hour (sinks wait on the lock and resume; nothing is lost).

ALTER TABLE ingest_event_ids DROP CONSTRAINT ingest_event_ids_pkey;
ALTER TABLE ingest_event_ids ADD CONSTRAINT ingest_event_ids_pkey PRIMARY KEY (tenant_id, event_id);

ALTER TABLE email_events DROP CONSTRAINT email_events_pkey;
ALTER TABLE email_events ADD CONSTRAINT email_events_pkey PRIMARY KEY (tenant_id, event_id, occurred_at);

-- The per-type tables the ingest API fills: keyed by the event id alone, the second tenant's row
-- would be lost to their ON CONFLICT DO NOTHING.
ALTER TABLE email_bounces DROP CONSTRAINT email_bounces_pkey;
ALTER TABLE email_bounces ADD CONSTRAINT email_bounces_pkey PRIMARY KEY (tenant_id, event_id);

ALTER TABLE email_replies DROP CONSTRAINT email_replies_pkey;
ALTER TABLE email_replies ADD CONSTRAINT email_replies_pkey PRIMARY KEY (tenant_id, event_id);

ALTER TABLE warmup_interactions DROP CONSTRAINT warmup_interactions_pkey;
ALTER TABLE warmup_interactions ADD CONSTRAINT warmup_interactions_pkey PRIMARY KEY (tenant_id, event_id);
