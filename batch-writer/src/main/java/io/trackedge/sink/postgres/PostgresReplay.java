package io.trackedge.sink.postgres;

import io.trackedge.db.Database;
import io.trackedge.classify.BatchClassifier;
import io.trackedge.classify.ClassifierSettings;
import io.trackedge.classify.ListSource;
import io.trackedge.journal.EventRecord;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.journal.RecordCodec;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.ReplayOutcome;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes set-aside events of the Postgres sink again, once their cause is fixed: each in a
 * transaction of its own that writes the event with everything it feeds (first touches, daily
 * counters) and marks its {@code bad_events} row replayed, so a replay counts once however often
 * it is run. An event refused again stays listed, with the new error; so does one of a day
 * retention has dropped ({@link RetentionCutoff}), which is not written. One whose replay failed for
 * the database's passing trouble, or because its tenant is still marked moved out of this cluster
 * ({@link MovedTenants}; the command forwards such events to the tenant's cluster first), is left as
 * it was, untried, for the next replay ({@link ReplayRetryable}).
 */
public final class PostgresReplay {

    /** The error of an outcome whose row another replay took first. */
    public static final String REPLAYED_ALREADY = "replayed already";

    private final Database db;
    private final io.trackedge.privacy.PrivacyPolicy privacy;
    private final ClassifierSettings classify;
    private final ListSource lists;
    private final RetentionCutoff retention;

    /** Raw events kept forever, every tenant's events as they are, the default rules and the committed lists. */
    public PostgresReplay(Database db) {
        this(db, io.trackedge.privacy.PrivacyPolicy.keepAll(), ClassifierSettings.DEFAULTS, ListSource.snapshot(), 0);
    }

    /**
     * @param privacy the tenants' privacy rules, applied to replayed events as to any other
     * @param classify the classifier's rules, each tenant's included ({@code edge.classify}), as the sink
     *     uses them; null when classification is off ({@code edge.classify.enabled = false})
     * @param lists the classifier's lists for the replayed opens and clicks, the data folder's as the
     *     sink reads them
     * @param retentionDays days of raw events kept ({@code edge.database.retention-days}): an event
     *     of an older day is refused again, as the sink refuses it ({@link RetentionCutoff})
     */
    public PostgresReplay(Database db, io.trackedge.privacy.PrivacyPolicy privacy, ClassifierSettings classify, ListSource lists,
                          int retentionDays) {
        this.db = db;
        this.privacy = privacy;
        this.classify = classify;
        this.lists = lists;
        this.retention = new RetentionCutoff(retentionDays);
    }

    /** The privacy rules replayed events are kept by: those a row handed to this cluster is copied by too. */
    public io.trackedge.privacy.PrivacyPolicy privacy() {
        return privacy;
    }

    public List<ReplayOutcome> replay(List<BadEvents.Row> rows) throws SQLException {
        List<ReplayOutcome> out = new ArrayList<>(rows.size());
        try (Connection c = db.dataSource().getConnection()) {
            retention.measure(c);
        }
        for (BadEvents.Row row : rows) {
            if (!PostgresSink.NAME.equals(row.sink())) {
                throw new IllegalArgumentException("bad event " + row.id() + " belongs to the " + row.sink() + " sink");
            }
            out.add(replay(row));
        }
        return out;
    }

    private ReplayOutcome replay(BadEvents.Row row) throws SQLException {
        EventRecord e;
        try {
            e = RecordCodec.decode(row.record(), 0, row.record().length);
        } catch (RuntimeException undecodable) {
            return failed(row, "the journal record does not decode: " + undecodable.getMessage());
        }
        io.trackedge.sink.Sink.Refusal expired = retention.refusal(e);
        if (expired != null) {
            return failed(row, expired.reason());
        }
        // A replay carries no corrections (its verdict below has none), so none can be refused.
        BatchWriter writer = new BatchWriter(BatchWriter.SINK, null, new EdgeNumber(row.edgeNode()), new KnownFirstTouches(1024),
                new KnownHumanOpens(1024), privacy, refused -> { }, reused -> { }, // replay refuses a reused id itself
                new MovedTenants()); // knowing no mark: the replay's transaction reads them
        try (Connection c = db.dataSource().getConnection()) {
            // Alone, out of its stream: only the signals of the event itself (HEAD, User-Agent, address) can fire,
            // under the rules and lists the sink uses (a tenant's own machine User-Agents, its disabled signals).
            // A tenant whose rows truncate or drop the address or User-Agent stores too little to classify from (a
            // dropped User-Agent reads as an empty one: a bot), as for a re-score: stored unclassified. Whether it was
            // cut is known from its row since V41, whatever the tenant's settings are now; before, from those alone.
            boolean classifiable = classify != null && !row.redacted()
                    && RescoreScope.of(privacy.settings()).includes(e.fields().tenant());
            JournalClassifier.Classified verdict = !classifiable ? new JournalClassifier.Classified(null, List.of())
                    : new JournalClassifier.Classified(new BatchClassifier(classify, lists).classify(List.of(e)).classifications(),
                            List.of());
            if (!writer.replay(c, e, verdict, row.id(), row.redacted())) {
                return new ReplayOutcome(row.id(), false, REPLAYED_ALREADY);
            }
            return new ReplayOutcome(row.id(), true, null);
        } catch (SQLException | RuntimeException refused) {
            if (ReplayRetryable.test(refused)) {
                // Not the event's fault: recorded as refused, the row would be left to an operator, and the edges'
                // automatic replays (which take only untried rows) would never write it. Untouched, the next round does.
                return new ReplayOutcome(row.id(), false, refused.getMessage(), true);
            }
            return failed(row, refused.getMessage());
        }
    }

    /** Records a refusal that recurs: the row stays listed with why, for an operator. */
    private ReplayOutcome failed(BadEvents.Row row, String error) throws SQLException {
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(true);
            BadEvents.replayFailed(c, row.id(), error);
        }
        return new ReplayOutcome(row.id(), false, error);
    }
}
