package io.trackedge;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.TestEdge;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A password in the database url, as a JDBC URL's {@code password} or {@code sslpassword} parameter or in a
 * cluster's url, reaches no log line: serve logged the url it connects to at INFO as written
 * ({@code database: jdbc:postgresql://h/db?user=u&password=S3CR3T}), and so did the ingest API's own
 * connection with the Postgres sink off. The lines name the database with the values as {@code ***}.
 */
class DatabaseUrlPasswordIT {

    private static final String SECRET = "S3CR3T-pw";
    private static final String SSL_SECRET = "K3Y-pw";

    private static String withPasswords(TestDatabase db) {
        return db.jdbcUrl() + "?user=postgres&password=" + SECRET + "&sslmode=disable&sslpassword=" + SSL_SECRET;
    }

    @Test
    void theSinksAndTheIngestApisDatabaseLinesHideThePassword() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        try (TestDatabase db = TestDatabase.create(); TestDatabase other = TestDatabase.create()) {
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", withPasswords(db))) {
                Await.until("the sink connected", Duration.ofSeconds(60), () -> logged(logs, "postgres sink reading from journal position"));
            }
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "false", "EDGE_DATABASE_URL", withPasswords(db))) {
                Await.until("the ingest keys loaded", Duration.ofSeconds(60), () -> logged(logs, "ingest keys are read from"));
            }
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_CLUSTERS",
                    "a=" + withPasswords(db) + ",b=" + withPasswords(other))) {
                Await.until("both clusters' sinks connected", Duration.ofSeconds(60),
                        () -> snapshot(logs).stream().filter(e -> e.getFormattedMessage().contains("sink reading from journal position"))
                                .count() >= 3);
            }
            List<String> lines = snapshot(logs).stream().map(ILoggingEvent::getFormattedMessage).toList();
            String database = "database: " + db.jdbcUrl() + "?user=postgres&password=***&sslmode=disable&sslpassword=***";
            assertTrue(lines.contains(database), "the url, its passwords hidden: " + lines);
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("ingest keys are read from " + db.jdbcUrl() + "?user=postgres&password=***&")),
                    lines.toString());
            assertTrue(lines.contains("database cluster a: " + database.substring("database: ".length())), lines.toString());
            for (ILoggingEvent e : snapshot(logs)) {
                String text = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage());
                assertFalse(text.contains(SECRET) || text.contains(SSL_SECRET), "a password in a log line: " + text);
            }
        } finally {
            root.detachAppender(logs);
        }
    }

    private static List<ILoggingEvent> snapshot(ListAppender<ILoggingEvent> logs) {
        synchronized (logs) { // AppenderBase appends under its own lock
            return List.copyOf(logs.list);
        }
    }

    private static boolean logged(ListAppender<ILoggingEvent> logs, String text) {
        return snapshot(logs).stream().anyMatch(e -> e.getFormattedMessage().contains(text));
    }
}
