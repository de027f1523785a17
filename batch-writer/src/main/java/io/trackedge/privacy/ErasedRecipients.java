package io.trackedge.privacy;

import io.trackedge.journal.EventRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;

/**
 * The erasures that cover some events, read from this cluster's {@code erasure_audit} under its lock, for
 * whoever writes per-recipient rows in that transaction: the Postgres sink's batches, set-aside events
 * (the PostHog sink's {@code bad_events} store, a moved tenant's forwarding).
 *
 * <p>{@link #read} takes {@code erasure_audit} in SHARE mode in the caller's transaction (auto-commit off) and
 * holds it to its end: an erasure under way ({@link Erasure}, ROW EXCLUSIVE) is waited for and then seen, and
 * one to come waits for the caller's commit and then deletes what it wrote. Read without the lock, an erasure
 * that committed between the read and the caller's insert would find nothing to delete, and the insert would
 * keep the recipient's event for good. Take it before any row lock an erasure could wait on: it is the first
 * lock an erasure takes.
 */
public final class ErasedRecipients {

    private final Erasure.Recent recent;
    private final PrivacyPolicy policy;

    private ErasedRecipients(Erasure.Recent recent, PrivacyPolicy policy) {
        this.recent = recent;
        this.policy = policy;
    }

    /**
     * Locks the audit and reads the erasures that may cover {@code events}: within {@code rules}' hold, or made
     * since the oldest of them was taken in.
     *
     * @param rules the privacy rules the events are kept by; their own erasure list is replaced by what was read
     */
    public static ErasedRecipients read(Connection c, PrivacyPolicy rules, Collection<EventRecord> events) throws SQLException {
        lock(c);
        long oldestReceived = Long.MAX_VALUE;
        for (EventRecord e : events) {
            oldestReceived = Math.min(oldestReceived, e.receivedAtMicros() / 1000);
        }
        Erasure.Recent recent = Erasure.recentAndLatest(c, rules.settings().erasureHold().toMillis(), oldestReceived);
        ErasureList erased = ErasureList.empty();
        erased.replace(recent.entries());
        return new ErasedRecipients(recent, rules.withErasures(erased));
    }

    /**
     * Takes {@code erasure_audit} in SHARE mode to the end of {@code c}'s transaction, as {@link #read} does: for a
     * transaction that must hold it before it locks a row an erasure deletes, and reads the erasures later.
     * Taking it again is free.
     */
    public static void lock(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("LOCK TABLE erasure_audit IN SHARE MODE");
        }
    }

    /** Whether an erasure read here covers {@code e}'s recipient: nothing of the event may be kept. */
    public boolean covers(EventRecord e) {
        return policy.erased(e);
    }

    /** The rules given to {@link #read} with the erasures it read. */
    public PrivacyPolicy policy() {
        return policy;
    }

    /** The id of the latest erasure in the audit, {@link Long#MIN_VALUE} when there is none. */
    public long latestId() {
        return recent.latestId();
    }
}
