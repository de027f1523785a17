package io.trackedge.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.token.KeyRing;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
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

    @Test
    void theShippedExampleConfigsParse() {
        EdgeConfig full = ConfigLoader.load(FULL, Map.of());
        assertEquals(Path.of("/var/lib/trackedge"), full.dataDir());
        assertEquals(2, full.trustedProxies().size());
        assertEquals(8L << 30, full.journal().maxBytes());
        KeyRing.parse(full.signingKeys());
        EdgeConfig minimal = ConfigLoader.load(MINIMAL, Map.of());
        assertEquals("https://t.example.com", minimal.publicUrl());
        KeyRing.parse(minimal.signingKeys());
    }

    @Test
    void environmentOverridesTheFile() {
        EdgeConfig c = ConfigLoader.load(FULL, Map.of("EDGE_PORT", "8181", "EDGE_ACK", "fsync",
                "EDGE_TRUSTED_PROXIES", "172.16.0.0/12", "EDGE_IDLE_TIMEOUT", "5s", "EDGE_REQUEST_TIMEOUT", "750ms"));
        assertEquals(8181, c.http().port());
        assertEquals(AckMode.FSYNC, c.ack());
        assertEquals(1, c.trustedProxies().size());
        assertEquals(Duration.ofSeconds(5), c.http().idleTimeout());
        assertEquals(Duration.ofMillis(750), c.http().requestTimeout());
    }

    @Test
    void everyBadValueIsReportedWithItsKeyAndVariable() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, Map.of(
                "EDGE_PORT", "70000", "EDGE_ACK", "sometimes", "EDGE_RING_SIZE", "1000",
                "EDGE_TRUSTED_PROXIES", "10.0.0.0/33", "EDGE_IDLE_TIMEOUT", "soon", "EDGE_PUBLIC_URL", "t.example.com/x",
                "EDGE_REQUEST_TIMEOUT", "0s")));
        String m = e.getMessage();
        assertTrue(m.contains("edge.http.port (EDGE_PORT): must be 0..65535, got 70000"), m);
        assertTrue(m.contains("edge.ack (EDGE_ACK): must be one of memory, journal, fsync, got sometimes"), m);
        assertTrue(m.contains("edge.ring.size (EDGE_RING_SIZE): must be a power of two"), m);
        assertTrue(m.contains("edge.trusted-proxies (EDGE_TRUSTED_PROXIES)"), m);
        assertTrue(m.contains("edge.http.idle-timeout (EDGE_IDLE_TIMEOUT)"), m);
        assertTrue(m.contains("edge.public-url (EDGE_PUBLIC_URL)"), m);
        assertTrue(m.contains("edge.http.request-timeout (EDGE_REQUEST_TIMEOUT): must be positive"), m);
        assertEquals(7, e.problems().size(), m);
    }

    @Test
    void unknownKeysInTheFileAreRejectedByName(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("edge.conf");
        Files.writeString(f, "edge.http.prot = 80\nedge.ack = memory\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, Map.of()));
        assertTrue(e.getMessage().contains("edge.http.prot: unknown key"), e.getMessage());
    }

    @Test
    void aMissingOrUnreadableFileIsAnError(@TempDir Path dir) throws Exception {
        assertThrows(ConfigException.class, () -> ConfigLoader.load(dir.resolve("nope.conf"), Map.of()));
        Path f = dir.resolve("broken.conf");
        Files.writeString(f, "edge { http { port = ");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, Map.of()));
        assertTrue(e.getMessage().contains("broken.conf"), e.getMessage());
    }
}
