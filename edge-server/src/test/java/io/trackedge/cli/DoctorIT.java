package io.trackedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.db.Database;
import io.trackedge.db.PostgresConnectionInfo;
import io.trackedge.sink.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code trackedge doctor} against the real PostgreSQL: a sound installation passes every check; a
 * database that does not answer, a keys file others can read, production without keys or a
 * database url, and a clock minutes off each fail with the fix named.
 */
class DoctorIT {

    private static final String KEY = "3:" + "B".repeat(42) + "A";
    private static final String OWN_URL = "https://t.acme-mail.net";

    @TempDir
    Path dir;

    private Path install(String databaseLine, String keysMode) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Path conf = dir.resolve("edge.conf");
        Files.writeString(conf, "edge.data-dir = \"" + data + "\"\nedge.public-url = \"" + OWN_URL + "\"\n" + databaseLine
                + "\ninclude \"keys.conf\"\n");
        if (keysMode != null) {
            Path keys = dir.resolve("keys.conf");
            Files.writeString(keys, "edge.signing-keys = \"" + KEY + "\"\n");
            Files.setPosixFilePermissions(keys, PosixFilePermissions.fromString(keysMode));
        }
        return conf;
    }

    private static Map<String, Doctor.Finding> worst(List<Doctor.Finding> findings) {
        return findings.stream().collect(Collectors.toMap(Doctor.Finding::check, f -> f,
                (a, b) -> a.status().compareTo(b.status()) >= 0 ? a : b));
    }

    @Test
    void aSoundInstallationPassesEveryCheck() throws Exception {
        try (TestDatabase db = TestDatabase.create();
             Database d = new Database(new PostgresConnectionInfo(db.jdbcUrl(), "postgres", null), 1)) {
            d.migrate();
            Path conf = install("edge.database { url = \"" + db.jdbcUrl() + "\", user = postgres }", "rw-------");
            List<Doctor.Finding> findings = new Doctor(conf, Map.of(), System::currentTimeMillis).run();
            Map<String, Doctor.Finding> by = worst(findings);
            assertEquals(List.of("config", "keys", "links", "database", "schema", "clock", "journal", "stop"),
                    findings.stream().map(Doctor.Finding::check).distinct().toList(), findings.toString());
            for (Doctor.Finding f : by.values()) {
                assertEquals(Doctor.Status.OK, f.status(), f.toString());
            }
            assertTrue(by.get("database").detail().contains("PostgreSQL 1"), by.get("database").toString());
            assertTrue(by.get("schema").detail().matches("migrations applied up to V\\d+"), by.get("schema").toString());
        }
    }

    @Test
    void withClustersEachIsCheckedByName() throws Exception {
        try (TestDatabase a = TestDatabase.create(); TestDatabase b = TestDatabase.create();
             Database d = new Database(new PostgresConnectionInfo(a.jdbcUrl(), "postgres", null), 1)) {
            d.migrate(); // b is left without its migrations
            Path conf = install("edge.database { user = postgres, clusters = [\"a=" + a.jdbcUrl() + "\", \"b=" + b.jdbcUrl()
                    + "\"] }", "rw-------");
            Map<String, Doctor.Finding> by = worst(new Doctor(conf, Map.of(), System::currentTimeMillis).run());
            assertEquals(Doctor.Status.OK, by.get("database a").status(), by.toString());
            assertEquals(Doctor.Status.OK, by.get("database b").status(), by.toString());
            assertTrue(by.get("schema a").detail().matches("migrations applied up to V\\d+"), by.get("schema a").toString());
            assertEquals(Doctor.Status.WARN, by.get("schema b").status(), by.get("schema b").toString());
            assertEquals("no migrations applied yet", by.get("schema b").detail());
        }
    }

    @Test
    void aClockMinutesOffTheDatabasesFailsAndSaysToSynchronise() throws Exception {
        try (TestDatabase db = TestDatabase.create()) {
            Path conf = install("edge.database { url = \"" + db.jdbcUrl() + "\", user = postgres }", "rw-------");
            Doctor.Finding clock = worst(new Doctor(conf, Map.of(), () -> System.currentTimeMillis() + 300_000).run()).get("clock");
            assertEquals(Doctor.Status.FAIL, clock.status(), clock.toString());
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("this clock is \\+(\\d+) ms").matcher(clock.detail());
            assertTrue(m.find(), clock.toString());
            long skew = Long.parseLong(m.group(1));
            assertTrue(skew > 295_000 && skew < 305_000, clock.toString());
            assertTrue(clock.fix().contains("timedatectl"), clock.toString());
        }
    }

    @Test
    void aDatabaseThatDoesNotAnswerFailsNamingTheUrlAndWhatToCheck() throws Exception {
        Path conf = install("edge.database.url = \"jdbc:postgresql://127.0.0.1:1/nothing\"", "rw-------");
        Doctor.Finding db = worst(new Doctor(conf, Map.of(), System::currentTimeMillis).run()).get("database");
        assertEquals(Doctor.Status.FAIL, db.status(), db.toString());
        assertTrue(db.detail().contains("jdbc:postgresql://127.0.0.1:1/nothing"), db.toString());
        assertTrue(db.fix().contains("pg_hba.conf"), db.toString());
        assertTrue(db.fix().contains("pg_isready -d 'postgresql://127.0.0.1:1/nothing'"), "a URL pg_isready reads: " + db);
    }

    /**
     * With no url, as root, serve uses the local PostgreSQL's trackedge database (the embedded one refuses
     * root): doctor checks that one, where it said "a local database under data/" and checked nothing.
     */
    @Test
    void withNoUrlAsRootTheLocalDatabaseServeUsesIsChecked() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "as root only");
        Path conf = install("", "rw-------");
        List<Doctor.Finding> findings = new Doctor(conf, Map.of("EDGE_PROFILE", "development"), System::currentTimeMillis).run();
        List<Doctor.Finding> db = findings.stream().filter(f -> f.check().equals("database")).toList();
        assertEquals(Doctor.Status.WARN, db.get(0).status(), db.toString());
        assertTrue(db.get(0).detail().contains("jdbc:postgresql://127.0.0.1:5432/trackedge"), db.toString());
        assertEquals(2, db.size(), "and then its connection: " + db);
        assertTrue(db.get(1).status() != Doctor.Status.FAIL, db.toString());
    }

    /**
     * A password in the url (a JDBC URL's password or sslpassword parameter, a libpq URL's user information)
     * is printed as ***: doctor printed the url as written, in its lines and in the pg_isready hint.
     */
    @Test
    void aPasswordInTheDatabaseUrlIsNeverPrinted() throws Exception {
        Path conf = install("edge.database.url = \"jdbc:postgresql://127.0.0.1:1/nothing?user=u&password=S3CR3T&sslpassword=K3Y\"",
                "rw-------");
        List<Doctor.Finding> refused = new Doctor(conf, Map.of(), System::currentTimeMillis).run();
        Doctor.Finding db = worst(refused).get("database");
        assertEquals(Doctor.Status.FAIL, db.status(), db.toString());
        assertTrue(db.detail().startsWith("cannot connect to jdbc:postgresql://127.0.0.1:1/nothing?user=u&password=***&sslpassword=***: "),
                db.toString());
        assertTrue(db.fix().contains("pg_isready -d 'postgresql://127.0.0.1:1/nothing?user=u&password=***&sslpassword=***'"), db.toString());
        assertNoSecret(refused);
        try (TestDatabase answering = TestDatabase.create()) {
            conf = install("edge.database.url = \"" + answering.jdbcUrl() + "?user=postgres&password=S3CR3T\"", "rw-------");
            List<Doctor.Finding> ok = new Doctor(conf, Map.of(), System::currentTimeMillis).run();
            assertEquals(Doctor.Status.OK, worst(ok).get("database").status(), ok.toString());
            assertTrue(worst(ok).get("database").detail().startsWith(answering.jdbcUrl() + "?user=postgres&password=*** answers"),
                    ok.toString());
            assertNoSecret(ok);
            String libpq = "postgresql://postgres:S3CR3T@127.0.0.1:5432/" + answering.jdbcUrl().substring(answering.jdbcUrl().lastIndexOf('/') + 1);
            assertNoSecret(new Doctor(conf, Map.of("EDGE_DATABASE_URL", libpq), System::currentTimeMillis).run());
        }
    }

    private static void assertNoSecret(List<Doctor.Finding> findings) {
        String printed = findings.stream().map(Doctor.Finding::toString).collect(Collectors.joining("\n"));
        assertTrue(!printed.contains("S3CR3T") && !printed.contains("K3Y"), printed);
    }

    /** A server that answers but has no such database: the fix is the createdb line, not pg_isready and pg_hba.conf. */
    @Test
    void aDatabaseThatDoesNotExistSaysToCreateIt() throws Exception {
        String name = "doctor_missing_" + System.nanoTime();
        Path conf = install("edge.database.url = \"postgresql://postgres@127.0.0.1:5432/" + name + "\"", "rw-------");
        Doctor.Finding db = worst(new Doctor(conf, Map.of(), System::currentTimeMillis).run()).get("database");
        assertEquals(Doctor.Status.FAIL, db.status(), db.toString());
        assertEquals("create it (createdb -h 127.0.0.1 -p 5432 -U postgres " + name + ") or correct the url", db.fix());
    }

    @Test
    void aKeysFileOthersCanReadFailsWithTheChmodToRun() throws Exception {
        Path conf = install("edge.database.local = true", "rw-r--r--");
        Doctor.Finding keys = worst(new Doctor(conf, Map.of(), System::currentTimeMillis).run()).get("keys");
        assertEquals(Doctor.Status.FAIL, keys.status(), keys.toString());
        assertTrue(keys.fix().startsWith("chmod 0600 " + dir.resolve("keys.conf")), keys.toString());
    }

    @Test
    void productionWithoutKeysOrDatabaseUrlFailsBothWithTheirFixes() throws Exception {
        Path conf = install("", null);
        Map<String, Doctor.Finding> by = worst(new Doctor(conf, Map.of(), System::currentTimeMillis).run());
        assertEquals(Doctor.Status.FAIL, by.get("keys").status(), by.get("keys").toString());
        assertTrue(by.get("keys").fix().contains("trackedge token new-key --id 1"), by.get("keys").toString());
        assertEquals(Doctor.Status.FAIL, by.get("database").status(), by.get("database").toString());
        assertTrue(by.get("database").detail().startsWith("edge.database.url (EDGE_DATABASE_URL): required in the production profile"),
                by.get("database").toString());
    }

    /**
     * The package's edge.conf, with keys beside it and a database url: its placeholder public-url
     * (https://t.example.com) was taken and doctor said "no problems found", so the links trackedge token
     * signed pointed at example.com. The links check fails naming edge.public-url and what to set (the
     * configuration itself is sound: serve signs nothing, and only what signs on it refuses it).
     */
    @Test
    void thePackagedTemplatesPlaceholderPublicUrlFailsNamingIt() throws Exception {
        Path conf = dir.resolve("edge.conf");
        Files.copy(Path.of("../packaging/edge.conf"), conf);
        Files.writeString(dir.resolve("keys.conf"), "edge.signing-keys = \"" + KEY + "\"\n");
        Files.setPosixFilePermissions(dir.resolve("keys.conf"), PosixFilePermissions.fromString("rw-------"));
        Map<String, String> env = Map.of("EDGE_DATA_DIR", Files.createDirectories(dir.resolve("data")).toString(),
                "EDGE_DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/nothing");
        Map<String, Doctor.Finding> placeholder = worst(new Doctor(conf, env, System::currentTimeMillis).run());
        assertEquals(Doctor.Status.OK, placeholder.get("config").status(), placeholder.toString());
        Doctor.Finding links = placeholder.get("links");
        assertEquals(Doctor.Status.FAIL, links.status(), placeholder.toString());
        assertTrue(links.detail().startsWith("edge.public-url (EDGE_PUBLIC_URL): t.example.com is a domain reserved for examples"
                + " (RFC 2606)"), links.toString());
        assertTrue(links.detail().contains("set it to the address your tracking links are reached at, https://t.<your domain>"),
                links.toString());

        Map<String, Doctor.Finding> set = worst(new Doctor(conf, Map.of("EDGE_PUBLIC_URL", OWN_URL,
                "EDGE_DATA_DIR", env.get("EDGE_DATA_DIR"), "EDGE_DATABASE_URL", env.get("EDGE_DATABASE_URL")), System::currentTimeMillis).run());
        assertEquals(Doctor.Status.OK, set.get("config").status(), set.toString());
        assertEquals(Doctor.Status.OK, set.get("links").status(), set.toString());
        assertTrue(set.get("links").detail().startsWith(OWN_URL + " (edge.public-url)"), set.toString());
    }

    /** The built-in default, http://localhost:8080, in production: the links reach this machine only (a test install's). */
    @Test
    void productionsLinksOnThisMachineAreWarnedOf() throws Exception {
        Path conf = install("edge.database.url = \"jdbc:postgresql://127.0.0.1:1/nothing\"", "rw-------");
        for (String url : List.of("http://localhost:8080", "http://127.0.0.1:8080")) {
            Doctor.Finding links = worst(new Doctor(conf, Map.of("EDGE_PUBLIC_URL", url), System::currentTimeMillis).run()).get("links");
            assertEquals(Doctor.Status.WARN, links.status(), links.toString());
            assertEquals(url + " (edge.public-url) is this machine: the links trackedge token and rewrite sign on it reach no one else",
                    links.detail());
            assertTrue(links.fix().startsWith("set edge.public-url (EDGE_PUBLIC_URL)"), links.toString());
            Doctor.Finding dev = worst(new Doctor(conf, Map.of("EDGE_PUBLIC_URL", url, "EDGE_PROFILE", "development"),
                    System::currentTimeMillis).run()).get("links");
            assertEquals(Doctor.Status.OK, dev.status(), dev.toString());
        }
    }

    /** The library's own exception escaped doctor, which printed "error:" and no check. */
    @Test
    void aValueOfTheWrongTypeFailsTheConfigCheckNamingTheKey() throws Exception {
        Path conf = install("edge.privacy.posthog.api-host = [1]", "rw-------");
        List<Doctor.Finding> findings = new Doctor(conf, Map.of(), System::currentTimeMillis).run();
        assertEquals(1, findings.size(), findings.toString());
        assertEquals(Doctor.Status.FAIL, findings.get(0).status());
        assertTrue(findings.get(0).detail().contains("edge.privacy.posthog.api-host (EDGE_PRIVACY_POSTHOG_API_HOST or POSTHOG_API_HOST): "), findings.toString());
    }

    /**
     * A journal-only node (the Postgres sink off, no url), which serve runs in production: doctor failed it
     * for the url production requires of a node that writes to PostgreSQL.
     */
    @Test
    void aJournalOnlyNodeSkipsTheDatabase() throws Exception {
        Path conf = install("", "rw-------");
        List<Doctor.Finding> findings = new Doctor(conf, Map.of("EDGE_SINK_POSTGRES_ENABLED", "false"), System::currentTimeMillis).run();
        Map<String, Doctor.Finding> by = worst(findings);
        assertEquals(Doctor.Status.OK, by.get("database").status(), findings.toString());
        assertTrue(by.get("database").detail().startsWith("skipped: the PostgreSQL sink is off"), findings.toString());
        assertTrue(findings.stream().noneMatch(f -> f.status() == Doctor.Status.FAIL), findings.toString());
        assertEquals(List.of("config", "keys", "links", "database", "journal", "stop"),
                findings.stream().map(Doctor.Finding::check).toList(), "no schema or clock without a database: " + findings);
        // the sink on, the same configuration still fails for its url
        assertEquals(Doctor.Status.FAIL, worst(new Doctor(conf, Map.of(), System::currentTimeMillis).run()).get("database").status());
    }

    /**
     * The drain delay and the grace together past the packaged unit's TimeoutStopSec=30 less 5 s: systemd
     * would SIGKILL the edge mid-drain, and doctor said nothing.
     */
    @Test
    void aStopLongerThanTheUnitWaitsIsWarnedOf() throws Exception {
        Path conf = install("", "rw-------");
        Map<String, String> env = Map.of("EDGE_SINK_POSTGRES_ENABLED", "false", "EDGE_SHUTDOWN_DRAIN_DELAY", "20s",
                "EDGE_SHUTDOWN_GRACE", "10s");
        Doctor.Finding stop = worst(new Doctor(conf, env, System::currentTimeMillis).run()).get("stop");
        assertEquals(Doctor.Status.WARN, stop.status(), stop.toString());
        assertEquals("a stop takes up to 30 s (edge.shutdown-drain-delay 20 s + edge.shutdown-grace 10 s), more than the 25 s the "
                + "unit's TimeoutStopSec=30 leaves (5 s spare): systemd would SIGKILL it mid-drain", stop.detail());
        assertEquals("lower the two to 25 s together, or raise the unit's TimeoutStopSec to 35 (systemctl edit trackedge: [Service] "
                + "TimeoutStopSec=35)", stop.fix());
        Doctor.Finding fits = worst(new Doctor(conf, Map.of("EDGE_SINK_POSTGRES_ENABLED", "false", "EDGE_SHUTDOWN_DRAIN_DELAY", "15s",
                "EDGE_SHUTDOWN_GRACE", "10s"), System::currentTimeMillis).run()).get("stop");
        assertEquals(Doctor.Status.OK, fits.status(), fits.toString());
        assertEquals(Doctor.Status.WARN, worst(new Doctor(conf, Map.of("EDGE_SINK_POSTGRES_ENABLED", "false",
                "EDGE_SHUTDOWN_GRACE", "25001ms"), System::currentTimeMillis).run()).get("stop").status());
    }

    @Test
    void anInvalidConfigFailsNamingTheKeyAndSkipsTheChecksThatNeedIt() throws Exception {
        Path conf = install("edge.http.port = 70000", "rw-------");
        List<Doctor.Finding> findings = new Doctor(conf, Map.of(), System::currentTimeMillis).run();
        assertEquals(1, findings.size(), findings.toString());
        assertEquals(Doctor.Status.FAIL, findings.get(0).status());
        assertTrue(findings.get(0).detail().contains("edge.http.port (EDGE_HTTP_PORT") && findings.get(0).detail().contains("must be 0..65535"), findings.toString());
    }
}
