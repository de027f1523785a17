package io.trackedge.clusters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.config.ConfigException;
import io.trackedge.db.RoutingHistoryFile;
import io.trackedge.sink.SinkLoop;
import io.trackedge.sink.testing.Await;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.TestEdge;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tenant moved from cluster a to cluster b (its pin changed, the edge restarted) while a was
 * down, so a's sink had not written the tenant's last events and b's had passed them as not its
 * own: after the restart those events still go to a, where they were routed when accepted, and the
 * tenant's new events to b. Each event is written once. Routed by the new table alone, a would pass
 * them (no longer its tenant) and b would not go back for them: they would be lost.
 */
class RoutingChangeIT {

    private static final UUID MOVED = UUID.fromString("33333333-3333-4333-8333-333333333333");

    @TempDir
    Path tmp;

    @Test
    void eventsAcceptedBeforeATenantMovedGoWhereTheyWereRoutedThen() throws Exception {
        Path table = tmp.resolve("routing.csv");
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            Files.writeString(table, MOVED + ",a\n");
            Path dataDir;
            int before = 40;
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_USER", "postgres",
                    "EDGE_DATABASE_CLUSTERS", "a=jdbc:postgresql://127.0.0.1:1/down,b=" + b.jdbcUrl(),
                    "EDGE_DATABASE_ROUTING_TABLE", table.toString(), "EDGE_JOBS_ENABLED", "false")) {
                dataDir = edge.dataDir();
                edge.opens(MOVED, "before-", before);
                SinkLoop sinkB = edge.postgresSinkLoops().get(1);
                assertEquals("postgres_b", sinkB.name());
                long end = edge.journalEvents().size();
                Await.until("b's sink past every event", Duration.ofSeconds(60), () -> sinkB.stats().committedEvents.get() >= end);
                assertEquals(0, rowsOf(b, MOVED), "not b's tenant yet: passed");
            } // a is still down: its sink stops with the tenant's events unwritten

            Files.writeString(table, MOVED + ",b\n");
            int after = 25;
            try (TestEdge edge = TestEdge.start("EDGE_DATA_DIR", dataDir.toString(), "EDGE_POSTGRES_SINK", "true",
                    "EDGE_DATABASE_USER", "postgres", "EDGE_DATABASE_CLUSTERS", "a=" + a.jdbcUrl() + ",b=" + b.jdbcUrl(),
                    "EDGE_DATABASE_ROUTING_TABLE", table.toString(), "EDGE_JOBS_ENABLED", "false")) {
                edge.opens(MOVED, "after-", after);
                Await.until("the tenant's rows in a and b", Duration.ofSeconds(60), () -> rowsOf(a, MOVED) >= before && rowsOf(b, MOVED) >= after);
                String history = Files.readString(edge.config().journalDir().resolve(RoutingHistoryFile.NAME));
                assertTrue(history.contains("pin " + MOVED + ",a") && history.contains("pin " + MOVED + ",b"), history);
            }
            assertEquals(before, rowsOf(a, MOVED), "the events accepted while it was a's, in a, once");
            assertEquals(0, a.count("SELECT count(*) FROM email_events WHERE email_id LIKE 'after-%'"));
            assertEquals(after, rowsOf(b, MOVED), "the new ones in b, once");
            assertEquals(0, b.count("SELECT count(*) FROM email_events WHERE email_id LIKE 'before-%'"));

            // Dropping a from the clusters while the journal still holds events routed to it: refused, as configuration.
            ConfigException refused = assertThrows(ConfigException.class, () -> TestEdge.start("EDGE_DATA_DIR", dataDir.toString(),
                    "EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_USER", "postgres", "EDGE_DATABASE_CLUSTERS", "b=" + b.jdbcUrl(),
                    "EDGE_DATABASE_ROUTING_TABLE", table.toString(), "EDGE_JOBS_ENABLED", "false"));
            assertTrue(refused.getMessage().contains("cluster(s) [a]") && refused.getMessage().contains(RoutingHistoryFile.NAME),
                    refused.getMessage());
        }
    }

    /**
     * An edge on one database, then configured with that database as cluster a and a new cluster b,
     * the tenant pinned to b: its events the journal still holds (all of them here; the PostHog sink
     * or a segment not yet rolled keeps them in practice) were written to the database already, and
     * b's sink, whose cursor starts at the journal's beginning, must not write them again.
     */
    @Test
    void aSingleDatabasesJournalIsNotWrittenAgainToAClusterAddedBesideIt() throws Exception {
        Path table = tmp.resolve("routing.csv");
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            Path dataDir;
            int before = 30;
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_USER", "postgres",
                    "EDGE_DATABASE_URL", a.jdbcUrl(), "EDGE_JOBS_ENABLED", "false")) {
                dataDir = edge.dataDir();
                edge.opens(MOVED, "single-", before);
                Await.until("the tenant's rows in a", Duration.ofSeconds(60), () -> rowsOf(a, MOVED) >= before);
            }
            Files.writeString(table, MOVED + ",b\n");
            int after = 20;
            try (TestEdge edge = TestEdge.start("EDGE_DATA_DIR", dataDir.toString(), "EDGE_POSTGRES_SINK", "true",
                    "EDGE_DATABASE_USER", "postgres", "EDGE_DATABASE_CLUSTERS", "a=" + a.jdbcUrl() + ",b=" + b.jdbcUrl(),
                    "EDGE_DATABASE_ROUTING_TABLE", table.toString(), "EDGE_JOBS_ENABLED", "false")) {
                edge.opens(MOVED, "clustered-", after);
                Await.until("the tenant's rows in b", Duration.ofSeconds(60), () -> rowsOf(b, MOVED) >= after);
                SinkLoop sinkB = edge.postgresSinkLoops().get(1);
                long end = edge.journalEvents().size();
                Await.until("b's sink past every event", Duration.ofSeconds(60), () -> sinkB.stats().committedEvents.get() >= end);
            }
            assertEquals(before, rowsOf(a, MOVED), "the database's events, once");
            assertEquals(0, b.count("SELECT count(*) FROM email_events WHERE email_id LIKE 'single-%'"), "not written again to b");
            assertEquals(after, rowsOf(b, MOVED), "the new ones in b");
        }
    }

    /**
     * The tenant moved from a to b (pin changed, the edge restarted: the routing history records b's table from the
     * journal's end then, and forces that record), and then a power cut took the journal back to before that
     * position: its last pages, from before the restart as well, had not reached the disk. The edge starts (it was
     * refused as "not the file's own journal", until someone deleted the history), and the positions written again
     * go by today's table, as the sinks' cursors go back to the same end: nothing is written twice or to a.
     */
    @Test
    void aJournalWhoseTailWasLostPastTheChangeStartsAndRoutesByTodaysTable() throws Exception {
        Path table = tmp.resolve("routing.csv");
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            String clusters = "a=" + a.jdbcUrl() + ",b=" + b.jdbcUrl();
            Files.writeString(table, MOVED + ",a\n");
            Path dataDir;
            Path journal;
            int early = 30;
            try (TestEdge edge = TestEdge.start("EDGE_POSTGRES_SINK", "true", "EDGE_DATABASE_USER", "postgres",
                    "EDGE_DATABASE_CLUSTERS", clusters, "EDGE_DATABASE_ROUTING_TABLE", table.toString(), "EDGE_JOBS_ENABLED", "false")) {
                dataDir = edge.dataDir();
                journal = edge.config().journalDir();
                edge.opens(MOVED, "early-", early);
                Await.until("a's rows of the tenant", Duration.ofSeconds(60), () -> rowsOf(a, MOVED) >= early);
            }
            long changedAt = journalEnd(journal); // where b's table takes over at the next start

            Files.writeString(table, MOVED + ",b\n");
            int late = 20;
            try (TestEdge edge = TestEdge.start("EDGE_DATA_DIR", dataDir.toString(), "EDGE_POSTGRES_SINK", "true",
                    "EDGE_DATABASE_USER", "postgres", "EDGE_DATABASE_CLUSTERS", clusters,
                    "EDGE_DATABASE_ROUTING_TABLE", table.toString(), "EDGE_JOBS_ENABLED", "false")) {
                edge.opens(MOVED, "late-", late);
                Await.until("b's rows of the tenant", Duration.ofSeconds(60), () -> rowsOf(b, MOVED) >= late);
            }
            assertTrue(Files.readString(journal.resolve(RoutingHistoryFile.NAME)).contains("from " + changedAt + " clusters a,b"));

            // The power cut: the journal back to one byte short of the change (the start-up's recovery cuts the torn record).
            loseTailFrom(journal, changedAt - 1);
            int last = 15;
            try (TestEdge edge = TestEdge.start("EDGE_DATA_DIR", dataDir.toString(), "EDGE_POSTGRES_SINK", "true",
                    "EDGE_DATABASE_USER", "postgres", "EDGE_DATABASE_CLUSTERS", clusters,
                    "EDGE_DATABASE_ROUTING_TABLE", table.toString(), "EDGE_JOBS_ENABLED", "false")) {
                edge.opens(MOVED, "last-", last);
                Await.until("b's rows of the tenant", Duration.ofSeconds(60), () -> rowsOf(b, MOVED) >= late + last);
                long end = journalEnd(journal);
                for (SinkLoop sink : edge.postgresSinkLoops()) {
                    Await.until(sink.name() + " past the journal's end " + end, Duration.ofSeconds(60),
                            () -> sink.stats().committedPosition.get() >= end);
                }
                String history = Files.readString(journal.resolve(RoutingHistoryFile.NAME));
                assertTrue(!history.contains("from " + changedAt + " "), "the table recorded past the journal's end is gone: " + history);
            }
            assertEquals(early, rowsOf(a, MOVED), "a keeps what it was sent, once; nothing of the new events");
            assertEquals(0, a.count("SELECT count(*) FROM email_events WHERE email_id NOT LIKE 'early-%'"));
            assertEquals(late + last, rowsOf(b, MOVED), "b: the events before the cut, and the new ones, each once");
            assertEquals(0, b.count("SELECT count(*) FROM email_events WHERE email_id LIKE 'early-%'"));
        }
    }

    /** The journal's end: the newest segment's base (its file name) plus its length. */
    private static long journalEnd(Path journal) throws java.io.IOException {
        Path newest = segments(journal).get(segments(journal).size() - 1);
        return base(newest) + Files.size(newest);
    }

    /** What a power cut does to the journal's pages past {@code position}: gone, segments and all. */
    private static void loseTailFrom(Path journal, long position) throws java.io.IOException {
        for (Path segment : segments(journal)) {
            if (base(segment) > position) {
                Files.delete(segment);
            } else if (base(segment) + Files.size(segment) > position) {
                try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(segment, java.nio.file.StandardOpenOption.WRITE)) {
                    ch.truncate(position - base(segment));
                }
            }
        }
    }

    private static java.util.List<Path> segments(Path journal) throws java.io.IOException {
        try (var files = Files.list(journal)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".seg")).sorted().toList();
        }
    }

    private static long base(Path segment) {
        String name = segment.getFileName().toString();
        return Long.parseLong(name.substring(0, name.length() - ".seg".length()));
    }


    private static long rowsOf(TestDatabase db, UUID tenant) throws java.sql.SQLException {
        return db.count("SELECT count(*) FROM email_events WHERE tenant_id = '" + tenant + "'");
    }
}
