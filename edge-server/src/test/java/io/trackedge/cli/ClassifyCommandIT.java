package io.trackedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.CliRun;
import io.trackedge.testing.TwoClusterConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trackedge classify} in-process against two fresh databases as clusters {@code a} and {@code b}:
 * each cluster holds one tenant's open stored as a person's though it came 3 s after its send. The
 * re-score runs on every cluster, or the one {@code --cluster} names, and a cluster it cannot reach
 * leaves the others re-scored and the exit code 1.
 */
class ClassifyCommandIT {

    private static final UUID ON_A = UUID.fromString("00000000-0000-4000-8000-00000000000a");
    private static final UUID ON_B = UUID.fromString("00000000-0000-4000-8000-00000000000b");
    private static final String COUNTS = "SELECT opens_human || '/' || opens_machine FROM daily_analytics";

    @TempDir
    Path dir;

    // the send and its open (3 s later) on one UTC day: the day's counters are seeded for the send's day
    private final Instant sent = Instant.ofEpochSecond(
            io.trackedge.sink.testing.Scripted.startInOneUtcDay(java.time.Duration.ofHours(1), java.time.Duration.ofSeconds(3))
                    / 1_000_000L);
    private final String since = sent.minus(1, ChronoUnit.HOURS).toString();

    @Test
    void reScoresEveryClustersTenantsInItsOwnDatabase() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            Path config = TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, null);
            storeSoonOpen(config, a, ON_A, b, ON_B);

            CliRun run = CliRun.run(config, "classify", "--since", since);
            assertEquals(0, run.exit(), run.err());
            assertTrue(run.out().contains("cluster a: read 2 event(s); 1 open(s)/click(s) reclassified (1 to machine"), run.out());
            assertTrue(run.out().contains("cluster b: read 2 event(s); 1 open(s)/click(s) reclassified (1 to machine"), run.out());
            for (TestDatabase db : List.of(a, b)) {
                assertEquals(List.of("0/1"), db.rows(COUNTS), "the open counts as a machine's in its own cluster");
                assertTrue(db.count("SELECT count(*) FROM analytics_jobs WHERE status = 'queued' AND tenant_id IS NOT NULL") > 0,
                        "the day's roll-ups are queued where the tenant's job runner works");
            }
            assertEquals(0, a.count("SELECT count(*) FROM analytics_jobs WHERE tenant_id = '" + ON_B + "'"));

            CliRun again = CliRun.run(config, "classify", "--since", since);
            assertEquals(0, again.exit(), again.err());
            assertEquals(2, again.out().lines().filter(l -> l.contains("0 open(s)/click(s) reclassified")).count(), again.out());
        }
    }

    @Test
    void oneClusterWhenNamed() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            Path config = TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, null);
            storeSoonOpen(config, a, ON_A, b, ON_B);

            CliRun run = CliRun.run(config, "classify", "--since", since, "--cluster", "b");
            assertEquals(0, run.exit(), run.err());
            assertTrue(run.out().startsWith("cluster b: "), run.out());
            assertEquals(List.of("1/0"), a.rows(COUNTS), "a is left alone");
            assertEquals(List.of("0/1"), b.rows(COUNTS));
            assertEquals(2, CliRun.run(config, "classify", "--since", since, "--cluster", "z").exit(), "an unknown cluster is refused");
        }
    }

    @Test
    void aClusterItCannotReachFailsAloneAndTheExitCodeSaysSo() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            storeSoonOpen(TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, null), a, ON_A, b, ON_B);
            // b's URL names a database that does not exist: the server answers, the connection fails.
            Path broken = dir.resolve("broken.conf");
            Files.writeString(broken, "edge.data-dir = \"" + dir + "\"\nedge.database.user = postgres\n"
                    + "edge.database.clusters = [\"a=" + a.jdbcUrl() + "\", \"b=" + b.jdbcUrl() + "_gone\"]\n");

            CliRun run = CliRun.run(broken, "classify", "--since", since);
            assertEquals(1, run.exit(), run.out() + run.err());
            assertTrue(run.out().contains("cluster a: read 2 event(s); 1 open(s)/click(s) reclassified"), run.out());
            assertTrue(run.err().contains("cluster b: re-score failed: "), run.err());
            assertTrue(run.err().contains("run the same command again"), run.err());
            assertEquals(List.of("0/1"), a.rows(COUNTS));
            assertEquals(List.of("1/0"), b.rows(COUNTS));
        }
    }

    /**
     * An open whose row is marked {@code redacted} (its tenant's settings cut its User-Agent when it was stored)
     * is not re-scored, though the configuration keeps everything now, and the command says how many it left out.
     */
    @Test
    void anOpenStoredWithItsUserAgentCutIsLeftAsItWasAndCounted() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            Path config = TwoClusterConfig.write(dir.resolve("edge.conf"), a, b, null);
            storeSoonOpen(config, a, ON_A, b, ON_B);
            try (Connection c = a.connect(); Statement s = c.createStatement()) {
                s.execute("UPDATE email_event_rows SET redacted = true WHERE event_type = 'open'");
            }

            CliRun run = CliRun.run(config, "classify", "--since", since);
            assertEquals(0, run.exit(), run.err());
            assertTrue(run.out().contains("cluster a: read 0 event(s); 0 open(s)/click(s) reclassified"), run.out());
            assertTrue(run.out().contains("cluster a: not re-scored: 1 open(s)/click(s) stored with the address or User-Agent cut"
                    + " by the privacy settings of their time; their verdicts stay as the sink gave them"), run.out());
            assertTrue(run.out().contains("cluster b: read 2 event(s); 1 open(s)/click(s) reclassified (1 to machine"), run.out());
            assertEquals(1, run.out().lines().filter(l -> l.contains("not re-scored")).count(), run.out());
            assertEquals(List.of("1/0"), a.rows(COUNTS), "a's open stays a person's");
            assertEquals(List.of("0/1"), b.rows(COUNTS));
        }
    }

    /** Migrates both clusters and stores, in each, a tenant's send and, 3 s later, an open counted as a person's. */
    private void storeSoonOpen(Path config, TestDatabase a, UUID onA, TestDatabase b, UUID onB) throws Exception {
        CliRun migrate = CliRun.run(config, "migrate");
        assertEquals(0, migrate.exit(), migrate.err());
        LocalDate day = LocalDate.ofInstant(sent, ZoneOffset.UTC);
        for (Object[] k : new Object[][] {{a, onA}, {b, onB}}) {
            TestDatabase db = (TestDatabase) k[0];
            UUID tenant = (UUID) k[1];
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                String user = "'" + tenant + "'";
                s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, mailbox_id, edge_no)"
                        + " VALUES (gen_random_uuid(), 'sent', '" + sent + "', '" + tenant + "', " + user + ", 'e-1', 'mbox-1', 1)");
                s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, mailbox_id,"
                        + " edge_no, ip_address, is_machine, automation, certainty, reasons) VALUES (gen_random_uuid(), 'open', '"
                        + sent.plusSeconds(3) + "', '" + tenant + "', " + user + ", 'e-1', 'mbox-1', 1, '198.51.100.7', false,"
                        + " 'none', 'certain', 0)");
                s.execute("INSERT INTO daily_analytics (tenant_id, user_id, mailbox_id, date, emails_sent, opens_total, opens_human)"
                        + " VALUES ('" + tenant + "', " + user + ", 'mbox-1', '" + day + "', 1, 1, 1)");
            }
        }
    }
}
