package io.trackedge.sink.postgres;

import io.trackedge.classify.Classification;
import io.trackedge.classify.Correction;
import io.trackedge.db.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the classifier's retroactive corrections (a link burst seen whole only once its later
 * clicks arrive) in the batch's transaction: the earlier rows of {@code email_events} get the new
 * verdict, and every row whose {@code is_machine} really changed moves its day's counter from human
 * to machine (or back), fixes {@code email_opens}/{@code email_clicks} when it is the first touch there,
 * and has its email's {@code email_human_opens} row recomputed. A correction whose row already has
 * the verdict, or is not written yet (it is then written with the new verdict), changes nothing, so
 * applying one twice is harmless.
 *
 * <p>Corrections the database refuses for their data (a constraint or trigger an operator added, say)
 * are rolled back to before them and dropped, and the batch commits without them: they ride on every
 * batch until one commits, so keeping them would refuse every batch after them, and no event of those
 * batches is at fault. The earlier rows keep their first verdicts; a re-score ({@code trackedge
 * classify}) recomputes them.
 */
final class CorrectionWriter {

    private static final Logger log = LoggerFactory.getLogger(CorrectionWriter.class);

    private static final String STAGE = "CREATE TEMP TABLE IF NOT EXISTS correction_stage (event_id uuid, occurred_at timestamptz, "
            + "tenant_id uuid, email_id text COLLATE \"C\", automation text, certainty text, reasons integer, is_machine boolean, "
            + "machine_reason text) ON COMMIT DELETE ROWS";
    private static final String CHANGED_STAGE = "CREATE TEMP TABLE IF NOT EXISTS correction_emails (tenant_id uuid, email_id text COLLATE \"C\") "
            + "ON COMMIT DELETE ROWS";
    /**
     * The old is_machine is read under a row lock, so the move is from what the row held when it changed. The event is
     * found by its tenant and email (email_events_email; the table has no key on its id since V25): corrections are of
     * opens and clicks, whose tokens always name the email. The staged names are stored as their codes (sql/V26); the
     * counters' key comes from the row's context.
     */
    private static final String UPDATE = "UPDATE email_event_rows e SET automation = automation_code(s.automation),"
            + " certainty = certainty_code(s.certainty), reasons = s.reasons, is_machine = s.is_machine,"
            + " machine_reason = nullif(s.machine_reason, signal_names(s.reasons))"
            + " FROM (SELECT s.*, x.is_machine AS was FROM correction_stage s JOIN email_event_rows x"
            + " ON x.tenant_id = s.tenant_id AND x.email_id = s.email_id AND x.event_id = s.event_id"
            + " AND x.occurred_at = s.occurred_at FOR UPDATE OF x) s, event_contexts ctx"
            + " WHERE e.tenant_id = s.tenant_id AND e.email_id = s.email_id AND e.event_id = s.event_id"
            + " AND e.occurred_at = s.occurred_at AND ctx.tenant_id = e.tenant_id AND ctx.context_id = e.context_id"
            + " AND (e.automation, e.certainty, e.reasons, e.is_machine)"
            + " IS DISTINCT FROM (automation_code(s.automation), certainty_code(s.certainty), s.reasons, s.is_machine)"
            + " RETURNING e.tenant_id, ctx.user_id, ctx.campaign_id, ctx.mailbox_id, e.occurred_at, e.event_type,"
            + " s.was, e.is_machine, e.email_id";

    private final BinaryCopyEncoder rows = new BinaryCopyEncoder();
    /** Counter moves of the corrections being applied, added to the batch's fold once they all went in. */
    private final DailyFold moves = new DailyFold();

    /**
     * Applies {@code corrections}; their counter moves go into {@code fold}. Returns whether they were
     * applied: false when the database refused one of them for its data, and then none of them is (all
     * the batch carried are dropped: which one was refused is not narrowed down).
     */
    boolean apply(Connection c, List<Correction> corrections, DailyFold fold) throws SQLException {
        if (corrections.isEmpty()) {
            return true;
        }
        Savepoint before = c.setSavepoint();
        moves.clear();
        try {
            applyAll(c, corrections, moves);
        } catch (SQLException e) {
            if (!SqlStates.isDataError(e.getSQLState())) {
                throw e; // the whole batch is retried
            }
            try {
                c.rollback(before);
            } catch (SQLException rollback) {
                rollback.addSuppressed(e);
                throw rollback;
            }
            // The first line only: a constraint's detail can quote the row, recipient address and all.
            log.warn("the database refused the {} classifier correction(s) of earlier events this batch carried ({}: {});"
                    + " the batch is written without them, and the earlier rows keep their verdicts until a re-score"
                    + " (trackedge classify)", corrections.size(), e.getSQLState(), e.getMessage().lines().findFirst().orElse(""));
            return false;
        }
        c.releaseSavepoint(before);
        fold.addAll(moves);
        return true;
    }

    private void applyAll(Connection c, List<Correction> corrections, DailyFold fold) throws SQLException {
        rows.reset();
        rows.header();
        for (Correction x : corrections) {
            Classification v = x.classification();
            rows.tuple(9);
            rows.uuid(x.eventId());
            rows.timestamptz(x.occurredAtMicros());
            rows.uuid(x.fields().tenant());
            rows.text(x.fields().email());
            rows.text(v.automation().wireName());
            rows.text(v.certainty().wireName());
            rows.int4(v.reasons());
            rows.bool(v.isMachine());
            rows.text(v.reasonText());
        }
        rows.trailer();
        try (Statement s = c.createStatement()) {
            s.execute(STAGE);
            s.execute(CHANGED_STAGE);
        }
        rows.copyInto(c, "COPY correction_stage FROM STDIN (FORMAT binary)");
        boolean anyMoved = false;
        try (PreparedStatement s = c.prepareStatement(UPDATE); ResultSet r = s.executeQuery();
             PreparedStatement mark = c.prepareStatement("INSERT INTO correction_emails VALUES (?, ?)")) {
            while (r.next()) {
                boolean was = r.getBoolean(7);
                boolean now = r.getBoolean(8);
                if (was == now) {
                    continue;
                }
                anyMoved = true;
                fold.move(r.getObject(1, UUID.class), r.getObject(2, UUID.class), r.getString(3), r.getString(4),
                        DailyFold.utcDate(r.getObject(5, OffsetDateTime.class)), "open".equals(r.getString(6)), now);
                mark.setObject(1, r.getObject(1, UUID.class));
                mark.setString(2, r.getString(9));
                mark.addBatch();
            }
            if (anyMoved) {
                mark.executeBatch();
            }
        }
        if (!anyMoved) {
            return;
        }
        try (Statement s = c.createStatement()) {
            for (String t : new String[] {"email_opens", "email_clicks"}) {
                s.executeUpdate("UPDATE " + t + " o SET is_machine = s.is_machine FROM correction_stage s"
                        + " WHERE o.tenant_id = s.tenant_id AND o.email_id = s.email_id AND o.event_id = s.event_id"
                        + " AND o.is_machine <> s.is_machine");
            }
        }
        for (HumanOpens.Change ch : HumanOpens.recompute(c, "(SELECT DISTINCT tenant_id, email_id FROM correction_emails)")) {
            fold.add(ch.tenant(), ch.user(), ch.campaign(), ch.mailbox(), ch.date(), DailyCounter.OPENS_UNIQUE_HUMAN, ch.delta());
        }
    }
}
