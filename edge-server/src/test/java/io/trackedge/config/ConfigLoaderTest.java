package io.trackedge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.token.KeyRing;
import io.trackedge.token.SigningKey;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final Path FULL = Path.of("../packaging/edge.conf");
    private static final Path MINIMAL = Path.of("../packaging/edge-minimal.conf");

    @Test
    void theDefaultsAreValid() {
        EdgeConfig c = ConfigLoader.load(null, Map.of());
        assertEquals(Profile.PRODUCTION, c.profile());
        assertEquals(8080, c.http().port());
        assertEquals(9090, c.admin().port());
        assertEquals("127.0.0.1", c.admin().bind());
        assertEquals(AckMode.JOURNAL, c.ack());
        assertEquals(65536, c.ring().size());
        assertEquals(64L << 20, c.journal().segmentBytes());
        assertEquals(Duration.ofSeconds(60), c.http().idleTimeout());
        assertEquals(Duration.ofSeconds(10), c.http().requestTimeout());
    }

    /** A fresh key, as an operator would make with {@code token new-key}. */
    private static final SigningKey FRESH = newKey(42);

    private static SigningKey newKey(int id) {
        byte[] secret = new byte[32];
        new java.security.SecureRandom().nextBytes(secret);
        return new SigningKey(id, secret);
    }

    /** A tracking domain an operator would set: no name reserved for examples or tests. */
    private static final String OWN_URL = "https://t.acme-mail.net";

    /** The templates with the key and the tracking domain an operator supplies in the environment. */
    @Test
    void theShippedExampleConfigsParse() {
        Map<String, String> env = Map.of("EDGE_SIGNING_KEYS", FRESH.format(), "EDGE_PUBLIC_URL", OWN_URL);
        EdgeConfig full = ConfigLoader.load(FULL, env);
        assertEquals(Profile.PRODUCTION, full.profile());
        assertEquals(Path.of("/var/lib/trackedge"), full.dataDir());
        assertEquals(List.of(), full.trustedProxies());
        assertEquals("", full.database().url());
        assertEquals(8L << 30, full.journal().maxBytes());
        assertEquals(new KeyRing(List.of(FRESH)), full.signingKeys());
        EdgeConfig minimal = ConfigLoader.load(MINIMAL, env);
        assertEquals(OWN_URL, minimal.publicUrl());
        assertEquals(new KeyRing(List.of(FRESH)), minimal.signingKeys());
    }

    /**
     * The templates' {@code https://t.example.com} was accepted in production and doctor found no problem,
     * so the links trackedge token signed pointed at example.com. What signs on it refuses it, naming the key
     * and what to set; the configuration loads (serve signs nothing, and a working edge whose placeholder was
     * never replaced must not stop at an upgrade); development signs on it.
     */
    @Test
    void theTemplatesPlaceholderPublicUrlIsRefusedToSignOnInProduction() {
        for (Path template : List.of(FULL, MINIMAL)) {
            EdgeConfig cfg = ConfigLoader.load(template,
                    Map.of("EDGE_SIGNING_KEYS", FRESH.format(), "EDGE_DATABASE_URL", "postgresql://trackedge@db.internal/trackedge"));
            ConfigException e = assertThrows(ConfigException.class, () -> cfg.signingBaseUrl(null), template.toString());
            assertEquals(List.of("edge.public-url (EDGE_PUBLIC_URL): t.example.com is a domain reserved for examples (RFC 2606), "
                    + "not a tracking domain: the links trackedge token and rewrite sign on it lead nowhere, and the production "
                    + "profile refuses it; set it to the address your tracking links are reached at, https://t.<your domain> "
                    + "(the load balancer's name)"), e.problems(), template.toString());
            assertEquals("https://t.acme-mail.net", cfg.signingBaseUrl("https://t.acme-mail.net"), "--base-url is taken as given");
            assertEquals("https://t.example.com", ConfigLoader.load(template,
                    Map.of("EDGE_SIGNING_KEYS", FRESH.format(), "EDGE_PROFILE", "development")).signingBaseUrl(null));
        }
    }

    /** RFC 2606 and RFC 6761's names for examples and tests, in any case and with a port or a trailing dot. */
    @ParameterizedTest
    @ValueSource(strings = {"https://example.com", "http://T.Example.COM:8080", "https://www.example.net/", "https://example.org.",
        "https://t.example", "https://track.invalid", "http://edge.test:8080", "https://test"})
    void aHostReservedForExamplesOrTestsIsRefusedInProduction(String url) {
        EdgeConfig cfg = ConfigLoader.load(null, Map.of("EDGE_SIGNING_KEYS", FRESH.format(), "EDGE_PUBLIC_URL", url));
        ConfigException e = assertThrows(ConfigException.class, () -> cfg.signingBaseUrl(null));
        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).startsWith("edge.public-url (EDGE_PUBLIC_URL): "), e.getMessage());
        assertTrue(e.problems().get(0).contains("reserved"), e.getMessage());
        assertEquals(url, ConfigLoader.load(null, Map.of("EDGE_PUBLIC_URL", url, "EDGE_PROFILE", "development")).signingBaseUrl(null));
    }

    /** Names that only look like the reserved ones, and this machine (doctor warns of that; a test install uses it). */
    @ParameterizedTest
    @ValueSource(strings = {"https://t.acme-mail.net", "https://example.company.com", "https://myexample.com", "https://t.example.com.au",
        "https://tests.io", "http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080"})
    void anyOtherHostIsTakenInProduction(String url) {
        assertEquals(url, ConfigLoader.load(null, Map.of("EDGE_SIGNING_KEYS", FRESH.format(), "EDGE_PUBLIC_URL", url)).signingBaseUrl(null));
    }

    /** Issue 11, defect 6: the templates carried a usable sample key that production accepted. */
    /**
     * Issue 16: the package's config template holds no key at all; it includes keys.conf beside it
     * (mode 0600), and without that file there are no keys, so production does not start.
     */
    @Test
    void theFullTemplateReadsItsKeysFromKeysConfBesideIt(@org.junit.jupiter.api.io.TempDir Path etc) throws Exception {
        Path conf = etc.resolve("edge.conf");
        java.nio.file.Files.copy(FULL, conf);
        Map<String, String> env = Map.of("EDGE_PUBLIC_URL", OWN_URL);
        assertEquals(null, ConfigLoader.load(conf, env).signingKeys());
        java.nio.file.Files.writeString(etc.resolve("keys.conf"), "edge.signing-keys = \"" + FRESH.format() + "\"\n");
        assertEquals(new KeyRing(List.of(FRESH)), ConfigLoader.load(conf, env).signingKeys());
    }

    /** Issue 16: production with no database url is an error naming the key, unless local = true says so. */
    @Test
    void productionWithoutADatabaseUrlIsAnErrorUnlessLocalIsChosen() {
        EdgeConfig c = ConfigLoader.load(null, Map.of("EDGE_SIGNING_KEYS", FRESH.format()));
        ConfigException e = assertThrows(ConfigException.class, c::requireDatabaseChoice);
        assertTrue(e.problems().get(0).startsWith("edge.database.url (EDGE_DATABASE_URL): required in the production profile"),
                e.getMessage());
        assertTrue(e.problems().get(0).contains("edge.database.local = true (EDGE_DATABASE_LOCAL=true)"), e.getMessage());
        ConfigLoader.load(null, Map.of("EDGE_SIGNING_KEYS", FRESH.format(), "EDGE_DATABASE_LOCAL", "true")).requireDatabaseChoice();
        ConfigLoader.load(null, Map.of("EDGE_PROFILE", "development")).requireDatabaseChoice();
        ConfigLoader.load(null, Map.of("EDGE_SIGNING_KEYS", FRESH.format(), "EDGE_DATABASE_URL", "postgresql://db/x"))
                .requireDatabaseChoice();
    }

    @ParameterizedTest
    @ValueSource(strings = {"production", "development"})
    void theShippedTemplatesCarryNoUsableKeyAndSayHowToMakeOne(String profile) {
        for (Path template : List.of(MINIMAL)) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> ConfigLoader.load(template, Map.of("EDGE_PROFILE", profile)), template.toString());
            // the placeholder public-url is no problem of the configuration: only what signs on it refuses it
            assertEquals(1, e.problems().size(), e.getMessage());
            String p = e.problems().get(0);
            assertTrue(p.startsWith("edge.signing-keys (EDGE_SIGNING_KEYS): entry 1 of 1: the id \"REPLACE-ME\""), p);
            assertTrue(p.contains("trackedge token new-key --id 1"), p);
        }
    }

    /** Every key written in the repository (the old sample, the spec's and the vectors' keys) is refused in production. */
    @ParameterizedTest
    @ValueSource(strings = {"1:c2FtcGxlLWtleS1kby1ub3QtdXNlLWluLXByb2R1Y3Rpb24", "1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
        "9:mZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZk", "5:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"})
    void aPublishedKeyIsRefusedInProductionByIdAndAcceptedInDevelopment(String published) {
        String id = published.substring(0, published.indexOf(':'));
        String spec = FRESH.format() + "," + published;
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("EDGE_SIGNING_KEYS", spec)));
        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).startsWith("edge.signing-keys (EDGE_SIGNING_KEYS): key " + id + " is published ("), e.getMessage());
        assertTrue(e.getMessage().contains("token new-key"), e.getMessage());
        assertFalse(e.getMessage().contains(published.substring(published.indexOf(':') + 1)), "secret in " + e.getMessage());

        EdgeConfig dev = ConfigLoader.load(null, Map.of("EDGE_SIGNING_KEYS", spec, "EDGE_PROFILE", "development"));
        assertEquals(2, dev.signingKeys().keys().size());
    }

    @Test
    void aKeyShorterThanTheSpecsMinimumIsRefused() {
        String secret = FRESH.format().substring(FRESH.format().indexOf(':') + 1);
        String shortKey = "2:" + secret.substring(0, 40); // 40 characters: 30 bytes
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigLoader.load(null, Map.of("EDGE_SIGNING_KEYS", FRESH.format() + "," + shortKey)));
        assertEquals(List.of("edge.signing-keys (EDGE_SIGNING_KEYS): entry 2 of 2: key 2: secret must be at least 32 bytes, "
                + "got 30; make a key with `trackedge token new-key --id 1`"), e.problems());
    }

    @Test
    void environmentOverridesTheFile() {
        EdgeConfig c = ConfigLoader.load(FULL, Map.of("EDGE_SIGNING_KEYS", FRESH.format(), "EDGE_PUBLIC_URL", OWN_URL,
                "EDGE_PORT", "8181", "EDGE_ACK", "fsync", "EDGE_TRUSTED_PROXIES", "172.16.0.0/12", "EDGE_IDLE_TIMEOUT", "5s",
                "EDGE_REQUEST_TIMEOUT", "750ms"));
        assertEquals(8181, c.http().port());
        assertEquals(AckMode.FSYNC, c.ack());
        assertEquals(1, c.trustedProxies().size());
        assertEquals(Duration.ofSeconds(5), c.http().idleTimeout());
        assertEquals(Duration.ofMillis(750), c.http().requestTimeout());
    }

    @Test
    void theRateLimitsSettingsAreCheckedLikeEveryOther() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(
                "EDGE_HTTP_RATE_LIMIT_EXEMPT", "192.0.2.0/24, not-a-network", "EDGE_HTTP_RATE_LIMIT_ADDRESSES", "8",
                "EDGE_HTTP_RATE_LIMIT_BURST", "0")));
        String m = e.getMessage();
        assertTrue(m.contains("edge.http.rate-limit.exempt (EDGE_HTTP_RATE_LIMIT_EXEMPT): not an IP address or CIDR: not-a-network"), m);
        assertTrue(m.contains("edge.http.rate-limit.addresses (EDGE_HTTP_RATE_LIMIT_ADDRESSES)"), m);
        assertTrue(m.contains("edge.http.rate-limit.burst (EDGE_HTTP_RATE_LIMIT_BURST)"), m);
        assertEquals(3, e.problems().size(), m);
    }

    @Test
    void theSinksIdleWaitIsAMillisecondToADay() {
        assertEquals(Duration.ofSeconds(1), ConfigLoader.load(null, Map.of()).sinkIdleWait());
        assertEquals(Duration.ofDays(1), ConfigLoader.load(null, Map.of("EDGE_SINK_IDLE_WAIT", "1d")).sinkIdleWait());
        for (String bad : new String[] {"0s", "500us", "25h"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("EDGE_SINK_IDLE_WAIT", bad)));
            assertTrue(e.getMessage().contains("edge.sink.idle-wait (EDGE_SINK_IDLE_WAIT): must be 1ms..1d, got " + bad), e.getMessage());
            assertEquals(1, e.problems().size(), e.getMessage());
        }
    }

    @Test
    void everyBadValueIsReportedWithItsKeyAndVariable() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(
                "EDGE_PORT", "70000", "EDGE_ACK", "sometimes", "EDGE_RING_SIZE", "1000",
                "EDGE_TRUSTED_PROXIES", "10.0.0.0/33", "EDGE_IDLE_TIMEOUT", "soon", "EDGE_PUBLIC_URL", "t.example.com/x",
                "EDGE_REQUEST_TIMEOUT", "0s")));
        String m = e.getMessage();
        assertTrue(m.contains("edge.http.port (EDGE_HTTP_PORT or EDGE_PORT): must be 0..65535, got 70000"), m);
        assertTrue(m.contains("edge.ack (EDGE_ACK): must be one of memory, journal, fsync, got sometimes"), m);
        assertTrue(m.contains("edge.ring.size (EDGE_RING_SIZE): must be a power of two"), m);
        assertTrue(m.contains("edge.trusted-proxies (EDGE_TRUSTED_PROXIES)"), m);
        assertTrue(m.contains("edge.http.idle-timeout (EDGE_HTTP_IDLE_TIMEOUT or EDGE_IDLE_TIMEOUT)"), m);
        assertTrue(m.contains("edge.public-url (EDGE_PUBLIC_URL)"), m);
        assertTrue(m.contains("edge.http.request-timeout (EDGE_HTTP_REQUEST_TIMEOUT or EDGE_REQUEST_TIMEOUT): must be positive"), m);
        assertEquals(7, e.problems().size(), m);
    }

    @Test
    void everyKeyHasAnEnvironmentNameByOneRuleAndTheOldNamesStillWork() {
        EdgeConfig c = ConfigLoader.load(null, Map.of("EDGE_SINK_POSTGRES_BATCH_SIZE", "77", "EDGE_SINK_POSTHOG_API_KEY", "phc_x",
                "EDGE_HTTP_PORT", "8282", "EDGE_JOURNAL_MAX_BYTES", "2GiB"));
        assertEquals(77, c.postgresSink().batchSize());
        assertEquals("phc_x", c.posthogSink().apiKey());
        assertEquals(8282, c.http().port());
        assertEquals(2L << 30, c.journal().maxBytes());
        EdgeConfig old = ConfigLoader.load(null, Map.of("EDGE_SINK_BATCH_SIZE", "78", "POSTHOG_API_KEY", "phc_y", "EDGE_PORT", "8283"));
        assertEquals(78, old.postgresSink().batchSize());
        assertEquals("phc_y", old.posthogSink().apiKey());
        assertEquals(8283, old.http().port());
        for (String path : EnvNames.ALIASES.values()) {
            assertTrue(path.startsWith("edge."), path);
        }
    }

    @Test
    void anAliasAndItsCanonicalNameDisagreeingIsAnErrorThatDoesNotEchoTheValues() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(
                "POSTHOG_API_KEY", "phc_secret_one", "EDGE_SINK_POSTHOG_API_KEY", "phc_secret_two")));
        assertEquals(List.of("edge.sink.posthog.api-key: set twice with different values, by EDGE_SINK_POSTHOG_API_KEY and by its "
                + "older name POSTHOG_API_KEY; keep one"), e.problems());
        // the same value under both names is fine
        ConfigLoader.load(null, Map.of("POSTHOG_API_KEY", "phc_same", "EDGE_SINK_POSTHOG_API_KEY", "phc_same"));
    }

    /** Keys are parsed with the rest of the config, so a bad key is one problem among all the others. */
    @Test
    void aBadSigningKeyIsReportedWithEveryOtherProblem() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(
                "EDGE_PORT", "70000", "EDGE_ACK", "sometimes", "EDGE_SIGNING_KEYS", FRESH.format() + ",,7 :abc")));
        String m = e.getMessage();
        assertTrue(m.contains("edge.http.port (EDGE_HTTP_PORT or EDGE_PORT)"), m);
        assertTrue(m.contains("edge.ack (EDGE_ACK)"), m);
        assertTrue(m.contains("edge.signing-keys (EDGE_SIGNING_KEYS): entry 2 of 3 is empty (two commas in a row?)"), m);
        assertEquals(3, e.problems().size(), m);
    }

    @Test
    void unknownKeysInTheFileAreRejectedByName(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("edge.conf");
        Files.writeString(f, "edge.http.prot = 80\nedge.ack = memory\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, Map.of()));
        assertTrue(e.getMessage().contains("edge.http.prot: unknown key"), e.getMessage());
    }

    /**
     * {@code doctor -c edge.conf}, a bare name in the working directory: its {@code include "keys.conf"} found
     * nothing (the library resolves an include against the file's parent, and the name has none), so the
     * keys were lost. The files are made in the working directory, the module's, and removed.
     */
    @Test
    void aBareFileNameKeepsItsRelativeIncludes() throws Exception {
        String name = "config-loader-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path conf = Path.of(name + ".conf");
        Path keys = Path.of(name + "-keys.conf");
        assertEquals(null, conf.getParent(), "a bare name");
        try {
            Files.writeString(conf, "edge.data-dir = \"./data\"\ninclude \"" + keys + "\"\n");
            Files.writeString(keys, "edge.signing-keys = \"" + FRESH.format() + "\"\n");
            assertEquals(new KeyRing(List.of(FRESH)), ConfigLoader.load(conf, Map.of()).signingKeys());
        } finally {
            Files.deleteIfExists(conf);
            Files.deleteIfExists(keys);
        }
    }

    @Test
    void aMissingOrUnreadableFileIsAnError(@TempDir Path dir) throws Exception {
        assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("nope.conf"), Map.of()));
        Path f = dir.resolve("broken.conf");
        Files.writeString(f, "edge { http { port = ");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, Map.of()));
        assertTrue(e.getMessage().contains("broken.conf"), e.getMessage());
    }

    /**
     * A value of the wrong type where the reader read it with the library's own getters escaped as its
     * exception: serve exited 1 (which systemd restarts, unlike 2) and doctor printed "error:". Each is a
     * problem naming its key, reported with the others.
     */
    @Test
    void aValueOfTheWrongTypeAnywhereIsAProblemNamingItsKey(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("edge.conf");
        Files.writeString(f, "edge.privacy.posthog.api-host = [1]\nedge.privacy.posthog.personal-api-key = null\nedge.http.port = 70000\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, Map.of()));
        assertEquals(3, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).startsWith("edge.http.port (EDGE_HTTP_PORT or EDGE_PORT)"), e.getMessage());
        assertTrue(e.problems().get(1).startsWith("edge.privacy.posthog.api-host (EDGE_PRIVACY_POSTHOG_API_HOST or POSTHOG_API_HOST): ")
                && e.problems().get(1).endsWith("has type LIST rather than STRING"), e.getMessage());
        assertTrue(e.problems().get(2).startsWith("edge.privacy.posthog.personal-api-key: ")
                && e.problems().get(2).endsWith("is set to null but expected STRING"), e.getMessage());
        for (String section : new String[] {"edge.privacy.tenants = [1]", "edge.classify.tenants = 1", "edge.classify.rules = 1",
            "edge.privacy = 5", "edge.data-dir = ${NOPE}"}) {
            Files.writeString(f, section + "\n");
            ConfigException s = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, Map.of()), section);
            String key = section.substring(0, section.indexOf(' '));
            assertTrue(s.problems().stream().anyMatch(p -> p.contains(f + ": 1: ") && (p.contains(key) || p.contains("${NOPE}"))),
                    section + ": " + s.getMessage());
        }
    }

    /**
     * Up to 1 TiB was taken: start-up read the newest segment whole into memory, so a segment past the
     * heap (or 2 GiB, the largest array) failed every start.
     */
    @Test
    void aSegmentSizePastOneGibibyteIsRefused() {
        assertEquals(1L << 30, ConfigLoader.load(null, Map.of("EDGE_JOURNAL_SEGMENT_BYTES", "1GiB", "EDGE_JOURNAL_MAX_BYTES", "8GiB"))
                .journal().segmentBytes());
        for (String bad : new String[] {"1025MiB", "1TiB"}) {
            ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(
                    "EDGE_JOURNAL_SEGMENT_BYTES", bad, "EDGE_JOURNAL_MAX_BYTES", "4TiB")));
            assertEquals(1, e.problems().size(), e.getMessage());
            assertTrue(e.problems().get(0).startsWith("edge.journal.segment-bytes (EDGE_JOURNAL_SEGMENT_BYTES): must be 4194304..1073741824 bytes, got "),
                    e.getMessage());
        }
    }

    /** A bare number was read as milliseconds: EDGE_HTTP_IDLE_TIMEOUT=60 closed the balancer's connections after 60 ms. */
    @Test
    void aDurationWithoutAUnitIsRefused() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("EDGE_HTTP_IDLE_TIMEOUT", "60")));
        assertTrue(e.getMessage().contains("edge.http.idle-timeout") && e.getMessage().contains("give a unit"), e.getMessage());
        assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("EDGE_SHUTDOWN_GRACE", "30")));
        assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of("EDGE_SINK_POSTGRES_LINGER", "100")));
        assertEquals(java.time.Duration.ofSeconds(60), ConfigLoader.load(null, Map.of("EDGE_HTTP_IDLE_TIMEOUT", "60s")).http().idleTimeout());
    }

    /** The same port on an address both listeners take: the second bind failed at start-up with exit 1, which systemd restarts. */
    @Test
    void theAdminListenerCannotTakeThePublicOnesPort() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null,
                Map.of("EDGE_ADMIN_PORT", "8080", "EDGE_ADMIN_BIND", "0.0.0.0")));
        assertTrue(e.getMessage().contains("edge.admin.port"), e.getMessage());
        assertEquals(8080, ConfigLoader.load(null, Map.of("EDGE_ADMIN_PORT", "8080", "EDGE_HTTP_BIND", "10.0.0.5",
                "EDGE_ADMIN_BIND", "127.0.0.1")).admin().port(), "two addresses: two listeners");
    }
}
