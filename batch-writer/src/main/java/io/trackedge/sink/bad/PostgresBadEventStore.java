package io.trackedge.sink.bad;

import io.trackedge.db.Transaction;
import io.trackedge.privacy.PrivacyPolicy;
import io.trackedge.sink.BadRecord;
import java.sql.Connection;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Keeps set-aside events in the {@code bad_events} table, where {@code trackedge bad-events} lists them. An event
 * whose recipient this database's {@code erasure_audit} says was erased (by any node, since the event was taken in or
 * within the hold) is not kept: it is read under the audit's lock in the insert's transaction ({@link ErasedRecipients}),
 * so an erasure either comes first and is seen, or comes after and deletes the row ({@link KeptBadEvents}).
 */
public final class PostgresBadEventStore implements BadEventStore {

    private final DataSource db;
    private final UUID edgeNode;
    private final PrivacyPolicy privacy;

    /** With the default erasure hold ({@link PrivacyPolicy#keepAll}). */
    public PostgresBadEventStore(DataSource db, UUID edgeNode) {
        this(db, edgeNode, PrivacyPolicy.keepAll());
    }

    /** @param privacy the rules the sink keeps events by: its erasure hold is the one read here */
    public PostgresBadEventStore(DataSource db, UUID edgeNode, PrivacyPolicy privacy) {
        this.db = db;
        this.edgeNode = edgeNode;
        this.privacy = privacy;
    }

    @Override
    public void add(String sink, BadRecord bad) throws Exception {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(true);
            Transaction.run(c, t -> {
                KeptBadEvents.check(t, privacy, List.of(bad)).insert(sink, edgeNode);
                return null;
            });
        }
    }
}
