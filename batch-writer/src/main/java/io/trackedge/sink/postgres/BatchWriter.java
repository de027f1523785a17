package io.trackedge.sink.postgres;

import io.trackedge.classify.Correction;
import io.trackedge.journal.EventRecord;
import io.trackedge.privacy.ErasedRecipients;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.BadRecord;
import io.trackedge.sink.JournalClassifier;
import io.trackedge.sink.bad.BadEvents;
import io.trackedge.sink.bad.KeptBadEvents;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntConsumer;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Writes one batch in one transaction: drop events whose client-chosen id was written before
 * ({@link ClientIds}), binary COPY into {@code email_event_rows}, lock and check the cursor, the batch's new
 * User-Agents ({@link UserAgents}) and sender contexts ({@link EventContexts}), first opens
 * and clicks ({@link FirstTouch}), bounces, replies and warm-up rows ({@link IngestRows}), one
 * {@code daily_analytics} upsert per key, the classifier's corrections of earlier rows
 * ({@link CorrectionWriter}), the closed days and hours it wrote into ({@link LateDays}), and the new cursor.
 * Either all of it commits or none, but for corrections the database refuses for their data: those are
 * dropped and the rest commits ({@link CorrectionWriter}). A batch carrying corrections first takes their tenants'
 * {@link TenantRewrites} lock, which a move of one of them into this cluster holds alone.
 * Also sets a run of refused events aside, and replays one, each in a transaction of its own.
 */
final class BatchWriter {

    static final String SINK = "postgres";

    /** The last day retention dropped; also read by {@link CursorRow#lockAt} with the cursor's lock. */
    static final String DROPPED_THROUGH = "SELECT max(day) FROM email_events_dropped_through";

    private final UUID edgeNode; // edgeNumber's node: the cursor and bad_events name the edge by its uuid
    private final CursorRow cursor;
    private final EdgeNumber edgeNumber;
    private final BinaryCopyEncoder copy = new BinaryCopyEncoder();
    private final DailyFold fold = new DailyFold();
    private final FirstTouch firstTouch;
    private final IngestRows ingestRows = new IngestRows();
    private final DailyUpsert daily = new DailyUpsert();
    private final PrivacyFilter privacy;
    private final CorrectionWriter corrections = new CorrectionWriter();
    private final IntConsumer correctionsRefused;
    private final java.util.function.Consumer<List<String>> clientIdsReused;
    private final MovedTenants moved;
    /** Whether the batch being written dropped the corrections it carried (told once it commits). */
    private boolean correctionsDropped;
    private final LateDays lateDays = new LateDays(() -> System.currentTimeMillis() * 1000);

    /**
     * @param cursor the cursor's name in {@code sink_cursors} ({@link PostgresSink.Settings#name}): one per cluster,
     *     so that two clusters' sinks of one edge that reach one database never move one cursor
     * @param host this machine's name, which the cursor row records and each batch checks ({@link CursorRow}); null
     *     for a writer that only replays, which moves no cursor
     * @param edgeNumber this node's number in the database; shared by the writers of one pipeline
     * @param known first touches committed before; shared by the writers of one pipeline
     * @param correctionsRefused told, once such a batch commits, how many corrections it dropped because the database
     *     refused them ({@link CorrectionWriter})
     * @param clientIdsReused told, once such a batch commits, of the events it did not store because their client id
     *     was first sent with another event type ({@link ClientIds.Kept#reused})
     * @param moved the tenants moved out of this cluster; shared with the sink, which refuses their events
     */
    BatchWriter(String cursor, String host, EdgeNumber edgeNumber, KnownFirstTouches known, KnownHumanOpens knownHumans, PrivacyPolicy privacy,
                IntConsumer correctionsRefused, java.util.function.Consumer<List<String>> clientIdsReused, MovedTenants moved) {
        this.moved = moved;
        this.edgeNode = edgeNumber.edgeNode();
        this.cursor = new CursorRow(edgeNode, cursor, host);
        this.correctionsRefused = correctionsRefused;
        this.clientIdsReused = clientIdsReused;
        this.edgeNumber = edgeNumber;
        this.firstTouch = new FirstTouch(known, knownHumans);
        this.privacy = new PrivacyFilter(privacy);
    }

    /** Forgets the User-Agents and contexts this writer's committed batches wrote (the sink reopens). */
    void forgetWritten() {
        copy.forgetCommittedDictionaries();
    }

    /** {@link #initCursor(Connection, Set)} for the only sink of its kind on the edge. */
    long initCursor(Connection c) throws SQLException {
        return initCursor(c, Set.of());
    }

    /**
     * Claims this node's cursor row in the database {@code c} is connected to for this host ({@link CursorClaim})
     * and returns its committed position.
     *
     * @param siblings the cursors of the edge's other sinks of this kind
     */
    long initCursor(Connection c, Set<String> siblings) throws SQLException {
        return cursor.claim(c, siblings);
    }

