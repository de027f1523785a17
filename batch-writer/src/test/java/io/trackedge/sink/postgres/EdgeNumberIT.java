package io.trackedge.sink.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.sql.Connection;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Edge numbers (sql/V18): one per node id, the same on every lookup, and kept when the caller's batch rolls back. */
class EdgeNumberIT {

    @Test
    void eachNodeHasOneNumberThatOutlivesARolledBackBatch() throws Exception {
        try (TestDatabase testDb = TestDatabase.create()) {
            try (Database db = new Database(new PostgresConnectionInfo(testDb.jdbcUrl(), "postgres", null), 1)) {
                db.migrate();
            }
            UUID a = UUID.randomUUID();
            UUID b = UUID.randomUUID();
            int first;
            try (Connection c = testDb.connect()) {
                EdgeNumber edge = new EdgeNumber(a);
                first = edge.resolve(c);
                // The batch that asked for it rolls back: the number's row was committed on its own.
                c.setAutoCommit(false);
                c.createStatement().execute("INSERT INTO sink_cursors (edge_node, sink) VALUES ('" + a + "', 'postgres')");
                c.rollback();
                assertEquals(first, edge.resolve(c), "remembered");
            }
            try (Connection c = testDb.connect()) {
                assertEquals(first, new EdgeNumber(a).resolve(c), "a restarted edge finds its number");
                assertNotEquals(first, new EdgeNumber(b).resolve(c));
            }
            assertEquals(List.of(a + " " + first), testDb.rows("SELECT edge_node || ' ' || edge_no FROM edge_nodes WHERE edge_node = '" + a + "'"));
            assertEquals(2, testDb.count("SELECT count(*) FROM edge_nodes"));
        }
    }
}
