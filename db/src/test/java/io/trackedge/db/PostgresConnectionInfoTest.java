package io.trackedge.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A database's address names it the same whatever the URL's spelling, user or parameters. */
class PostgresConnectionInfoTest {

    @Test
    void anAddressIsHostPortAndDatabase() {
        assertEquals("pg-a.internal:5432/track",
                PostgresConnectionInfo.parse("postgresql://trackedge:pw@pg-a.internal/track?sslmode=require", null, null).address());
        assertEquals("pg-a.internal:5432/track",
                PostgresConnectionInfo.parse("jdbc:postgresql://pg-a.internal:5432/track", "trackedge", null).address());
        assertEquals("10.0.0.7:5433/track", PostgresConnectionInfo.parse("postgres://10.0.0.7:5433/track", null, null).address());
        assertEquals("pg-a.internal:5432/track", PostgresConnectionInfo.parse("postgresql://PG-A.internal/track", null, null).address());
        assertEquals("localhost:5432/track", PostgresConnectionInfo.parse("jdbc:postgresql:track?ssl=false", null, null).address());
    }
}
