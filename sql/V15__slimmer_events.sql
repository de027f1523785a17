-- Fewer bytes per event in email_events and the first-touch tables (issue 15), no data lost: measured with
-- `benchmarks ... io.trackedge.bench.StorageCost` (docs/benchmarks.md, "Storage per million events").
--
-- 1. The User-Agent text, the largest column of most rows (100 to 200 bytes, and the same few strings
--    over and over), moves to a per-tenant dictionary; the row keeps an 8-byte id. The id is the first
--    8 bytes of the md5 of the text (user_agent_id(text) below; the sink computes the same in Java), so
--    the sink needs no lookup and no cache that a rollback could make wrong: it inserts its batch's
--    strings with ON CONFLICT DO NOTHING. email_opens and email_clicks, which copied the text of their
--    event's User-Agent, keep the same id. Two strings of one tenant sharing an id would need about
--    2^32 distinct User-Agents in that tenant before it is likely.
--    Read the text with: LEFT JOIN user_agents u ON u.tenant_id = e.tenant_id AND u.user_agent_id = e.user_agent_id.
-- 2. email_events_campaign (tenant_id, campaign_id, occurred_at) goes: no query filters email_events
--    by campaign (the stats API reads the roll-ups; roll-ups group by campaign over a time range).
-- 3. email_events_tenant_time (tenant_id, occurred_at) becomes a BRIN on occurred_at. The sink writes in
--    time order, so a block range covers a short stretch of time and the BRIN finds an hour's rows
--    for the hourly roll-ups at a few kB per partition; a tenant's rows of a day are found through the
--    daily partition's primary key, which leads with tenant_id.
--
-- The type changes rewrite email_events, email_opens and email_clicks (that is what gives the space
-- back: dropping a column would leave its bytes in every old row) under an ACCESS EXCLUSIVE lock: on
-- large tables run it in a quiet hour; the sinks wait on the lock and resume, nothing is lost.

CREATE FUNCTION user_agent_id(ua text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT ('x' || left(md5(ua), 16))::bit(64)::bigint $$;

CREATE TABLE user_agents (
    tenant_id      uuid    NOT NULL,
    user_agent_id  bigint  NOT NULL,
    user_agent     text    NOT NULL,
    PRIMARY KEY (tenant_id, user_agent_id)
);

ALTER TABLE user_agents ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_agents FOR SELECT TO trackedge_reader
    USING (tenant_id = nullif(current_setting('app.tenant_id', true), '')::uuid);
GRANT SELECT ON user_agents TO trackedge_reader;

-- The first-touch tables outlive email_events' partitions (retention drops those): their strings too.
INSERT INTO user_agents (tenant_id, user_agent_id, user_agent)
SELECT tenant_id, user_agent_id(user_agent), user_agent FROM email_events WHERE user_agent IS NOT NULL
UNION
SELECT tenant_id, user_agent_id(user_agent), user_agent FROM email_opens WHERE user_agent IS NOT NULL
UNION
SELECT tenant_id, user_agent_id(user_agent), user_agent FROM email_clicks WHERE user_agent IS NOT NULL;

DROP INDEX email_events_campaign;
DROP INDEX email_events_tenant_time;

ALTER TABLE email_events ALTER COLUMN user_agent TYPE bigint USING user_agent_id(user_agent);
ALTER TABLE email_events RENAME COLUMN user_agent TO user_agent_id;
COMMENT ON COLUMN email_events.user_agent_id IS 'user_agents.user_agent_id of the same tenant: user_agent_id(the text)';
ALTER TABLE email_opens ALTER COLUMN user_agent TYPE bigint USING user_agent_id(user_agent);
ALTER TABLE email_opens RENAME COLUMN user_agent TO user_agent_id;
ALTER TABLE email_clicks ALTER COLUMN user_agent TYPE bigint USING user_agent_id(user_agent);
ALTER TABLE email_clicks RENAME COLUMN user_agent TO user_agent_id;

CREATE INDEX email_events_time ON email_events USING brin (occurred_at) WITH (pages_per_range = 32);
