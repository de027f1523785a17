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

    /**
     * As libpq reads them. java.net.URI gave no host for these, and each became 127.0.0.1 (with a local
     * PostgreSQL, the events went to the wrong database), and a '+' in a password became a space.
     */
    @Test
    void hostsUriRefusedAreKeptAndAPasswordIsTakenAsWritten() {
        PostgresConnectionInfo underscore = PostgresConnectionInfo.parse("postgresql://trackedge@db_primary:5432/x", null, null);
        assertEquals("jdbc:postgresql://db_primary:5432/x", underscore.jdbcUrl());
        assertEquals("trackedge", underscore.user());
        assertEquals("jdbc:postgresql://pg1:5432,pg2:5433/x?targetServerType=primary",
                PostgresConnectionInfo.parse("postgresql://pg1,pg2:5433/x?targetServerType=primary", null, null).jdbcUrl());
        PostgresConnectionInfo hash = PostgresConnectionInfo.parse("postgresql://u:p#w@d@pg-a/track", null, null);
        assertEquals("jdbc:postgresql://pg-a:5432/track", hash.jdbcUrl());
        assertEquals("u", hash.user());
        assertEquals("p#w@d", hash.password());
        assertEquals("pa+ss", PostgresConnectionInfo.parse("postgresql://u:pa+ss@pg-a/track", null, null).password());
        PostgresConnectionInfo question = PostgresConnectionInfo.parse("postgresql://u:pa?ss@pg-a/track?sslmode=require", null, null);
        assertEquals("pa?ss", question.password());
        assertEquals("jdbc:postgresql://pg-a:5432/track?sslmode=require", question.jdbcUrl());
        assertEquals("p@ss/é", PostgresConnectionInfo.parse("postgresql://u:p%40ss%2F%C3%A9@pg-a/track", null, null).password());
        assertEquals("jdbc:postgresql://[::1]:5432/track", PostgresConnectionInfo.parse("postgresql://[::1]/track", null, null).jdbcUrl());
        assertEquals("jdbc:postgresql://127.0.0.1:5432/postgres", PostgresConnectionInfo.parse("postgresql://", null, null).jdbcUrl());
        assertEquals("jdbc:postgresql://pg-a:5432/postgres?sslmode=require",
                PostgresConnectionInfo.parse("postgresql://pg-a?sslmode=require", null, null).jdbcUrl());
    }

    @Test
    void aBadUrlIsRefusedWithoutItsPassword() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> PostgresConnectionInfo.parse("postgresql://u:secret%zz@pg-a/track", null, null));
        org.junit.jupiter.api.Assertions.assertFalse(e.getMessage().contains("secret"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> PostgresConnectionInfo.parse("postgresql://pg a/track", null, null));
        IllegalArgumentException socket = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> PostgresConnectionInfo.parse("postgresql://%2Fvar%2Frun%2Fpostgresql/track", null, null));
        org.junit.jupiter.api.Assertions.assertTrue(socket.getMessage().contains("Unix socket"), socket.getMessage());
    }

    /** What a log line or doctor shows of a url: every password as ***, the rest as written. */
    @Test
    void aShownUrlHidesEveryPassword() {
        assertEquals("jdbc:postgresql://h/db?user=u&password=***",
                PostgresConnectionInfo.redacted("jdbc:postgresql://h/db?user=u&password=S3CR3T"));
        assertEquals("jdbc:postgresql://h:5433/db?sslmode=require&sslpassword=***&PASSWORD=***&ApplicationName=x",
                PostgresConnectionInfo.redacted("jdbc:postgresql://h:5433/db?sslmode=require&sslpassword=K3Y&PASSWORD=S3CR3T&ApplicationName=x"));
        assertEquals("postgresql://u:***@pg-a/track?sslmode=require",
                PostgresConnectionInfo.redacted("postgresql://u:S3CR3T@pg-a/track?sslmode=require"));
        assertEquals("postgresql://u:***@pg-a/track", PostgresConnectionInfo.redacted("postgresql://u:p#w@d?x@pg-a/track"));
        assertEquals("a=postgres://u:***@pg-a/track", PostgresConnectionInfo.redacted("a=postgres://u:S3CR3T@pg-a/track"));
        assertEquals("jdbc:postgresql:track?password=***", PostgresConnectionInfo.redacted("jdbc:postgresql:track?password=S3CR3T"));
        assertEquals("jdbc:postgresql://h?user=a@b&password=***", PostgresConnectionInfo.redacted("jdbc:postgresql://h?user=a@b&password=S3CR3T"));
        for (String plain : new String[] {"postgresql://trackedge@pg-a:5432/track", "jdbc:postgresql://h/db?sslmode=require&user=u",
            "jdbc:postgresql://pg1:5432,pg2:5433/x?targetServerType=primary", "postgresql://", ""}) {
            assertEquals(plain, PostgresConnectionInfo.redacted(plain));
        }
        PostgresConnectionInfo query = PostgresConnectionInfo.parse("postgresql://pg-a/track?password=S3CR3T", null, null);
        assertEquals("jdbc:postgresql://pg-a:5432/track?password=S3CR3T", query.jdbcUrl(), "the driver's url keeps it");
        assertEquals("jdbc:postgresql://pg-a:5432/track?password=***", query.redactedUrl());
        org.junit.jupiter.api.Assertions.assertFalse(query.toString().contains("S3CR3T"), query.toString());
    }
}
