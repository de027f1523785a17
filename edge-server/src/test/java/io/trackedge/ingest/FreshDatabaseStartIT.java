package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.TestEdge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An edge started on a database no migration has touched: the migrations run before the ingest
 * key cache first reads {@code ingest_keys} (no "relation does not exist", no failed reload), and
 * every "database schema at version" line names the version the schema is at, also from a
 * migration run that applied nothing.
 */
class FreshDatabaseStartIT {

    private static final Pattern SCHEMA_LINE = Pattern.compile("database schema at version (\\S+) \\((\\d+) migration");

    @Test
    void migrationsRunBeforeTheKeyCacheLoadsAndTheLogNamesTheVersion() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        try (TestDatabase db = TestDatabase.create();
             TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_URL", db.jdbcUrl(),
                     "EDGE_DATABASE_USER", "postgres", "EDGE_INGEST_KEY_REFRESH", "200ms")) {
            io.trackedge.sink.testing.Await.until("the key cache loaded and the sink connected", Duration.ofSeconds(60),
                    () -> logged(logs, "ingest keys loaded") && logged(logs, "postgres sink reading from journal position"));
            for (ILoggingEvent e : snapshot(logs)) {
                String text = e.getFormattedMessage();
                assertTrue(!text.contains("does not exist"), "no missing relation: " + text);
                assertTrue(!(e.getLoggerName().endsWith("IngestKeyCache") && e.getLevel().isGreaterOrEqual(Level.WARN)),
                        "the key cache never failed: " + text);
            }
            String version = Flyway.configure().dataSource(db.jdbcUrl(), "postgres", null)
                    .locations("classpath:db/migration").load().info().current().getVersion().getVersion();
            // Once more on the migrated database: nothing to apply, and the line still names the version.
            try (Database again = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
                assertEquals(0, again.migrate());
            }
            List<Matcher> lines = schemaLines(logs);
            assertTrue(lines.size() >= 2, "the start-up run and the second one: " + messages(logs));
            for (Matcher m : lines) {
                assertEquals(version, m.group(1), m.group());
            }
            assertEquals(1, lines.stream().filter(m -> !m.group(2).equals("0")).count(), "one run applied the migrations");
            String metrics;
            try (HttpClient c = HttpClient.newHttpClient()) {
                metrics = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.adminPort() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
            }
            assertTrue(metrics.contains("edge_ingest_key_refresh_failures_total 0.0"), metrics);
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

    private static List<Matcher> schemaLines(ListAppender<ILoggingEvent> logs) {
        return snapshot(logs).stream().map(e -> SCHEMA_LINE.matcher(e.getFormattedMessage())).filter(Matcher::find).toList();
    }

    private static List<String> messages(ListAppender<ILoggingEvent> logs) {
        return snapshot(logs).stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
    }
}
