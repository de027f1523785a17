package io.trackedge.sink.bad;

import io.trackedge.sink.BadRecord;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;

/**
 * Tests' way to put a row straight into {@code bad_events}, as a sink set it aside at some time: no erasure is
 * checked (production code goes through {@link KeptBadEvents}). Shared with edge-server's tests (test-jar).
 */
public final class UncheckedBadEvents {

    private UncheckedBadEvents() {
    }

    /** {@link BadEvents#insert}: a second insert of the same journal position is ignored. */
    public static void insert(Connection c, String sink, UUID edgeNode, BadRecord bad) throws SQLException {
        BadEvents.insert(c, sink, edgeNode, bad);
    }
}
