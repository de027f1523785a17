package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.FieldsCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Which destinations may be signed and redirected to. */
class UrlPolicyTest {

    static final List<String> ALLOWED = List.of(
            "https://example.com",
            "http://example.com",
            "https://example.com/",
            "HTTPS://EXAMPLE.COM/PATH",
            "HtTpS://example.com",
            "HTTP://example.com",
            "https://a",
            "https://example.com:8443/x?y=1&z=2#frag",
            "https://example.com/a@b",
            "https://example.com?next=a@b",
            "https://example.com#@evil.example",
            "http://[::1]:8080/",
            "http://192.0.2.1/",
            "https://example.com/%20%C3%A9",
            "https://example.com/~!$&'()*+,;=:@%",
            "https://xn--bcher-kva.example/",
            "https://example.com/" + "a".repeat(FieldsCodec.MAX_URL - 20));

    static final List<String> REFUSED = List.of(
            "",
            "javascript:alert(1)",
            "JavaScript:alert(document.cookie)",
            "data:text/html,<script>alert(1)</script>",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox",
            "file:///etc/passwd",
            "ftp://example.com/",
            "mailto:a@example.com",
            "//evil.example/",
            "/relative/path",
            "example.com",
            "https:example.com",
            "https:/example.com",
            "https:\\\\evil.example",
            "https:/\\evil.example",
            "https://evil.example\\@good.example/",
            "https://good.example\\.evil.example/",
            "https://user@example.com/",
            "https://user:password@example.com/",
            "https://@example.com/",
            "http://good.example:80@evil.example/",
            "https://example.com/\r\nSet-Cookie: a=b",
            "https://example.com/\rx",
            "https://example.com/\nx",
            "https://example.com/\tx",
            "https://example.com/\u0000",
            "https://exa\u0000mple.com/",
            "https://example.com/\u007f",
            "https://example.com/a b",
            " https://example.com/",
            "https://example.com/ ",
            "https://example.com/é",
            "https://exämple.com/",
            "https://example.com/\u2028",
            "https://",
            "http://",
            "https:///path",
            "https://?q=1",
            "https://#frag",
            "https://:443/",
            "https://example.com/" + "a".repeat(FieldsCodec.MAX_URL - 19));

    @ParameterizedTest
    @FieldSource("ALLOWED")
    void allowed(String url) {
        assertNull(UrlPolicy.check(url), url);
        byte[] b = ("xx" + url + "yy").getBytes(StandardCharsets.UTF_8);
        assertNull(UrlPolicy.check(b, 2, b.length - 4), "with offset: " + url);
    }

    @ParameterizedTest
    @FieldSource("REFUSED")
    void refused(String url) {
        assertNotNull(UrlPolicy.check(url), url);
        byte[] b = ("https://ok.example/" + url + "https://ok.example/").getBytes(StandardCharsets.UTF_8);
        int off = "https://ok.example/".length();
        assertNotNull(UrlPolicy.check(b, off, b.length - 2 * off), "with offset: " + url);
    }

    @Test
    void lengthLimitIsInclusive() {
        String prefix = "https://example.com/";
        assertNull(UrlPolicy.check(prefix + "a".repeat(FieldsCodec.MAX_URL - prefix.length())));
        assertTrue(UrlPolicy.check(prefix + "a".repeat(FieldsCodec.MAX_URL - prefix.length() + 1)).contains("longer"));
    }

    @Test
    void reasonsNameTheProblem() {
        assertTrue(UrlPolicy.check("javascript:x").contains("http"));
        assertTrue(UrlPolicy.check("https://u@h/").contains("user info"));
        assertTrue(UrlPolicy.check("https:///x").contains("no host"));
        assertTrue(UrlPolicy.check("https://h/\n").contains("control"));
        assertTrue(UrlPolicy.check("").contains("empty"));
    }

    @Test
    void everyByteOutsidePrintableAsciiOrBackslashIsRefusedInThePath() {
        for (int c = 0; c < 256; c++) {
            byte[] b = "https://example.com/a?b".getBytes(StandardCharsets.US_ASCII);
            b[20] = (byte) c;
            boolean allowed = c > 0x20 && c < 0x7F && c != '\\';
            assertEquals(allowed, UrlPolicy.check(b, 0, b.length) == null, "byte " + c);
        }
    }

