package io.trackedge.privacy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import io.trackedge.db.LockWait;
import io.trackedge.db.Transaction;
import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.RecordCodec;

/**
 * Deletes one recipient (an email id of a tenant) from every table that holds per-recipient rows,
 * and records the erasure in {@code erasure_audit}, in one transaction.
 *
 * <p>Tables: {@code email_events}, {@code email_opens}, {@code email_clicks},
 * {@code email_human_opens}, {@code email_bounces}, {@code email_replies} (by tenant and email id);
 * {@code ingest_event_ids} (the ids of the deleted one-click unsubscribes, the recipient's own; a mail
 * server's stay); {@code bad_events} (set-aside journal
 * records of that recipient, found by the recipient's hash, or by decoding the rows whose recipient is
 * not known: the tenant's set aside before sql/V41, and those whose record did not decode then). {@code warmup_interactions}
 * holds no recipient (warm-up events are between mailboxes). Aggregates ({@code daily_analytics},
 * the roll-ups) are counts and are not adjusted: they keep counting what happened. So that the
 * nightly reconciliation, which recounts {@code daily_analytics} from the raw tables, keeps counting
 * it too, the deleted rows' counts are first added to {@code daily_unstored} (per key and UTC day;
 * they name no recipient). {@code lead_analytics} names the email's lead: the erasure marks the
 * days the email had events on for that roll-up alone ({@code analytics_late_days.job_type},
 * sql/V36), and the scheduler's re-run of those days recomputes it without the deleted rows. Not
 * deleted here: that would wait on a running lead roll-up while holding the audit's lock (and so
 * every sink batch), and the roll-up would write the rows back.
 *
 * <p>The audit table's lock comes first: the Postgres sink's batches take it in SHARE mode, so the
 * erasure waits for batches in flight to commit and then deletes their rows too, and every later
 * batch sees the erasure and drops the recipient's events. It waits as {@link LockWait} says, a
 * second at a time: while it waits, every batch that reaches its privacy check queues behind it.
 */
public final class Erasure {

    /**
     * A per-recipient table keyed by (tenant_id, email_id): the name {@code erasure_audit.deleted}
     * reports, the one users know, and the table its rows are deleted from.
     */
    record EmailTable(String reported, String stored) {
        EmailTable(String table) {
            this(table, table);
        }
    }

    /** The per-recipient tables in deletion order; {@code email_events} is a view over {@code email_event_rows} (sql/V26). */
    static final List<EmailTable> EMAIL_TABLES = List.of(new EmailTable("email_opens"), new EmailTable("email_clicks"),
            new EmailTable("email_human_opens"), new EmailTable("email_bounces"), new EmailTable("email_replies"),
            new EmailTable("email_events", "email_event_rows"));

    /**
     * Adds the recipient's rows, as {@code daily_analytics} counts them, to {@code daily_unstored}
     * before they are deleted: the counters keep them, and so does the nightly recount.
     */
    private static final String KEEP_COUNTS = "INSERT INTO daily_unstored (" + DailyCounts.KEY + ", date, "
            + DailyCounts.COLUMNS + ") SELECT " + DailyCounts.KEY + ", date, " + DailyCounts.COLUMNS + " FROM ("
            + DailyCounts.perKeyAndDay(at -> "tenant_id = ? AND email_id = ?") + ") r ORDER BY " + DailyCounts.KEY + ", date"
            + " ON CONFLICT ON CONSTRAINT daily_unstored_key DO UPDATE SET updated_at = now(), "
            + DailyCounts.COUNTERS.keySet().stream().map(k -> k + " = daily_unstored." + k + " + excluded." + k)
                    .collect(Collectors.joining(", "));

    /**
     * The job type of the {@code lead_analytics} roll-up, the one roll-up keyed by a person, whose days
     * an erasure marks for a re-run.
     */
    public static final String LEAD_ROLL_UP = "lead_analytics";

    /**
     * The UTC days the email had events on, marked for {@link #LEAD_ROLL_UP}'s re-run in this transaction:
     * every one, since an event that names no lead counts for the lead its email's other events name.
     */
    private static final String MARK_LEAD_DAYS = "INSERT INTO analytics_late_days (day, job_type) SELECT DISTINCT"
            + " (occurred_at AT TIME ZONE 'UTC')::date, '" + LEAD_ROLL_UP + "' FROM email_events"
            + " WHERE tenant_id = ? AND email_id = ?";

