package io.trackedge.toolkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sender toolkit is linked into senders' applications, so the server's libraries must not come
 * with it. The enforcer rule (no-server-dependencies in the parent pom) fails the build on the
 * declared graph; this test checks the classpath the tests actually run with.
 */
class ServerFreeClasspathTest {

    @Test
    void noServerLibraryIsOnTheClasspath() {
        List<String> serverClasses = List.of(
                "io.netty.channel.Channel",
                "io.netty.buffer.ByteBuf",
                "org.postgresql.Driver",
                "org.jooq.DSLContext",
                "com.zaxxer.hikari.HikariDataSource",
                "org.flywaydb.core.Flyway",
                "io.lettuce.core.RedisClient",
                "com.lmax.disruptor.RingBuffer",
                "io.trackedge.EdgeApp",
                "io.trackedge.sink.Sink");
        for (String name : serverClasses) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(name), name + " is on the classpath");
        }
    }

    @Test
    void theToolkitItselfLoads() throws ClassNotFoundException {
        assertEquals(Signer.class, Class.forName("io.trackedge.toolkit.Signer"));
        assertEquals("org.jsoup.Jsoup", Class.forName("org.jsoup.Jsoup").getName());
    }
}
