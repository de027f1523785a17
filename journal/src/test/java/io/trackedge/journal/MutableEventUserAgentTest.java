package io.trackedge.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** {@link MutableEvent#userAgent}: UTF-8, cut at {@link MutableEvent#MAX_USER_AGENT} bytes on a character boundary. */
class MutableEventUserAgentTest {

    private static final int MAX = MutableEvent.MAX_USER_AGENT;

    private static String stored(MutableEvent e) {
        return new String(e.userAgentBytes(), 0, e.userAgentLength(), StandardCharsets.UTF_8);
    }

    @Test
    void asciiThatFitsIsStoredAsItIs() {
        MutableEvent e = new MutableEvent();
        assertFalse(e.userAgent("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"));
        assertEquals("Mozilla/5.0 (Windows NT 10.0; Win64; x64)", stored(e));
        assertFalse(e.userAgent(""));
        assertEquals("", stored(e));
        assertFalse(e.userAgent("x".repeat(MAX)));
        assertEquals("x".repeat(MAX), stored(e));
    }

    @Test
    void asciiPastTheLimitIsCutAtTheLimit() {
        MutableEvent e = new MutableEvent();
        assertTrue(e.userAgent("y".repeat(MAX + 1)));
        assertEquals("y".repeat(MAX), stored(e));
        assertTrue(e.userAgent("z".repeat(5 * MAX)));
        assertEquals("z".repeat(MAX), stored(e));
    }

    @Test
    void charactersPastAsciiAreStoredAsUtf8WhereverTheyStand() {
        MutableEvent e = new MutableEvent();
        for (String ua : new String[] {"é", "Café/1.0", "a\u00ffb", "Ωmega/2 \u4e2d\u6587", "emoji \ud83d\ude00 end", "x".repeat(300) + "ü"}) {
            assertFalse(e.userAgent(ua), ua);
            assertEquals(ua, stored(e));
            assertEquals(ua.getBytes(StandardCharsets.UTF_8).length, e.userAgentLength(), ua);
        }
    }

    @Test
    void aCutNeverSplitsACharacter() {
        MutableEvent e = new MutableEvent();
        // 511 ASCII bytes leave one byte: a two-byte character does not fit and is left out whole.
        assertTrue(e.userAgent("a".repeat(MAX - 1) + "é" + "b"));
        assertEquals("a".repeat(MAX - 1), stored(e));
        // 509 bytes leave three: a four-byte emoji is left out, the two-byte one before it stays.
        assertTrue(e.userAgent("c".repeat(MAX - 5) + "é" + "\ud83d\ude00"));
        assertEquals("c".repeat(MAX - 5) + "é", stored(e));
        // exactly full with a character past ASCII last: not cut
        assertFalse(e.userAgent("d".repeat(MAX - 2) + "é"));
        assertEquals("d".repeat(MAX - 2) + "é", stored(e));
    }

    @Test
    void aLongValueAfterShortOnesInTheSameSlotIsWhole() {
        MutableEvent e = new MutableEvent();
        assertFalse(e.userAgent("short"));
        String long1 = "L".repeat(400) + "ñ";
        assertFalse(e.userAgent(long1));
        assertEquals(long1, stored(e));
        assertFalse(e.userAgent("short again"));
        assertEquals("short again", stored(e));
    }
}
