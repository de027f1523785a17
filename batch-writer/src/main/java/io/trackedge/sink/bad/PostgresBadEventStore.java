package io.trackedge.sink.bad;

import io.trackedge.sink.BadRecord;
import java.sql.Connection;
import java.util.UUID;
import javax.sql.DataSource;

/** Keeps set-aside events in the {@code bad_events} table, where {@code trackedge bad-events} lists them. */
public final class PostgresBadEventStore implements BadEventStore {

    private final DataSource db;
    private final UUID edgeNode;

    public PostgresBadEventStore(DataSource db, UUID edgeNode) {
        this.db = db;
        this.edgeNode = edgeNode;
    }

    @Override
    public void add(String sink, BadRecord bad) throws Exception {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(true);
            BadEvents.insert(c, sink, edgeNode, bad);
        }
    }
}
