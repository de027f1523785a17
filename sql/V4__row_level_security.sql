-- Dashboards read through trackedge_reader, which sees one tenant at a time: the tenant named by
-- the session setting app.tenant_id (SET app.tenant_id = '<uuid>'). Without it, nothing.
-- The writer (the sink's own login, the table owner) is not subject to these policies.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'trackedge_reader') THEN
        CREATE ROLE trackedge_reader NOLOGIN;
    END IF;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['email_events', 'email_opens', 'email_clicks', 'email_bounces', 'email_replies',
            'daily_analytics', 'warmup_interactions', 'warmup_daily_stats', 'billing_analytics',
            'campaign_analytics', 'mailbox_analytics', 'lead_analytics', 'warmup_analytics',
            'sequence_step_analytics'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I FOR SELECT TO trackedge_reader '
                       'USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid)', t);
        EXECUTE format('GRANT SELECT ON %I TO trackedge_reader', t);
    END LOOP;
END $$;