    @Test
    void normalizePercentEncodesSpacesControlsAndNonAscii() {
        assertEquals("https://shop.example/Gr%C3%BC%C3%9Fe?q=a%20b", UrlPolicy.normalize("https://shop.example/Grüße?q=a b"));
        assertEquals("https://e.example/%0D%0A%09%00%7F", UrlPolicy.normalize("https://e.example/\r\n\t\u0000\u007f"));
        assertEquals("https://e.example/%F0%9F%8C%B8", UrlPolicy.normalize("https://e.example/🌸"));
        String untouched = "HTTPS://e.example/%20~!$&'()*+,;=:@?#[]";
        assertEquals(untouched, UrlPolicy.normalize(untouched));
        for (int c = 0x21; c < 0x7F; c++) {
            String s = "https://e.example/" + (char) c;
            assertEquals(s, UrlPolicy.normalize(s));
        }
    }

    /**
     * A lone surrogate has no UTF-8 form: {@code getBytes} wrote {@code ?} for it, so the click
     * was signed for, and redirected to, {@code sale?#top}, a URL nobody wrote (Node writes
     * {@code %EF%BF%BD}). Refused instead, by every String entry point.
     */
    @Test
    void aLoneSurrogateIsRefusedNotTurnedIntoAQuestionMark() {
        String url = "https://shop.example/sale\uD83D#top";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UrlPolicy.normalize(url));
        assertEquals("url contains a lone surrogate (U+D83D) at character 26, which is not Unicode text", e.getMessage());
        assertEquals("URL contains a lone surrogate (U+DC00) at character 20, which is not Unicode text",
                UrlPolicy.check("https://e.example/a\uDC00b"));
        TokenSigner signer = new TokenSigner(new KeyRing(List.of(new SigningKey(1, new byte[32]))));
        EventFields f = new EventFields(new UUID(0, 1), new UUID(0, 2), "c", "m", "e", null, null, null);
        TrackingUrls urls = new TrackingUrls("https://t.example", signer);
        for (boolean inToken : new boolean[] {true, false}) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> urls.click(f, url, inToken))
                    .getMessage().startsWith("url contains a lone surrogate"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> signer.click(f, url, inToken))
                    .getMessage().startsWith("url contains a lone surrogate"));
        }
        // a pair is one character, encoded as usual
        assertEquals("https://e.example/%F0%9F%98%80", UrlPolicy.normalize("https://e.example/\uD83D\uDE00"));
    }

    /** Normalizing makes a URL with spaces or Unicode signable; it does not rescue a forbidden one. */
    @Test
    void normalizeDoesNotBypassThePolicy() {
        assertNull(UrlPolicy.check(UrlPolicy.normalize("https://e.example/ä ö\r\n")));
        for (String bad : List.of("javascript:alert(1)", "//evil.example", "https://u@evil.example", "https://e.example/\\x",
                " javascript:alert(1)", "\nhttps://e.example/", "https://")) {
            assertNotNull(UrlPolicy.check(UrlPolicy.normalize(bad)), bad);
        }
    }

    @Test
    void signerRefusesWhatThePolicyRefuses() {
        TokenSigner signer = new TokenSigner(new KeyRing(List.of(new SigningKey(1, new byte[32]))));
        EventFields f = new EventFields(new UUID(0, 1), new UUID(0, 2), "c", "m", "e", null, null, null);
        for (String url : REFUSED) {
            assertThrows(IllegalArgumentException.class, () -> signer.click(f, url, true), url);
            assertThrows(IllegalArgumentException.class, () -> signer.click(f, url, false), url);
        }
        TrackingUrls urls = new TrackingUrls("https://t.example", signer);
        assertThrows(IllegalArgumentException.class, () -> urls.click(f, "javascript:alert(1)", false));
        assertTrue(urls.click(f, "https://e.example/ä", false).endsWith("?u=https%3A%2F%2Fe.example%2F%25C3%25A4"));
    }
}
