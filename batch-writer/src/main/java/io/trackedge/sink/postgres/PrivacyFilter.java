package io.trackedge.sink.postgres;

import io.trackedge.classify.Correction;
import io.trackedge.journal.Attributes;
import io.trackedge.journal.EventRecord;
import io.trackedge.privacy.Erasure;
import io.trackedge.privacy.ErasedRecipients;
import io.trackedge.privacy.PrivacyPolicy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The Postgres sink's side of {@link PrivacyPolicy}, one per {@link BatchWriter}: in the batch's
 * transaction it takes {@code erasure_audit} in SHARE mode (so an erasure waits for this batch
 * and this batch waits for an erasure under way; see {@link Erasure}, {@link ErasedRecipients}), reads the recent erasures,
 * and splits the batch into rows that may be stored (IP and user agent already cut) and events
 * that may only be counted in {@code daily_analytics} (aggregate-only tenants, erased recipients).
 * Those counts go to {@code daily_unstored} too (V14), so that the reconciliation, which recounts
 * {@code daily_analytics} from the raw tables, keeps them.
 */
final class PrivacyFilter {

    private final PrivacyPolicy policy;
    private final List<EventRecord> countedOnly = new ArrayList<>();
    private final DailyFold unstored = new DailyFold();
    private final DailyUpsert unstoredUpsert = new DailyUpsert("daily_unstored");

    /** The latest erasure (its id) an earlier batch read, and whether this batch's read found a later one. */
    private long latestErasureSeen = Long.MIN_VALUE;
    private boolean erasedSinceLastBatch;
    /** The policy with the erasures this batch read from this cluster's audit table ({@link #admit}). */
    private PrivacyPolicy batchPolicy;
    /** Of the rows the last {@link #admit} returned, by index: those whose address or User-Agent the policy cut. */
    private BitSet cut = new BitSet();

    PrivacyFilter(PrivacyPolicy policy) {
        this.policy = policy;
    }

    PrivacyPolicy policy() {
        return policy;
    }

    /** Returns the events to write per recipient; keeps the rest for {@link #foldCountedOnly}. */
    List<EventRecord> admit(Connection c, List<EventRecord> rows) throws SQLException {
        countedOnly.clear();
        ErasedRecipients erased = ErasedRecipients.read(c, policy, rows);
        erasedSinceLastBatch = erased.latestId() > latestErasureSeen;
        latestErasureSeen = Math.max(latestErasureSeen, erased.latestId());
        batchPolicy = erased.policy();
        PrivacyPolicy.Admitted a = batchPolicy.admit(rows);
        countedOnly.addAll(a.countedOnly());
        cut = a.cut();
        return a.stored();
    }

    /**
     * Of the events the last {@link #admit} held back, the one-click unsubscribes of erased recipients
     * ({@link Attributes#isOneClick}): their client ids are the recipient's and are not recorded
     * ({@link ClientIds#forget}). A mail server's unsubscribe keeps its id, so that its retries stay known.
     */
    List<EventRecord> erasedOneClicks() {
        List<EventRecord> out = new ArrayList<>(0);
        for (EventRecord e : countedOnly) {
            if (Attributes.isOneClick(e) && batchPolicy.erased(e)) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Whether the policy cut the client address or User-Agent of row {@code i} of what the last {@link #admit}
     * returned ({@link PrivacyPolicy#cut}): its row is marked, and a re-score leaves its verdict alone.
     */
    boolean cut(int i) {
        return cut.get(i);
    }

    /**
     * Marks row {@code i} of what the last {@link #admit} returned as cut: a replayed record was cut when it
     * was set aside, so the policy, applied to it again, finds nothing left to cut.
     */
    void markCut(int i) {
        cut.set(i);
    }

    /**
     * Whether the last {@link #admit} read an erasure no earlier batch of this writer had: the first
     * touches it deleted may still be "known" to the sink ({@link KnownFirstTouches}), which would keep
     * the recipient's next first open or click, after the hold, from being written.
     */
    boolean erasedSinceLastBatch() {
        return erasedSinceLastBatch;
    }

    /**
     * Adds the per-event counters of the events that {@link #admit} held back to {@code fold}, and
     * keeps them for {@link #writeUnstored}.
     */
    void foldCountedOnly(DailyFold fold, EventVerdicts verdicts) {
        unstored.clear();
        for (EventRecord e : countedOnly) {
            boolean machine = verdicts.isMachine(e);
            fold.add(e, machine);
            unstored.add(e, machine);
        }
        countedOnly.clear();
    }

    /**
     * Moves the counters of the corrected clicks that were counted without a row (an aggregate-only
     * tenant's, an erased recipient's): {@link CorrectionWriter} moves a corrected event's counters from
     * its row, and these have none, so a scanner's burst across two batches left the first click
     * counted human for good. Corrections are of clicks alone (a link burst). After {@link #foldCountedOnly}.
     */
    void foldWithheldCorrections(List<Correction> corrections, DailyFold fold) {
        for (Correction x : corrections) {
            // This batch's read of this cluster's audit, not the process's list: an erasure another node made a
            // second ago counts, and one that did not reach this cluster (its rows still here) does not.
            if (x.machineChanged() && (batchPolicy == null ? policy : batchPolicy).withholds(x.fields())) {
                var f = x.fields();
                LocalDate day = DailyFold.utcDate(x.occurredAtMicros());
                fold.move(f.tenant(), f.user(), f.campaign(), f.mailbox(), day, false, x.classification().isMachine());
                unstored.move(f.tenant(), f.user(), f.campaign(), f.mailbox(), day, false, x.classification().isMachine());
            }
        }
    }

    /** Adds what {@link #foldCountedOnly} counted to {@code daily_unstored}, in the batch's transaction. */
    void writeUnstored(Connection c) throws SQLException {
        unstoredUpsert.write(c, unstored);
        unstored.clear();
    }
}
