package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.testing.FuzzTally;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing of the redirect check ({@link UrlPolicy#check}). Invariants: it never
 * throws, gives the same answer for the same bytes at any offset, and anything it accepts is an
 * absolute {@code http}/{@code https} URL with a host, no user info, at most 2048 bytes, and no
 * byte at or below 0x20, at or above 0x7F, or a backslash. Seeds:
 * {@code src/test/resources/io/trackedge/token/UrlPolicyFuzzTestInputs/check/}.
 */
class UrlPolicyFuzzTest {

    private static final String SUITE = "UrlPolicyFuzzTest";
    private static final FuzzTally TALLY = new FuzzTally("url-policy", SUITE, "UrlPolicy.check on arbitrary bytes");

    @AfterAll
    static void report() {
        TALLY.write(SUITE);
    }

    @FuzzTest(maxDuration = "60s")
    void check(byte[] url) {
        String reason = UrlPolicy.check(url, 0, url.length);
        byte[] framed = new byte[url.length + 6];
        System.arraycopy("ab\\\r".getBytes(StandardCharsets.ISO_8859_1), 0, framed, 0, 4);
        System.arraycopy(url, 0, framed, 4, url.length);
        framed[framed.length - 2] = '\\';
        framed[framed.length - 1] = ' ';
        assertEquals(reason == null, UrlPolicy.check(framed, 4, url.length) == null, "same answer at an offset");
        if (reason != null) {
            TALLY.count("refused");
            return;
        }
        TALLY.count("accepted, invariants hold");
        assertTrue(url.length >= 1 && url.length <= FieldsCodec.MAX_URL, "length");
        for (byte b : url) {
            int c = b & 0xFF;
            assertTrue(c > 0x20 && c < 0x7F && c != '\\', "byte " + c);
        }
        String s = new String(url, StandardCharsets.US_ASCII);
        String lower = s.toLowerCase(java.util.Locale.ROOT);
        int hostStart = lower.startsWith("https://") ? 8 : lower.startsWith("http://") ? 7 : -1;
        assertTrue(hostStart > 0, "scheme: " + s);
        int hostEnd = hostStart;
        while (hostEnd < s.length() && "/?#".indexOf(s.charAt(hostEnd)) < 0) {
            hostEnd++;
        }
        String authority = s.substring(hostStart, hostEnd);
        assertTrue(!authority.isEmpty() && !authority.startsWith(":"), "host: " + s);
        assertTrue(authority.indexOf('@') < 0, "user info: " + s);
    }
}
