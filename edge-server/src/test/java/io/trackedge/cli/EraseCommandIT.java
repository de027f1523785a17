package io.trackedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.Main;
import io.trackedge.privacy.RecipientHash;
import io.trackedge.sink.testing.TestDatabase;
import io.trackedge.testing.TwoClusterConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code edge erase} in-process, against a fresh database (migrated by the command). */
class EraseCommandIT {

    private static final UUID TENANT = UUID.fromString("44444444-4444-4444-8444-444444444444");
    private static TestDatabase db;
    @TempDir
    static Path dir;
    private static Path config;

    @BeforeAll
    static void database() throws Exception {
        db = TestDatabase.create();
        config = dir.resolve("edge.conf");
        Files.writeString(config, "edge.data-dir = \"" + dir + "\"\nedge.database.url = \"" + db.jdbcUrl()
                + "\"\nedge.database.user = postgres\n");
    }

    @AfterAll
    static void drop() throws Exception {
        db.close();
    }

    private static int run(StringWriter out, StringWriter err, String... args) {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--config";
        all[args.length + 1] = config.toString();
        return cmd.execute(all);
    }

    @Test
    void eraseDeletesTheRecipientsRowsAndAuditsIt() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // The first run migrates (migrate-on-start is on by default) and finds nothing to delete.
        assertEquals(0, run(out, err, "erase", "--tenant", TENANT.toString(), "--email", "cli-e"), err.toString());
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no) VALUES "
                    + "(gen_random_uuid(), 'open', now(), '" + TENANT + "', gen_random_uuid(), 'cli-e', 1), "
                    + "(gen_random_uuid(), 'open', now(), '" + TENANT + "', gen_random_uuid(), 'cli-other', 1)");
            s.execute("INSERT INTO email_opens (tenant_id, email_id, user_id, event_id, opened_at) VALUES "
                    + "('" + TENANT + "', 'cli-e', gen_random_uuid(), gen_random_uuid(), now())");
        }
        out = new StringWriter();
        assertEquals(0, run(out, err, "erase", "--tenant", TENANT.toString(), "--email", "cli-e"), err.toString());
        assertTrue(out.toString().contains("email_events       1 rows deleted"), out.toString());
        assertTrue(out.toString().contains("email_opens        1 rows deleted"), out.toString());
        assertTrue(out.toString().contains("posthog            skipped"), out.toString());
        assertEquals(0, db.count("SELECT count(*) FROM email_events WHERE email_id = 'cli-e'"));
        assertEquals(1, db.count("SELECT count(*) FROM email_events WHERE email_id = 'cli-other'"));
        assertEquals(2, db.count("SELECT count(*) FROM erasure_audit WHERE email_hash = decode('"
                + RecipientHash.hex(TENANT, "cli-e") + "', 'hex') AND requested_by LIKE 'cli:%' AND posthog = 'skipped'"));
        assertEquals(2, run(new StringWriter(), new StringWriter(), "erase", "--tenant", "nope", "--email", "x"));
    }

    /** Two clusters, the recipient's rows in both (a tenant moved from a to b): erased and audited in each, b's first. */
    @Test
    void withSeveralClustersEveryClusterIsErasedAndAudited() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create()) {
            Path table = dir.resolve("routing.csv");
            Files.writeString(table, TENANT + ",b\n");
            Path twoConfig = TwoClusterConfig.write(dir.resolve("two.conf"), a, b, table);
            Path saved = config;
            config = twoConfig;
            try {
                StringWriter err = new StringWriter();
                assertEquals(0, run(new StringWriter(), err, "erase", "--tenant", TENANT.toString(), "--email", "moved"), err.toString());
                for (TestDatabase k : List.of(a, b)) {
                    try (Connection c = k.connect(); Statement s = c.createStatement()) {
                        s.execute("INSERT INTO email_events (event_id, event_type, occurred_at, tenant_id, user_id, email_id, edge_no) VALUES "
                                + "(gen_random_uuid(), 'open', now(), '" + TENANT + "', gen_random_uuid(), 'moved', 1)");
                    }
                }
                StringWriter out = new StringWriter();
                assertEquals(0, run(out, err, "erase", "--tenant", TENANT.toString(), "--email", "moved"), err.toString());
                assertTrue(out.toString().contains("email_events       2 rows deleted"), out.toString());
                int bAt = out.toString().indexOf(b.jdbcUrl().replaceAll(".*/", ""));
                int aAt = out.toString().indexOf(a.jdbcUrl().replaceAll(".*/", ""));
                assertTrue(bAt >= 0 && aAt > bAt, "the tenant's own cluster first: " + out);
                for (TestDatabase k : List.of(a, b)) {
                    assertEquals(0, k.count("SELECT count(*) FROM email_events WHERE email_id = 'moved'"));
                    assertEquals(2, k.count("SELECT count(*) FROM erasure_audit"), "audited in each cluster, both runs");
                }
            } finally {
                config = saved;
            }
        }
    }
}
