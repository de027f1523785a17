package io.trackedge.stats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the stats API answers for a query PostgreSQL failed, fed the exceptions a real server throws:
 * a query the statement timeout cancelled is a 503 with Retry-After ("retry, or ask for less"), not a
 * 500 ("our bug"); any other failure is a 500 whose body does not echo the server's message, which
 * can quote the query.
 */
class StatsFailuresIT {

    private TestDatabase db;

    @BeforeEach
    void setUp() throws Exception {
        db = TestDatabase.create();
    }

    @AfterEach
    void tearDown() throws Exception {
        db.close();
    }

    private SQLException thrownBy(String... statements) {
        return assertThrows(SQLException.class, () -> {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                for (String sql : statements) {
                    s.execute(sql);
                }
            }
        });
    }

    private static String body(StatsResponse r) {
        return new String(r.body(), StandardCharsets.UTF_8);
    }

    @Test
    void aQueryPastTheStatementTimeoutIsA503WithRetryAfter() {
        SQLException cancelled = thrownBy("SET statement_timeout = 1", "SELECT pg_sleep(1)");
        assertEquals("57014", cancelled.getSQLState(), cancelled.toString());
        StatsResponse r = StatsService.failure("/v1/stats", cancelled);
        assertEquals(503, r.status(), body(r));
        assertEquals("5", r.headers().get("Retry-After"));
        assertTrue(body(r).contains("statement timeout; retry later, or ask for less"), body(r));
    }

    @Test
    void anyOtherFailureIsA500ThatDoesNotEchoTheServersMessage() {
        SQLException failed = thrownBy("SELECT 1 / (SELECT count(*) FROM pg_class WHERE relname = 'no such table here')");
        assertEquals("22012", failed.getSQLState(), failed.toString());
        StatsResponse r = StatsService.failure("/v1/stats", failed);
        assertEquals(500, r.status(), body(r));
        assertFalse(body(r).contains("division by zero"), body(r));
        assertTrue(body(r).contains("the query failed (the edge's log has the cause)"), body(r));
    }
}
