package io.trackedge.jobs.rollup;

import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;

/** Raw events for the step-attribution tests: one per {@code (days, h, type, campaign, email, step)} row. */
final class StepEvents {

    private StepEvents() {
    }

    /**
     * Inserts one event per row of {@code values} (SQL rows {@code (days, h, type, campaign, email, step)}: at
     * {@code h} o'clock UTC of {@code days} after {@code day}), of {@code tenant}, mailbox {@code mbox}.
     */
    static void insert(Statement s, LocalDate day, String tenant, String values) throws SQLException {
        s.execute("INSERT INTO email_events (occurred_at, tenant_id, event_id, user_id, edge_no, event_type, campaign_id,"
                + " mailbox_id, email_id, step_id) SELECT (('" + day + "'::date + ev.days)::timestamp + ev.h * interval '1 hour')"
                + " AT TIME ZONE 'UTC', '" + tenant + "', gen_random_uuid(), gen_random_uuid(), 1, ev.type::email_event_type,"
                + " ev.campaign, 'mbox', ev.email, ev.step FROM (VALUES" + values + ") AS ev(days, h, type, campaign, email, step)");
    }
}
