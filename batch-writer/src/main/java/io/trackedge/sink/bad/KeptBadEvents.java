package io.trackedge.sink.bad;

import io.trackedge.journal.EventRecord;
import io.trackedge.privacy.ErasedRecipients;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.BadRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Set-aside events as {@code bad_events} may keep them: those whose recipient no erasure covers, read under
 * {@code erasure_audit}'s lock in the caller's transaction ({@link ErasedRecipients}), so that an erasure either
 * came first and is seen here, or waits for the caller's commit and then deletes the rows. The one way into
 * {@code bad_events} from outside this package ({@link BadEvents#insert} checks nothing).
 *
 * <p>{@link #check} takes the audit's lock: call it before any row lock an erasure could wait on (a sink's
 * cursor row), then {@link #insert} in the same transaction, which must not be in auto-commit. The records are
 * kept as given: a caller cuts them first as the tenant keeps addresses ({@link BadRecord#redacted}).
 */
public final class KeptBadEvents {

    private final Connection c;
    private final List<BadRecord> kept;

    private KeptBadEvents(Connection c, List<BadRecord> kept) {
        this.c = c;
        this.kept = kept;
    }

    /**
     * Reads the erasures that cover any of {@code run} and leaves those events out. A record that does not
     * decode names no one this release can read: it is kept, as an erasure keeps it (and no lock is taken for a
     * run of such records alone).
     *
     * @param rules the privacy rules the sink keeps events by: its erasure hold is the one read
     */
    public static KeptBadEvents check(Connection c, PrivacyPolicy rules, List<BadRecord> run) throws SQLException {
        if (c.getAutoCommit()) {
            // The erasures' lock is held only by a transaction: outside one, an erasure could land between the check and the insert.
            throw new IllegalStateException("KeptBadEvents.check needs a transaction (auto-commit is on)");
        }
        List<EventRecord> events = new ArrayList<>(run.size());
        for (BadRecord b : run) {
            if (b.event() != null) {
                events.add(b.event());
            }
        }
        if (events.isEmpty()) {
            return new KeptBadEvents(c, List.copyOf(run));
        }
        ErasedRecipients erased = ErasedRecipients.read(c, rules, events);
        List<BadRecord> kept = new ArrayList<>(run.size());
        for (BadRecord b : run) {
            if (b.event() == null || !erased.covers(b.event())) {
                kept.add(b);
            }
        }
        return new KeptBadEvents(c, kept);
    }

    /** Inserts the kept records for {@code sink}, in the transaction {@link #check} ran in; a position set aside already is left as it is. */
    public void insert(String sink, UUID edgeNode) throws SQLException {
        for (BadRecord b : kept) {
            BadEvents.insert(c, sink, edgeNode, b);
        }
    }

    /** The records {@link #insert} writes, in the run's order. */
    public List<BadRecord> records() {
        return kept;
    }
}