    /** Moves this sink's cursor back from {@code from} to {@code to} ({@link CursorRow#rewind}). */
    void rewindCursor(Connection c, long from, long to) throws SQLException {
        cursor.rewind(c, from, to);
    }

    /**
     * Writes the batch {@code [start, end)} and commits it with the new cursor.
     *
     * @param locksTaken called once this batch holds every lock it takes before {@code predecessor}:
     *     the next batch starts only then (see {@link CommitPipeline})
     * @param predecessor waited for after the COPY and before the cursor is locked: the previous
     *     batch's commit (so two batches overlap their COPY and their tail, but commit in order);
     *     it throws when that batch failed, and then this one rolls back too
     * @param classified the batch's verdicts (aligned with {@code batch}) and the corrections to apply with it
     * @return how many events were written to {@code email_events} (fewer than the batch when client ids repeat)
     */
    int write(Connection c, List<EventRecord> batch, JournalClassifier.Classified classified, long start, long end,
              Runnable locksTaken, Runnable predecessor) throws SQLException, CursorMovedException {
        int edgeNo = edgeNumber.resolve(c);
        c.setAutoCommit(false);
        try {
            if (!classified.corrections().isEmpty()) {
                // Before the batch holds any row: a move of a corrected tenant waits for the whole batch, or it for the move.
                TenantRewrites.holdShared(c, classified.corrections().stream().map(x -> x.fields().tenant()).toList());
            }
            DSLContext sql = DSL.using(c, SQLDialect.POSTGRES);
            // A client id the previous batch (still in flight) also wrote makes this insert wait for
            // that batch's commit, and then it counts as seen: the predecessor, which inserted its own
            // before this batch started, never waits on us.
            // The classifier saw the full address and user agent (PostgresSink.write, before this);
            // the privacy policy now decides what of each event may be stored, and nothing below
            // sees more than the tenant may keep. Aggregate-only and erased events are only counted.
            EventVerdicts verdicts = EventVerdicts.of(batch, classified);
            ClientIds.Kept kept = ClientIds.keepNew(sql, batch);
            List<EventRecord> rows = privacy.admit(c, kept.events());
            ClientIds.forget(sql, privacy.erasedOneClicks());
            // Rows copied before the cursor check are harmless: a failed check rolls them back.
            if (!rows.isEmpty()) {
                copyEvents(c, rows, verdicts, edgeNo);
            } else if (!batch.isEmpty()) {
                lockAgainstRetention(c); // counted-only events feed the day's counters and mark it late as well
            }
            locksTaken.run();
            predecessor.run();
            cursor.lockAt(c, start, oldest(batch));
            writeDerived(c, sql, batch, rows, verdicts, classified.corrections());
            cursor.move(c, end, batch.size());
            c.commit();
            firstTouch.committed();
            copy.dictionariesCommitted();
            if (correctionsDropped) {
                correctionsRefused.accept(classified.corrections().size());
            }
            if (!kept.reused().isEmpty()) {
                clientIdsReused.accept(kept.reused());
            }
            return rows.size();
        } catch (SQLException | RuntimeException | CursorMovedException | Error e) { // an Error too: the connection goes back clean
            rollback(c, e);
            throw e;
        }
    }

    /**
     * Records a run of consecutive refused events in {@code bad_events} and moves the cursor past the
     * last, in one transaction, so each is set aside exactly once.
     */
    void setAside(Connection c, List<BadRecord> run) throws SQLException, CursorMovedException {
        for (int i = 1; i < run.size(); i++) {
            if (run.get(i - 1).next() != run.get(i).position()) {
                throw new IllegalArgumentException("set-aside records not consecutive: " + run.get(i - 1).next() + " then "
                        + run.get(i).position());
            }
        }
        c.setAutoCommit(false);
        try {
            // As the tenant keeps addresses; an erased recipient's are not kept at all, not even set aside. The
            // erasures are read first, as a batch takes erasure_audit before its cursor: the same lock order.
            List<BadRecord> redacted = run.stream().map(bad -> bad.redacted(privacy.policy())).toList();
            KeptBadEvents kept = KeptBadEvents.check(c, privacy.policy(), redacted);
            cursor.lockAt(c, run.get(0).position(), Long.MAX_VALUE);
            kept.insert(SINK, edgeNode);
            cursor.move(c, run.get(run.size() - 1).next(), run.size());
            c.commit();
        } catch (SQLException | RuntimeException | CursorMovedException | Error e) { // an Error too: the connection goes back clean
            rollback(c, e);
            throw e;
        }
    }

