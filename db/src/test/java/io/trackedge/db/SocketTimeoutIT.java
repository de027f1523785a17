package io.trackedge.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A pool's socket timeout against a real PostgreSQL (nothing is written: the maintenance database
 * serves): a call that waits longer fails, a part of a second counts as a whole one rather than as
 * pgjdbc's "no limit", and {@link Duration#ZERO} lets a long statement (a roll-up over a large day,
 * compaction's reindex, a tenant's move) run to its end, which the sink's 60 s would have cut.
 */
class SocketTimeoutIT {

    private static final PostgresConnectionInfo SERVER = new PostgresConnectionInfo("jdbc:postgresql://"
            + System.getenv().getOrDefault("TEST_PG_HOST", "127.0.0.1") + ":"
            + System.getenv().getOrDefault("TEST_PG_PORT", "5432") + "/postgres", "postgres", null);

    private static void sleepOnServer(Database db, double seconds) throws SQLException {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT pg_sleep(" + seconds + "), 1")) {
            assertTrue(r.next());
            assertEquals(1, r.getInt(2));
        }
    }

    @Test
    void aCallWaitingLongerThanAPartOfASecondFailsAfterAWholeOne() {
        try (Database db = new Database(SERVER, 1, Duration.ofMillis(300))) {
            SQLException e = assertThrows(SQLException.class, () -> sleepOnServer(db, 3));
            assertTrue(String.valueOf(e.getMessage()).contains("timed out") || "08006".equals(e.getSQLState()),
                    e.getSQLState() + ": " + e.getMessage());
        }
    }

    @Test
    void noLimitLetsALongStatementEndAndAShortLimitLetsAShortOne() throws Exception {
        try (Database none = new Database(SERVER, 1, Duration.ZERO)) {
            sleepOnServer(none, 2.5);
            assertEquals(Duration.ZERO, none.socketTimeout());
        }
        try (Database shortOnes = new Database(SERVER, 1, Duration.ofSeconds(5))) {
            sleepOnServer(shortOnes, 0.5);
        }
    }

    @Test
    void aNegativeTimeoutIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Database(SERVER, 1, Duration.ofSeconds(-1)));
        assertTrue(e.getMessage().contains("socketTimeout"), e.getMessage());
    }
}
