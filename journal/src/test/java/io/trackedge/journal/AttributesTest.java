package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The attributes block: exact encoding, its limits, and the client-id marker. */
class AttributesTest {

    @Test
    void theBlockIsExactlyCountThenKeyValuePairs() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put(Attributes.BOUNCE_TYPE, "hard");
        a.put(Attributes.BOUNCE_REASON, "é");
        byte[] b = RecordCodec.encodeAttributes(a);
        byte[] expected = concat(new byte[] {2, 11}, "bounce_type".getBytes(StandardCharsets.UTF_8), new byte[] {0, 4},
                "hard".getBytes(StandardCharsets.UTF_8), new byte[] {13}, "bounce_reason".getBytes(StandardCharsets.UTF_8),
                new byte[] {0, 2}, "é".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(expected, b);
        assertEquals(0, RecordCodec.encodeAttributes(Map.of()).length);
    }

    @Test
    void aBlockLargerThanTheExtLimitIsRefused() {
        String fits = "x".repeat(MutableEvent.MAX_EXT - 1 - 3 - 1);
        assertEquals(MutableEvent.MAX_EXT, RecordCodec.encodeAttributes(Map.of("k", fits)).length);
        assertThrows(IllegalArgumentException.class, () -> RecordCodec.encodeAttributes(Map.of("k", fits + "x")));
        assertThrows(IllegalArgumentException.class, () -> RecordCodec.encodeAttributes(Map.of("k".repeat(256), "v")));
    }

    @Test
    void clientIdsAreMarked() {
        EventFields f = new EventFields(UUID.randomUUID(), UUID.randomUUID(), "c", "m", "e", null, null, null);
        EventRecord marked = new EventRecord(UUID.randomUUID(), EventType.SENT, 0, 0, new byte[0], "", f, null,
                Map.of(Attributes.ID_SOURCE, Attributes.ID_SOURCE_CLIENT));
        EventRecord edgeMade = new EventRecord(UUID.randomUUID(), EventType.SENT, 0, 0, new byte[0], "", f, null, Map.of());
        assertTrue(Attributes.hasClientId(marked));
        assertFalse(Attributes.hasClientId(edgeMade));
        assertTrue(EventType.WARMUP_OPEN.isWarmup() && EventType.WARMUP_REPLY.isWarmup() && !EventType.REPLIED.isWarmup());
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
