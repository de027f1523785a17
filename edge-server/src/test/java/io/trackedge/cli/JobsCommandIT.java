package io.trackedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code trackedge jobs list|enqueue|retry|run-once} in-process, each test against a fresh database. */
class JobsCommandIT {

    private TestDatabase db;
    @TempDir
    Path dir;
    private Path config;

    @BeforeEach
    void database() throws Exception {
        db = TestDatabase.create();
        config = dir.resolve("edge.conf");
        Files.writeString(config, "edge.data-dir = \"" + dir + "\"\nedge.database.url = \"" + db.jdbcUrl()
                + "\"\nedge.database.user = postgres\n");
    }

    @AfterEach
    void drop() throws Exception {
        db.close();
    }

    private CliRun run(String... args) {
        return CliRun.run(config, args);
    }

    @Test
    void enqueueListRunOnceAndRetry() throws Exception {
        CliRun first = run("jobs", "enqueue", "retention", "day:2026-11-30");
        assertEquals(0, first.exit(), first.err());
        assertTrue(first.out().startsWith("enqueued "), first.out());
        String id = first.out().split(" ")[1];
        CliRun again = run("jobs", "enqueue", "retention", "day:2026-11-30");
        assertTrue(again.out().startsWith("already there: " + id), again.out());
        assertEquals(2, run("jobs", "enqueue", "no_such_type", "day:2026-11-30").exit());
        assertEquals(2, run("jobs", "enqueue", "retention", "week:2026-12-01").exit(), "not a Monday");
        CliRun badLimit = run("jobs", "list", "--limit", "-1");
        assertEquals(2, badLimit.exit());
        assertTrue(badLimit.err().contains("--limit must be at least 1"), badLimit.err());

        CliRun list = run("jobs", "list");
        assertTrue(list.out().contains(id) && list.out().contains("queued"), list.out());
        assertTrue(list.out().contains("ready 1 by priority {100=1}"), list.out());

        CliRun once = run("jobs", "run-once");
        assertEquals(0, once.exit(), once.out() + once.err());
        assertTrue(once.out().contains("ran 1 job(s): 1 completed"), once.out());
        assertEquals(1, db.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'"));

        assertEquals(1, run("jobs", "retry", "--all-dead").exit(), "no dead job yet");
        try (var c = db.connect(); var s = c.createStatement()) {
            s.execute("UPDATE analytics_jobs SET status = 'dead', attempts = max_attempts, last_error = 'boom', runner = NULL");
        }
        CliRun dead = run("jobs", "list", "--status", "dead");
        assertTrue(dead.out().contains(id) && dead.out().contains("dead 1"), dead.out());
        assertTrue(dead.out().lines().anyMatch(l -> l.startsWith(id) && l.endsWith("  boom")), "no runner: the error alone\n" + dead.out());
        CliRun retried = run("jobs", "retry", "--all-dead");
        assertEquals(0, retried.exit());
        assertTrue(retried.out().contains("requeued 1 job(s)"), retried.out());
        assertEquals("queued|0", db.rows("SELECT status, attempts FROM analytics_jobs").get(0));
        assertEquals(1, run("jobs", "retry", id).exit(), "a queued job that is due is not retried");
        try (var c = db.connect(); var s = c.createStatement()) {
            s.execute("UPDATE analytics_jobs SET run_after = now() + interval '20 minutes', deferrals = 5"); // deferred (V35)
        }
        CliRun deferred = run("jobs", "list");
        String row = deferred.out().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow();
        String nextTry = db.rows("SELECT to_char(run_after AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM analytics_jobs").get(0);
        assertTrue(row.matches(".*\\bqueued\\s+0/\\d+\\s+5\\s+\\S+ \\S+\\s+" + nextTry + "\\s.*"),
                "deferred 5 times, next try at " + nextTry + ":\n" + deferred.out());
        assertEquals(0, run("jobs", "retry", id).exit(), "a deferred job is run now");
        String due = run("jobs", "list").out().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow();
        assertTrue(due.matches(".*\\bqueued\\s+0/\\d+\\s+0\\s+\\S+ \\S+\\s+-\\s.*"), "due now, no next try:\n" + due);
        assertEquals("queued|0|t", db.rows("SELECT status, deferrals, run_after <= now() FROM analytics_jobs").get(0));
        CliRun both = run("jobs", "run-once", "--type", "retention", "--period", "day:2026-11-29");
        assertTrue(both.out().contains("ran 2 job(s): 2 completed"), both.out());
        assertEquals(2, db.count("SELECT count(*) FROM analytics_jobs WHERE status = 'completed'"));
    }

    /**
     * {@code run-once --type --period} beside a running server: the server's runner may claim the job
     * first (here it is marked running, as a claim leaves it), and run-once waits for that run's end and
     * reports it, instead of "ran 0 job(s)" while the numbers asked for were not there yet.
     */
    @Test
    void runOnceWaitsForTheJobItAskedForWhenAnotherRunnerTookIt() throws Exception {
        assertEquals(0, run("migrate").exit());
        assertEquals(0, run("jobs", "enqueue", "retention", "day:2026-11-29").exit());
        try (var c = db.connect(); var s = c.createStatement()) {
            s.execute("UPDATE analytics_jobs SET status = 'running', attempts = 1, runner = 'serve-1', lease_until = now() + interval '5 minutes'");
        }
        java.util.concurrent.CompletableFuture<Void> otherRunner = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try (var c = db.connect(); var s = c.createStatement()) {
                // its run ends once run-once waits for it: its connection has asked for the job's status
                io.trackedge.sink.testing.Await.until("run-once to wait for the job", java.time.Duration.ofSeconds(30), () -> {
                    try (var r = s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                            + " AND query LIKE 'SELECT p.status, p.deferrals > 0,%'")) {
                        r.next();
                        return r.getLong(1) > 0;
                    }
                });
                s.execute("UPDATE analytics_jobs SET status = 'completed', finished_at = now()");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        CliRun once = run("jobs", "run-once", "--type", "retention", "--period", "day:2026-11-29");
        otherRunner.join();
        assertEquals(0, once.exit(), once.out() + once.err());
        assertTrue(once.out().contains("already there:"), once.out());
        assertTrue(once.out().contains("ran 0 job(s)"), once.out());
        assertTrue(once.out().matches("(?s).*job [0-9a-f-]{36}: completed\\n.*"), once.out());

        // asked again: the completed job is run again here, not reported as done
        CliRun again = run("jobs", "run-once", "--type", "retention", "--period", "day:2026-11-29");
        assertEquals(0, again.exit(), again.out() + again.err());
        assertTrue(again.out().contains("(queued again)"), again.out());
        assertTrue(again.out().contains("ran 1 job(s): 1 completed"), again.out());
    }

    @Test
    void runOnceCountsAnEveryTenantJobSplitByTenant() throws Exception {
        String day = LocalDate.now(ZoneOffset.UTC).minusDays(1).toString();
        String a = "0193a6f0-0000-7000-8000-00000000000a";
        String b = "0193a6f0-0000-7000-8000-00000000000b";
        assertEquals(0, run("migrate").exit());
        try (var c = db.connect(); var s = c.createStatement()) {
            for (String tenant : new String[] {a, b}) {
                s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, campaign_id,"
                        + " mailbox_id, edge_no) VALUES (gen_random_uuid(), 'sent', '" + day + "T12:00:00Z', '" + tenant + "', '"
                        + tenant + "', 'e-1', 'camp-1', 'mbox-1', 1)");
            }
            // Tenant B's row is refused (SQLState 23514), so the every-tenant job splits.
            s.execute("ALTER TABLE campaign_analytics ADD CONSTRAINT no_tenant_b CHECK (tenant_id <> '" + b + "')");
        }
        CliRun once = run("jobs", "run-once", "--type", "campaign_analytics", "--period", "day:" + day);
        assertEquals(1, once.exit(), "tenant B's job failed\n" + once.out() + once.err());
        assertTrue(once.out().contains("1 completed, 1 failed (0 now dead), 0 deferred, 1 split by tenant"), once.out());
        assertEquals(List.of(a), db.rows("SELECT tenant_id FROM campaign_analytics"));
    }
}
