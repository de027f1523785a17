package io.trackedge.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The key text: shape, prefix, digest; and a cache with no database accepts nothing. */
class IngestKeyFormatTest {

    @Test
    void keysAreTekAnd43Base64UrlCharacters() throws Exception {
        SecureRandom r = new SecureRandom();
        String a = IngestKeyFormat.generate(r);
        String b = IngestKeyFormat.generate(r);
        assertNotEquals(a, b);
        assertEquals(47, a.length());
        assertTrue(a.startsWith("tek_"));
        assertTrue(IngestKeyFormat.wellFormed(a));
        assertEquals(a.substring(0, 12), IngestKeyFormat.prefixOf(a));
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(a.getBytes()), IngestKeyFormat.sha256(a));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                HexFormat.of().formatHex(IngestKeyFormat.sha256("")));
    }

    @Test
    void malformedKeys() {
        String good = "tek_" + "A".repeat(43);
        assertTrue(IngestKeyFormat.wellFormed(good));
        assertFalse(IngestKeyFormat.wellFormed("tek_" + "A".repeat(42)));
        assertFalse(IngestKeyFormat.wellFormed("tek_" + "A".repeat(44)));
        assertFalse(IngestKeyFormat.wellFormed("tek_" + "A".repeat(42) + "="));
        assertFalse(IngestKeyFormat.wellFormed("tek_" + "A".repeat(42) + "+"));
        assertFalse(IngestKeyFormat.wellFormed("tik_" + "A".repeat(43)));
    }

    @Test
    void withoutADatabaseNoKeyIsAccepted() {
        try (IngestKeyCache cache = new IngestKeyCache(null, java.time.Duration.ofSeconds(1))) {
            cache.start();
            assertFalse(cache.refresh());
            assertNull(cache.authenticate("Bearer " + IngestKeyFormat.generate(new SecureRandom())));
            assertNull(cache.authenticate(null));
            assertNull(cache.authenticate("Basic dXNlcjpwYXNz"));
            assertEquals(0, cache.size());
        }
    }
}