    /**
     * Writes a set-aside event again, with everything it feeds (first touches, daily counters),
     * and marks its {@code bad_events} row replayed in the same transaction; the cursor is not
     * involved. Returns false, writing nothing, when the row was replayed already.
     *
     * @param redacted whether the set-aside record was cut by the privacy settings ({@code bad_events.redacted}):
     *     its row is marked so, as the sink marks the rows it cuts
     */
    boolean replay(Connection c, EventRecord e, JournalClassifier.Classified classified, long badEventId, boolean redacted)
            throws SQLException {
        int edgeNo = edgeNumber.resolve(c);
        c.setAutoCommit(false);
        try {
            DSLContext sql = DSL.using(c, SQLDialect.POSTGRES);
            // The audit before the row, in an erasure's order: an erasure holds the audit and then deletes this row,
            // so a replay that marked the row first and then waited for the audit deadlocked with it.
            ErasedRecipients.lock(c);
            if (!BadEvents.markReplayed(c, badEventId)) {
                c.rollback();
                return false;
            }
            EventVerdicts verdicts = EventVerdicts.of(List.of(e), classified);
            ClientIds.Kept kept = ClientIds.keepNew(sql, List.of(e));
            if (!kept.reused().isEmpty()) {
                // Not a retry: the id is another event's, so this one can never be stored under it; it stays set aside.
                throw new IllegalStateException("not stored: its client id was sent before with another event type ("
                        + kept.reused().get(0) + ")");
            }
            List<EventRecord> rows = privacy.admit(c, kept.events());
            ClientIds.forget(sql, privacy.erasedOneClicks());
            if (!rows.isEmpty()) {
                if (redacted) {
                    privacy.markCut(0); // one event
                }
                copyEvents(c, rows, verdicts, edgeNo);
            } else {
                lockAgainstRetention(c);
            }
            RetentionCutoff.ensureNotDropped(droppedThrough(c), e.occurredAtMicros()); // as in write, under the lock
            writeDerived(c, sql, List.of(e), rows, verdicts, List.of());
            c.commit();
            firstTouch.committed();
            copy.dictionariesCommitted();
            return true;
        } catch (SQLException | RuntimeException e2) {
            rollback(c, e2);
            throw e2;
        }
    }

    private static LocalDate droppedThrough(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery(DROPPED_THROUGH)) {
            return r.next() ? r.getObject(1, LocalDate.class) : null;
        }
    }

    /**
     * First opens and clicks, ingest rows, corrections of earlier rows, and the daily counters of all of it;
     * first, that no tenant of {@code batch} (stored or only counted) moved out of this cluster meanwhile.
     */
    private void writeDerived(Connection c, DSLContext sql, List<EventRecord> batch, List<EventRecord> rows, EventVerdicts verdicts,
                              List<Correction> fixes) throws SQLException {
        // Before any first touch: a batch with corrections may delete human opens, so it takes the lock alone.
        long humanEpoch = HumanOpens.lockForInsert(c, !fixes.isEmpty());
        moved.check(c, humanEpoch, batch); // under the lock a move marks its tenant with (MovedTenants)
        fold.clear();
        for (EventRecord e : rows) {
            fold.add(e, verdicts.isMachine(e));
        }
        privacy.foldCountedOnly(fold, verdicts); // counted, never stored per recipient
        // After the predecessor's commit (write() waits for it first): see UserAgents.write.
        copy.writeDictionaries(c); // its entries are kept until the commit (or the next batch's clear)
        firstTouch.apply(c, rows, fold, verdicts, humanEpoch, privacy.erasedSinceLastBatch());
        ingestRows.write(sql, rows);
        // After the first touches: a human open recomputed for a corrected email sees this batch's rows.
        correctionsDropped = !corrections.apply(c, fixes, fold);
        List<Correction> applied = correctionsDropped ? List.of() : fixes;
        privacy.foldWithheldCorrections(applied, fold);
        daily.write(c, fold);
        privacy.writeUnstored(c); // after daily_analytics: the same lock order as before V14
        lateDays.collect(fold, rows, applied); // every closed day and hour the batch changed, and later ones whose firsts it moves
        lateDays.write(c);
    }

    private static void rollback(Connection c, Throwable e) {
        try {
            c.rollback();
        } catch (SQLException rollback) {
            e.addSuppressed(rollback);
        }
    }

    /** Copies {@code batch}, what {@link PrivacyFilter#admit} just returned, into {@code email_event_rows}. */
    private void copyEvents(Connection c, List<EventRecord> batch, EventVerdicts verdicts, int edgeNo) throws SQLException {
        copy.reset();
        copy.clearDictionaries();
        copy.header();
        for (int i = 0; i < batch.size(); i++) {
            EventRecord e = batch.get(i);
            copy.row(e, edgeNo, verdicts.of(e), privacy.cut(i));
        }
        copy.trailer();
        copy.copyInto(c, "COPY email_event_rows (" + BinaryCopyEncoder.COLUMNS + ") FROM STDIN (FORMAT binary)");
    }

    /** The lock a COPY into email_event_rows takes, for a batch that copies nothing: the retention run waits for it. */
    private static void lockAgainstRetention(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE ONLY email_event_rows IN ROW EXCLUSIVE MODE");
        }
    }

    /** The oldest event's occurred-at (epoch micros), stored or only counted; {@link Long#MAX_VALUE} for none. */
    private static long oldest(List<EventRecord> batch) {
        long oldest = Long.MAX_VALUE;
        for (EventRecord e : batch) {
            oldest = Math.min(oldest, e.occurredAtMicros());
        }
        return oldest;
    }
}
