-- analytics_jobs becomes the record the job runners work from (jobs/ module). Redis only carries
-- "try job X" hints; a runner owns a job only by the conditional UPDATE that sets status
-- 'running', its runner name and a lease. Nothing reads the V3 shape yet, so columns are renamed.

-- Job types are the runners' registry (a type with no roll-up is refused at enqueue), so the
-- database no longer lists them: new roll-ups need no migration.
ALTER TABLE analytics_jobs DROP CONSTRAINT analytics_jobs_job_type_check;
ALTER TABLE analytics_jobs DROP CONSTRAINT analytics_jobs_status_check;
ALTER TABLE analytics_jobs DROP CONSTRAINT analytics_jobs_job_type_dedupe_key_key;
DROP INDEX analytics_jobs_queued;
ALTER TABLE analytics_jobs DROP COLUMN dedupe_key;

ALTER TABLE analytics_jobs RENAME COLUMN claimed_by TO runner;
ALTER TABLE analytics_jobs RENAME COLUMN claimed_at TO started_at;
ALTER TABLE analytics_jobs RENAME COLUMN error TO last_error;
ALTER TABLE analytics_jobs RENAME COLUMN created_at TO queued_at;

ALTER TABLE analytics_jobs
    -- null: the job covers every tenant
    ADD COLUMN tenant_id      uuid,
    ADD COLUMN granularity    text        NOT NULL CHECK (granularity IN ('hour', 'day', 'week', 'month')),
    ADD COLUMN period_start   timestamptz NOT NULL,
    ADD COLUMN period_end     timestamptz NOT NULL,
    -- the visibility timeout: a running job whose lease has passed is taken back (its runner died)
    ADD COLUMN lease_until    timestamptz,
    -- when a "try job X" hint was last pushed to Redis; pushed again once this is a visibility timeout old
    ADD COLUMN dispatched_at  timestamptz,
    ADD CHECK (period_end > period_start),
    ADD CHECK (status IN ('queued', 'running', 'completed', 'failed', 'dead')),
    ADD CHECK (status <> 'running' OR (runner IS NOT NULL AND lease_until IS NOT NULL));

-- The idempotency key: one job per type, period and tenant, tenant first (the Citus distribution
-- column). NULLS NOT DISTINCT, or every all-tenants job would be its own key.
CREATE UNIQUE INDEX analytics_jobs_idempotency_key
    ON analytics_jobs (tenant_id, job_type, granularity, period_start) NULLS NOT DISTINCT;
-- What a runner claims next: the lowest priority number first (hourly 25 before billing 100).
CREATE INDEX analytics_jobs_ready ON analytics_jobs (priority, run_after) WHERE status IN ('queued', 'failed');
CREATE INDEX analytics_jobs_leases ON analytics_jobs (lease_until) WHERE status = 'running';
-- The queue depths every runner reads each sweep skip the completed history.
CREATE INDEX analytics_jobs_open ON analytics_jobs (priority, status) WHERE status <> 'completed';

-- The scheduler's cursor: the start of the last period enqueued per granularity, so periods missed
-- while every node was down are enqueued when one comes back.
CREATE TABLE analytics_job_schedule (
    granularity         text        PRIMARY KEY CHECK (granularity IN ('hour', 'day', 'week', 'month')),
    last_period_start   timestamptz NOT NULL,
    updated_by          text        NOT NULL,
    updated_at          timestamptz NOT NULL DEFAULT now()
);