    /** What one erasure did. */
    public record Result(long erasureId, Map<String, Long> deleted) {
        public long total() {
            return deleted.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private Erasure() {
    }

    /**
     * Erases {@code emailId} of {@code tenant} and commits. {@code c} is left in auto-commit.
     *
     * @param requestedBy who asked, for the audit ("cli:user@host", "api:tek_1234abcd")
     */
    public static Result erase(Connection c, UUID tenant, String emailId, String requestedBy) throws SQLException {
        return erase(c, tenant, emailId, requestedBy, LockWait.DEFAULT);
    }

    /** As {@link #erase(Connection, UUID, String, String)}, waiting for the audit table's lock as {@code wait} says. */
    static Result erase(Connection c, UUID tenant, String emailId, String requestedBy, LockWait wait) throws SQLException {
        return Transaction.run(c, t -> eraseIn(t, tenant, emailId, requestedBy, wait));
    }

    private static Result eraseIn(Connection c, UUID tenant, String emailId, String requestedBy, LockWait wait) throws SQLException {
        wait.runThenWaitAsBefore(c, "LOCK TABLE erasure_audit IN ROW EXCLUSIVE MODE");
        long id;
        byte[] hash = RecipientHash.of(tenant, emailId);
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO erasure_audit (tenant_id, email_hash, requested_by) VALUES (?, ?, ?) RETURNING erasure_id")) {
            s.setObject(1, tenant);
            s.setBytes(2, hash);
            s.setString(3, requestedBy);
            try (ResultSet r = s.executeQuery()) {
                r.next();
                id = r.getLong(1);
            }
        }
        try (PreparedStatement s = c.prepareStatement(KEEP_COUNTS)) {
            for (int i = 0; i < 4; i++) { // email_events and the three first-touch tables
                s.setObject(2 * i + 1, tenant);
                s.setString(2 * i + 2, emailId);
            }
            s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement(MARK_LEAD_DAYS)) {
            s.setObject(1, tenant);
            s.setString(2, emailId);
            s.executeUpdate();
        }
        // Sinks remember emails with a human open (KnownHumanOpens): moving the epoch makes them
        // forget, so the recipient's events after the hold write their rows again. No lock needed:
        // erasure_audit's lock keeps every batch out of this transaction's way.
        try (Statement s = c.createStatement()) {
            s.executeQuery("SELECT nextval('human_opens_epoch')").close();
        }
        Map<String, Long> deleted = new LinkedHashMap<>();
        // A one-click unsubscribe's id is the recipient's own (the token's tag, an HMAC of their fields: anyone
        // with the signing key can compute it again), so it goes with them; every other client id stays, below,
        // a mail server's unsubscribe's too. Rows stored before the edge marked one-clicks are told by their
        // client address, which only the edge records (Attributes.isOneClick).
        try (PreparedStatement s = c.prepareStatement("DELETE FROM ingest_event_ids i USING email_events e"
                + " WHERE i.tenant_id = ? AND i.event_type = 'unsubscribed' AND e.tenant_id = i.tenant_id AND e.email_id = ?"
                + " AND e.event_type = 'unsubscribed' AND e.event_id = i.event_id"
                + " AND coalesce(e.attributes->>'" + Attributes.ONE_CLICK + "' = '" + Attributes.ONE_CLICK_YES + "',"
                + " e.ip_address IS NOT NULL)")) {
            s.setObject(1, tenant);
            s.setString(2, emailId);
            deleted.put("ingest_event_ids", (long) s.executeUpdate());
        }
        for (EmailTable table : EMAIL_TABLES) {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM " + table.stored() + " WHERE tenant_id = ? AND email_id = ?")) {
                s.setObject(1, tenant);
                s.setString(2, emailId);
                deleted.put(table.reported(), (long) s.executeUpdate());
            }
        }
        // The other client ids stay: a mail server's id names no one, and its retry of the same event after this
        // erasure must still be known as one, not counted again nor (after the hold) stored again.
        deleted.put("bad_events", deleteBadEvents(c, tenant, emailId, hash));
        try (PreparedStatement s = c.prepareStatement("UPDATE erasure_audit SET deleted = ?::jsonb WHERE erasure_id = ?")) {
            s.setString(1, json(deleted));
            s.setLong(2, id);
            s.executeUpdate();
        }
        return new Result(id, deleted);
    }

    /**
     * Records what PostHog answered on the audit row, in a transaction of its own on {@code c} (left in
     * auto-commit). The update takes the audit table's lock as the erasure did, so it waits for it
     * the same way.
     */
    public static void recordPostHog(Connection c, long erasureId, String outcome) throws SQLException {
        recordPostHog(c, erasureId, outcome, LockWait.DEFAULT);
    }

    static void recordPostHog(Connection c, long erasureId, String outcome, LockWait wait) throws SQLException {
        Transaction.run(c, t -> {
            wait.run(t, "LOCK TABLE erasure_audit IN ROW EXCLUSIVE MODE");
            try (PreparedStatement s = t.prepareStatement("UPDATE erasure_audit SET posthog = ? WHERE erasure_id = ?")) {
                s.setString(1, outcome);
                s.setLong(2, erasureId);
                return s.executeUpdate();
            }
        });
    }

