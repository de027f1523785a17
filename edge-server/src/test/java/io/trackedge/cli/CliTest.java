package io.trackedge.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.Main;
import io.trackedge.config.ConfigException;
import io.trackedge.config.ConfigLoader;
import io.trackedge.config.EdgeConfig;
import io.trackedge.token.KeyRing;
import io.trackedge.token.TokenKind;
import io.trackedge.token.TokenVerifier;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI run in-process: token signing from options and CSV, and the key rules of the profiles. */
class CliTest {

    /** Not a published key (32 zero bytes, "A" x 43, is one: production refuses it). */
    private static final String KEY = "3:" + "B".repeat(42) + "A";
    private static final String TENANT = "0f8fad5b-d9cb-469f-a165-70867728950e";
    private static final String USER = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        int exit = cmd.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    /**
     * Runs {@code serve}, which prints a configuration error to {@code System.err}, not to the command
     * line's writer: {@link Run#err} holds both. Were the configuration accepted, serve would run until
     * stopped (the timeout interrupts it, and fails) or fail later in its start: exit 2 when the data folder
     * cannot keep what the configuration asks, else 1.
     */
    private Run serve(Path cfg) {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream before = System.err;
        System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            Run r = assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> run("serve", "-c", cfg.toString()));
            return new Run(r.exit(), r.out(), err.toString(StandardCharsets.UTF_8) + r.err());
        } finally {
            System.setErr(before);
        }
    }

    private Path config(String body) throws Exception {
        Path f = dir.resolve("edge.conf");
        Files.writeString(f, body);
        return f;
    }

    @Test
    void tokenOpenAndClickPrintUrlsThatVerify() throws Exception {
        Path cfg = config("edge.signing-keys = \"" + KEY + "\"\nedge.public-url = \"https://t.acme-mail.net\"\n");
        Run open = run("token", "open", "-c", cfg.toString(), "--tenant", TENANT, "--user", USER,
                "--campaign", "c", "--mailbox", "m", "--email", "e");
        assertEquals(0, open.exit());
        String url = open.out().trim();
        assertTrue(url.startsWith("https://t.acme-mail.net/o/") && url.endsWith(".gif"), url);
        TokenVerifier v = new TokenVerifier(KeyRing.parse(KEY));
        String token = url.substring("https://t.acme-mail.net/o/".length(), url.length() - 4);
        assertEquals(TokenVerifier.OK, v.verify(token, 0, token.length(), new byte[0], 0));
        assertEquals(TokenKind.OPEN, v.kind());

        Run click = run("token", "click", "-c", cfg.toString(), "--tenant", TENANT, "--user", USER,
                "--campaign", "c", "--mailbox", "m", "--email", "e", "--url", "https://example.com/x");
        assertEquals(0, click.exit());
        assertTrue(click.out().trim().startsWith("https://t.acme-mail.net/c/"), click.out());
        assertEquals(2, run("token", "click", "-c", cfg.toString(), "--tenant", TENANT, "--user", USER,
                "--campaign", "c", "--mailbox", "m", "--email", "e", "--url", "javascript:alert(1)").exit());
    }

    @Test
    void csvSignsOneUrlPerLineInOrderAndRefusesABadFile() throws Exception {
        Path cfg = config("edge.signing-keys = \"" + KEY + "\"\n");
        Path csv = dir.resolve("in.csv");
        Files.writeString(csv, "tenant,user,campaign,mailbox,email,url\n"
                + TENANT + "," + USER + ",c,m,e1,https://a.example/\n"
                + TENANT + "," + USER + ",c,m,e2,https://b.example/\n");
        Run r = run("token", "click", "-c", cfg.toString(), "--csv", csv.toString());
        assertEquals(0, r.exit());
        List<String> lines = r.out().lines().toList();
        assertEquals(2, lines.size());
        assertNotEquals(lines.get(0), lines.get(1));

        Files.writeString(csv, "tenant,user,campaign,mailbox,email,url\nnot-a-uuid,x,c,m,e,https://a.example/\n");
        assertEquals(2, run("token", "click", "-c", cfg.toString(), "--csv", csv.toString()).exit());
        Files.writeString(csv, "tenant,user,campaign\n");
        assertEquals(2, run("token", "open", "-c", cfg.toString(), "--csv", csv.toString()).exit());
    }

    /** docs/clusters.md's promise: two clusters naming one database stop the start-up with exit 2, before a sink writes. */
    @Test
    void serveRefusesTwoClustersNamingOneDatabase() throws Exception {
        Path cfg = config("edge.data-dir = \"" + dir + "\"\nedge.signing-keys = \"" + KEY + "\"\n"
                + "edge.database.clusters = \"a=postgresql://pg-a.internal/track,b=jdbc:postgresql://PG-A.internal:5432/track\"\n");
        // were the configuration accepted, serve would run until stopped: the timeout interrupts it, and fails
        assertEquals(2, assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> run("serve", "-c", cfg.toString()).exit()));
    }

    /**
     * A value of the wrong type is a configuration error, exit 2, which systemd does not restart
     * (RestartPreventExitStatus=2); the library's exception escaped as exit 1, restarted every 2 s for good.
     */
    @Test
    void serveExitsTwoOnAValueOfTheWrongType() throws Exception {
        for (String line : new String[] {"edge.privacy.posthog.api-host = [1]", "edge.classify.rules = 1"}) {
            Path cfg = config("edge.data-dir = \"" + dir + "\"\nedge.signing-keys = \"" + KEY + "\"\n" + line + "\n");
            assertEquals(2, assertTimeoutPreemptively(java.time.Duration.ofSeconds(30), () -> run("serve", "-c", cfg.toString()).exit()),
                    line);
        }
    }

    /**
     * A journal id file that holds no id needs an operator (its message says what to write back): exit 2, which
     * systemd does not restart (RestartPreventExitStatus=2); it was exit 1, restarted every 2 s for good.
     */
    @Test
    void serveExitsTwoOnADamagedJournalIdFile() throws Exception {
        Path cfg = config("edge.data-dir = \"" + dir + "\"\nedge.signing-keys = \"" + KEY + "\"\nedge.sink.postgres.enabled = false\n");
        Path journal = ConfigLoader.load(cfg, Map.of()).journalDir();
        Files.createDirectories(journal);
        Files.writeString(journal.resolve("node-id"), "\0\0\0\0");
        Run r = serve(cfg);
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("the journal's id file " + journal.resolve("node-id").toAbsolutePath()), r.err());
    }

    /**
     * README, upgrading: {@code edge.journal.segment-bytes} is capped at 1 GiB (it was 1 TiB), and a value
     * above the cap stops serve with a configuration error naming the key and the limit, exit 2, which
     * systemd does not restart (RestartPreventExitStatus=2). The journal refuses such a size too, but by
     * an exception: exit 1, restarted every 2 s for good.
     */
    @Test
    void serveExitsTwoOnASegmentSizePastTheCapNamingTheKeyAndTheLimit() throws Exception {
        Path cfg = config("edge.data-dir = \"" + dir + "\"\nedge.signing-keys = \"" + KEY + "\"\nedge.sink.postgres.enabled = false\n"
                + "edge.journal.segment-bytes = 1025MiB\nedge.journal.max-bytes = 16GiB\n");
        Run r = serve(cfg);
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("edge.journal.segment-bytes (EDGE_JOURNAL_SEGMENT_BYTES): must be 4194304..1073741824 bytes,"
                + " got 1074790400"), r.err());
    }

    /**
     * README: a start-up error names the key and its variables as the configuration's own errors do. A port in
     * use named only {@code EDGE_PORT} for the public listener, not {@code EDGE_HTTP_PORT}, the rule's name.
     */
    @Test
    void servePortInUseNamesTheKeyAndItsVariables() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
            int port = taken.getLocalPort();
            String base = "edge.data-dir = \"" + dir + "\"\nedge.signing-keys = \"" + KEY + "\"\nedge.sink.postgres.enabled = false\n";
            Run pub = serve(config(base + "edge.http.port = " + port + "\nedge.admin.port = 0\n"));
            assertEquals(1, pub.exit(), pub.err()); // not 2: a port may come free, and the unit's restart tries again
            assertFalse(pub.err().contains("\tat "), "a message, not a stack trace: " + pub.err());
            assertTrue(pub.err().contains("cannot listen on 0.0.0.0:" + port + " (edge.http.port (EDGE_HTTP_PORT or EDGE_PORT))"),
                    pub.err());
            Run adm = serve(config(base + "edge.http.port = 0\nedge.admin.port = " + port + "\nedge.admin.bind = \"0.0.0.0\"\n"));
            assertEquals(1, adm.exit(), adm.err());
            assertTrue(adm.err().contains("cannot listen on 0.0.0.0:" + port + " (edge.admin.port (EDGE_ADMIN_PORT))"), adm.err());
        }
    }

    @Test
    void productionRefusesToStartWithoutSigningKeysAndDevelopmentMakesOne() throws Exception {
        EdgeConfig prod = ConfigLoader.load(null, Map.of("EDGE_DATA_DIR", dir.toString()));
        ConfigException e = assertThrows(ConfigException.class, () -> Keys.load(prod));
        assertTrue(e.getMessage().contains("edge.signing-keys (EDGE_SIGNING_KEYS): required in the production profile"),
                e.getMessage());
        assertEquals(2, run("serve", "-c", config("edge.data-dir = \"" + dir + "\"\n").toString()).exit());

        EdgeConfig dev = ConfigLoader.load(null, Map.of("EDGE_DATA_DIR", dir.toString(), "EDGE_PROFILE", "development"));
        KeyRing first = Keys.load(dev);
        assertTrue(Files.exists(dir.resolve(Keys.DEV_KEY_FILE)));
        assertEquals(first, Keys.load(dev), "the development key is made once and kept");
    }

    /**
     * Issue 11, defect 1: {@code token open --csv} signed a campaign holding U+0000, which then
     * stopped the Postgres sink. Now the signer refuses it, naming the field and the file's line.
     */
    @Test
    void csvWithNulOrALoneSurrogateIsRefusedNamingTheFieldAndTheLine() throws Exception {
        Path cfg = config("edge.signing-keys = \"" + KEY + "\"\n");
        Path csv = dir.resolve("nul.csv");
        Files.writeString(csv, "tenant,user,campaign,mailbox,email\n\n"
                + TENANT + "," + USER + ",ok,m,good\n"
                + TENANT + "," + USER + ",a\u0000b,m,nul\n");
        Run r = run("token", "open", "-c", cfg.toString(), "--csv", csv.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("CSV line 4: campaign contains U+0000 (NUL) at character 2, which PostgreSQL text cannot hold"),
                r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());

        // a lone surrogate has no UTF-8 form; written as WTF-8 (ED A0 80) it makes the file not UTF-8
        byte[] head = ("tenant,user,campaign,mailbox,email,lead,url\n" + TENANT + "," + USER + ",c,m,e,l,https://a.example/\n"
                + TENANT + "," + USER + ",c,m,e,x").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ",https://a.example/\n".getBytes(StandardCharsets.UTF_8);
        Files.write(csv, concat(head, new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, tail));
        r = run("token", "click", "-c", cfg.toString(), "--csv", csv.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("CSV line 3: lead is not valid UTF-8"), r.err());

        r = run("token", "open", "-c", cfg.toString(), "--tenant", TENANT, "--user", USER,
                "--campaign", "c", "--mailbox", "m\u0000", "--email", "e");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("command line: mailbox contains U+0000 (NUL) at character 2"), r.err());
        r = run("token", "open", "-c", cfg.toString(), "--tenant", TENANT, "--user", USER,
                "--campaign", "c", "--mailbox", "m", "--email", "e", "--lead", "\udc00");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("command line: lead contains a lone surrogate (U+DC00) at character 1"), r.err());
    }

    /**
     * A CSV id that is not a UUID names its column and line (it said "Invalid UUID string: bad", Java's
     * text); a missing argument of a group is not prefixed twice ("error: Error: Missing ...").
     */
    @Test
    void aBadCsvUuidNamesItsColumnAndAMissingGroupArgumentReadsOnce() throws Exception {
        Path cfg = config("edge.signing-keys = \"" + KEY + "\"\n");
        Path csv = dir.resolve("uuid.csv");
        Files.writeString(csv, "tenant,user,campaign,mailbox,email\n" + TENANT + "," + USER + ",c,m,good\n"
                + TENANT + ",bad,c,m,e\n");
        Run r = run("token", "open", "-c", cfg.toString(), "--csv", csv.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("CSV line 3: user is not a UUID: 'bad'"), r.err());

        StringWriter err = new StringWriter();
        CommandLine main = Main.commandLine(); // with the handlers trackedge runs with
        main.setOut(new PrintWriter(new StringWriter()));
        main.setErr(new PrintWriter(err));
        assertEquals(2, main.execute("keys", "create", "--scope", "read"));
        assertTrue(err.toString().startsWith("error: Missing required argument (specify one of these): (--tenant=UUID"),
                err.toString());
    }

    /**
     * A tenant pasted one digit short is refused before anything is opened: {@code UUID.fromString}
     * read it as another tenant's id, and the key made for it was refused on every line.
     */
    @Test
    void aUuidOptionTakesOnlyTheCanonicalSpelling() {
        StringWriter err = new StringWriter();
        CommandLine main = Main.commandLine();
        main.setOut(new PrintWriter(new StringWriter()));
        main.setErr(new PrintWriter(err));
        assertEquals(2, main.execute("keys", "create", "--tenant", TENANT.substring(0, TENANT.length() - 1)));
        assertTrue(err.toString().contains("not a UUID (8-4-4-4-12 hex digits)"), err.toString());
        err.getBuffer().setLength(0);
        assertEquals(2, main.execute("keys", "create", "--tenant", "1-1-1-1-1"));
        assertTrue(err.toString().contains("not a UUID"), err.toString());
    }

    /** Keys live in the first cluster, where edges read them: a key made in another would be accepted nowhere. */
    @Test
    void keysRefuseAClusterOtherThanTheFirst() throws Exception {
        Path cfg = config("edge.database.clusters = \"a=postgresql://127.0.0.1:1/x,b=postgresql://127.0.0.1:1/y\"\n");
        Run r = run("keys", "create", "--all-tenants", "-c", cfg.toString(), "--cluster", "b");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("keys create works on the first cluster (a) only"), r.err());
    }

    @Test
    void aKeyPublishedInTheRepositoryIsRefusedInProductionOnly() throws Exception {
        String published = "1:" + "A".repeat(43);
        Path cfg = config("edge.signing-keys = \"" + published + "\"\nedge.data-dir = \"" + dir + "\"\n");
        Run r = run("token", "open", "-c", cfg.toString(), "--tenant", TENANT, "--user", USER,
                "--campaign", "c", "--mailbox", "m", "--email", "e");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("edge.signing-keys (EDGE_SIGNING_KEYS): key 1 is published"), r.err());
        assertTrue(r.err().contains("token new-key"), r.err());
        assertTrue(!r.err().contains("A".repeat(43)), "the secret is not printed: " + r.err());

        Path dev = config("edge.profile = development\nedge.signing-keys = \"" + published + "\"\n");
        assertEquals(0, run("token", "open", "-c", dev.toString(), "--tenant", TENANT, "--user", USER,
                "--campaign", "c", "--mailbox", "m", "--email", "e").exit());
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }
}