    /** The erasures of the last {@code holdMillis}, for the sinks' {@link ErasureList}. */
    public static List<ErasureList.Entry> recent(Connection c, long holdMillis) throws SQLException {
        return recentAndLatest(c, holdMillis, Long.MAX_VALUE).entries();
    }

    /**
     * The erasures within the hold, and those made since {@code oldestReceivedMillis} (a batch of events
     * taken in before an erasure older than the hold, from a journal that waited on a stopped node, must
     * still find it: {@link ErasureList#isErased(UUID, String, long, long, long)}), and the id of the latest of all ({@link Long#MIN_VALUE}
     * when there is none): one statement, read by the sink in each batch. The id, not the time: ids are
     * taken after the audit's lock, so they grow in the order batches can see erasures, where an
     * erasure's time (its transaction's start) can be earlier than one committed before it.
     */
    public record Recent(List<ErasureList.Entry> entries, long latestId) {
    }

    public static Recent recentAndLatest(Connection c, long holdMillis, long oldestReceivedMillis) throws SQLException {
        List<ErasureList.Entry> out = new ArrayList<>();
        long latest = Long.MIN_VALUE;
        try (PreparedStatement s = c.prepareStatement("SELECT tenant_id, encode(email_hash, 'hex'), "
                + "(extract(epoch FROM erased_at) * 1000)::bigint FROM erasure_audit "
                + "WHERE erased_at > now() - ? * interval '1 millisecond' OR erased_at >= to_timestamp(? / 1000.0)"
                + " UNION ALL SELECT NULL, NULL, max(erasure_id) FROM erasure_audit")) {
            s.setLong(1, holdMillis);
            s.setLong(2, Math.min(oldestReceivedMillis, 253_402_300_799_000L)); // year 9999 at most: to_timestamp's range
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    UUID tenant = r.getObject(1, UUID.class);
                    if (tenant != null) {
                        out.add(new ErasureList.Entry(tenant, r.getString(2), r.getLong(3)));
                    } else if (r.getObject(3) != null) {
                        latest = r.getLong(3);
                    }
                }
            }
        }
        return new Recent(out, latest);
    }

    /**
     * Rows of bad_events the recipient's fallback decodes per round trip: the scan streams (a tenant may
     * have set aside a million rows before V41), its memory bounded by this many records.
     */
    private static final int DECODED_PER_FETCH = 200;

    /**
     * bad_events keeps whole journal records. Each row set aside since V41 names its recipient by the
     * audit's hash, which the index finds. Only the rows whose recipient is not known are decoded,
     * streamed: the tenant's set aside before V41, and those that name no tenant because their record
     * did not decode when it was set aside (a release older than the record's, after a rollback), which
     * may decode now. This runs under the audit's lock, which every sink batch waits on.
     */
    private static long deleteBadEvents(Connection c, UUID tenant, String emailId, byte[] hash) throws SQLException {
        long deleted;
        // The hash names the tenant too: another tenant's rows of the same email id have another.
        try (PreparedStatement s = c.prepareStatement("DELETE FROM bad_events WHERE recipient_hash = ?")) {
            s.setBytes(1, hash);
            deleted = s.executeUpdate();
        }
        List<Long> doomed = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT bad_event_id, record FROM bad_events"
                + " WHERE recipient_hash IS NULL AND (tenant_id = ? OR tenant_id IS NULL)")) {
            s.setFetchSize(DECODED_PER_FETCH); // a cursor: c is in a transaction
            s.setObject(1, tenant);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    byte[] rec = r.getBytes(2);
                    EventRecord e;
                    try {
                        e = RecordCodec.decode(rec, 0, rec.length);
                    } catch (RuntimeException undecodable) {
                        continue; // names no one this release can read: kept for one that can
                    }
                    if (!e.type().isWarmup() && e.fields().tenant().equals(tenant) && e.fields().email().equals(emailId)) {
                        doomed.add(r.getLong(1));
                    }
                }
            }
        }
        if (doomed.isEmpty()) {
            return deleted;
        }
        try (PreparedStatement s = c.prepareStatement("DELETE FROM bad_events WHERE bad_event_id = ANY (?)")) {
            s.setArray(1, c.createArrayOf("bigint", doomed.toArray()));
            return deleted + s.executeUpdate();
        }
    }

    private static String json(Map<String, Long> deleted) {
        StringBuilder sb = new StringBuilder("{");
        deleted.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
        return sb.append('}').toString();
    }
}
