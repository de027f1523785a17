package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.http.Responses;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.EventRecord;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.testing.HostileReport;
import io.trackedge.testing.LeakWatch;
import io.trackedge.testing.RawHttp;
import io.trackedge.testing.TestEdge;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile tokens and redirect targets over real sockets, adding to the unit tests
 * ({@link TokenMutationTest}, {@link KeyRotationTest}, {@link UrlPolicyTest}) what they do not
 * cover: every bit of a pixel and a click token flipped on the wire, tokens correctly signed but
 * with an old version byte or an unknown key id, another tenant's bytes spliced into a valid token,
 * replayed click tokens with another destination, and open-redirect attempts signed with the
 * edge's own key (so only the edge's URL check stands between them and a redirect): Unicode
 * look-alikes, over-long URLs, duplicated and re-encoded {@code u} parameters. Never a 302
 * anywhere but the signed destination; a pixel is always the GIF and records nothing.
 */
class HostileTokensTest {

    private static final String SUITE = "HostileTokensTest";
    private static final String TOKENS = "tokens";
    private static final String REDIRECT = "open-redirect";
    private static final UUID OTHER_TENANT = UUID.fromString("9b2f7c1e-0d4a-4e8b-a3c5-1f6e2d7c8b90");

    private static TestEdge edge;
    private static LeakWatch watch;
    private static RawHttp client;
    /** Emails of tokens that were tampered with: none may be journaled. */
    private static final List<String> tampered = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        watch = LeakWatch.start();
        edge = TestEdge.start();
        client = new RawHttp(edge.port());
        HostileReport.begin(TOKENS, SUITE, "every bit flipped, truncated, extended, old version byte, unknown key id, "
                + "another tenant's bytes or tag spliced in, wrong kind (pixel and click tokens on the wire)");
        HostileReport.begin(REDIRECT, SUITE, "javascript:, data:, //host, backslashes, user info, CR/LF, NUL, Unicode look-alikes "
                + "(fullwidth solidus, U+2215, homographs), over-long URLs, swapped/duplicated/re-encoded u, all signed with the edge's key");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (client != null) {
                client.close();
            }
            if (edge != null) {
                List<EventRecord> events = edge.journalEvents();
                for (String email : tampered) {
                    assertTrue(events.stream().noneMatch(e -> e.fields().email().equals(email)), "tampered token journaled: " + email);
                }
                edge.close();
            }
            HostileReport.write(SUITE);
            watch.assertClean();
        } finally {
            watch.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static EventFields fields(String email) {
        return TestEdge.fields(email);
    }

    private static EventFields fields(UUID tenant, String email) {
        return new EventFields(tenant, TestEdge.USER, "camp-1", "mbox-1", email, "lead-1", "step-2", null);
    }

    private static RawHttp.Response get(String path) throws Exception {
        try {
            return client.get(path);
        } catch (java.io.IOException e) {
            // The edge closed the kept connection (a request it would not read): go on with a new one.
            client.close();
            client = new RawHttp(edge.port());
            throw e;
        }
    }

    /** A pixel that must not count: the GIF, no event. */
    private static void assertPixelIgnored(String hostileClass, String path) throws Exception {
        RawHttp.Response r = get(path);
        HostileReport.count(hostileClass, r.status() == 200 ? "GIF, not recorded" : r.status() + " (not the GIF)");
        assertEquals(200, r.status(), path);
        assertArrayEquals(Responses.GIF, r.body(), path);
    }

    /** A click that must not redirect: 400, no Location. */
    private static void assertNoRedirect(String hostileClass, String path) throws Exception {
        RawHttp.Response r = get(path);
        HostileReport.count(hostileClass, r.status() == 302 ? "302 to " + r.header("location") : r.status() + ", no redirect");
        assertEquals(400, r.status(), path);
        assertNull(r.header("location"), path);
    }

    /** A click that must redirect exactly to {@code signed}. */
    private static void assertRedirectsOnlyTo(String hostileClass, String path, String signed) throws Exception {
        RawHttp.Response r = get(path);
        HostileReport.count(hostileClass, r.status() == 302 && signed.equals(r.header("location")) ? "302 to the signed URL"
                : r.status() + " " + r.header("location"));
        assertEquals(302, r.status(), path);
        assertEquals(signed, r.header("location"), path);
    }

    private static byte[] decode(String token) {
        return Base64.getUrlDecoder().decode(token);
    }

    private static String encode(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Signs {@code header || block} (and {@code extra} for kind 3) with {@code key}: a token any byte of whose header may be odd. */
    private static String signAnyHeader(int version, int kind, int keyId, SigningKey key, byte[] block, byte[] extra) {
        byte[] t = new byte[TokenFormat.HEADER + block.length + TokenFormat.TAG];
        t[0] = (byte) version;
        t[1] = (byte) kind;
        t[2] = (byte) keyId;
        System.arraycopy(block, 0, t, TokenFormat.HEADER, block.length);
        byte[] mac = new byte[32];
        new HmacSha256(key.secret()).mac(t, 0, TokenFormat.HEADER + block.length, extra, 0, extra.length, mac, 0);
        System.arraycopy(mac, 0, t, TokenFormat.HEADER + block.length, TokenFormat.TAG);
        return encode(t);
    }

    private static String pixelToken(String email) {
        String p = edge.pixelPath(email);
        return p.substring(3, p.length() - 4);
    }

    private static String q(String url) {
        return URLEncoder.encode(url, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- tokens

    @Test
    void everyBitOfAPixelAndAClickTokenFlippedOnTheWireIsRefused() throws Exception {
        tampered.add("flip-px");
        tampered.add("flip-click");
        byte[] px = decode(pixelToken("flip-px"));
        String click = edge.clickPath("flip-click", "https://example.com/flip", true);
        byte[] ck = decode(click.substring(3));
        for (int bit = 0; bit < px.length * 8; bit++) {
            byte[] b = px.clone();
            b[bit / 8] ^= (byte) (1 << (bit % 8));
            assertPixelIgnored(TOKENS, "/o/" + encode(b) + ".gif");
        }
        for (int bit = 0; bit < ck.length * 8; bit++) {
            byte[] b = ck.clone();
            b[bit / 8] ^= (byte) (1 << (bit % 8));
            assertNoRedirect(TOKENS, "/c/" + encode(b));
        }
        // The untouched tokens still work (for fresh emails: the flipped ones must stay unrecorded).
        RawHttp.Response ok = get(edge.clickPath("flip-click-ok", "https://example.com/flip", true));
        assertEquals(302, ok.status());
        assertEquals("https://example.com/flip", ok.header("location"));
    }

    @Test
    void truncatedAndExtendedTokensAreRefused() throws Exception {
        tampered.add("cut-px");
        tampered.add("cut-click");
        String px = pixelToken("cut-px");
        String ck = edge.clickPath("cut-click", "https://example.com/cut", true).substring(3);
        for (int len = 0; len < px.length(); len += 3) {
            assertPixelIgnored(TOKENS, "/o/" + px.substring(0, len) + ".gif");
        }
        for (int len = 0; len < ck.length(); len += 3) {
            assertNoRedirect(TOKENS, "/c/" + ck.substring(0, len));
        }
        for (String more : List.of("A", "AA", "AAA", "AAAA", "-", "_", "Q", "w", ck.substring(0, 8), ck)) {
            assertPixelIgnored(TOKENS, "/o/" + px + more + ".gif");
            assertNoRedirect(TOKENS, "/c/" + ck + more);
            assertNoRedirect(TOKENS, "/c/" + more + ck);
        }
        // Bytes appended before base64, so the text is canonical: still refused.
        byte[] b = decode(ck);
        for (int n = 1; n <= 3; n++) {
            assertNoRedirect(TOKENS, "/c/" + encode(Arrays.copyOf(b, b.length + n)));
        }
    }

    @Test
    void correctlySignedTokensWithAnOldVersionOrAnUnknownKeyAreRefused() throws Exception {
        SigningKey real = TestEdge.KEYS.signingKey();
        SigningKey unknownSecret = new SigningKey(real.id(), new byte[32]);
        for (String email : List.of("ver-px", "ver-click")) {
            tampered.add(email);
        }
        byte[] pxBlock = FieldsCodec.encode(fields("ver-px"));
        byte[] ckBlock = FieldsCodec.encode(fields("ver-click").withInlineUrl("https://example.com/v"));
        for (int version : new int[] {0, 2, 0x7f, 0x80, 0xff}) {
            TokenVerifier v = new TokenVerifier(TestEdge.KEYS);
            String t = signAnyHeader(version, TokenKind.OPEN.code(), real.id(), real, pxBlock, new byte[0]);
            assertEquals(TokenVerifier.UNKNOWN_VERSION, v.verify(t, 0, t.length(), new byte[0], 0));
            assertPixelIgnored(TOKENS, "/o/" + t + ".gif");
            assertNoRedirect(TOKENS, "/c/" + signAnyHeader(version, TokenKind.CLICK.code(), real.id(), real, ckBlock, new byte[0]));
        }
        for (int keyId : new int[] {0, 1, 6, 8, 255}) {
            // Signed with the real secret but naming a key the edge does not have.
            assertPixelIgnored(TOKENS, "/o/" + signAnyHeader(1, TokenKind.OPEN.code(), keyId, real, pxBlock, new byte[0]) + ".gif");
            assertNoRedirect(TOKENS, "/c/" + signAnyHeader(1, TokenKind.CLICK.code(), keyId, real, ckBlock, new byte[0]));
        }
        // The edge's key id with another secret.
        assertPixelIgnored(TOKENS, "/o/" + signAnyHeader(1, TokenKind.OPEN.code(), real.id(), unknownSecret, pxBlock, new byte[0]) + ".gif");
        assertNoRedirect(TOKENS, "/c/" + signAnyHeader(1, TokenKind.CLICK.code(), real.id(), unknownSecret, ckBlock, new byte[0]));
        // Unknown and swapped kinds, correctly signed: a pixel token is no click and a click token no pixel.
        for (int kind : new int[] {0, 4, 0xff}) {
            assertPixelIgnored(TOKENS, "/o/" + signAnyHeader(1, kind, real.id(), real, pxBlock, new byte[0]) + ".gif");
            assertNoRedirect(TOKENS, "/c/" + signAnyHeader(1, kind, real.id(), real, ckBlock, new byte[0]));
        }
        assertNoRedirect(TOKENS, "/c/" + pixelToken("ver-px"));
        assertPixelIgnored(TOKENS, "/o/" + edge.clickPath("ver-click", "https://example.com/v", true).substring(3) + ".gif");
    }

    @Test
    void anotherTenantsBytesOrSignatureSplicedIntoAValidTokenAreRefused() throws Exception {
        tampered.add("splice-a");
        tampered.add("splice-b");
        byte[] a = decode(pixelToken("splice-a"));
        String bPath = new TrackingUrls("http://t.example", new TokenSigner(TestEdge.KEYS)).pixel(fields(OTHER_TENANT, "splice-b"));
        byte[] b = decode(bPath.substring("http://t.example/o/".length(), bPath.length() - 4));
        assertEquals(a.length, b.length);
        int tag = a.length - TokenFormat.TAG;
        List<byte[]> spliced = new ArrayList<>();
        // A's token with B's tenant (bytes 3..19), with B's tag, with B's tenant and tag, and every other mix of halves.
        byte[] aWithBTenant = a.clone();
        System.arraycopy(b, 3, aWithBTenant, 3, 16);
        spliced.add(aWithBTenant);
        byte[] aWithBTag = a.clone();
        System.arraycopy(b, tag, aWithBTag, tag, TokenFormat.TAG);
        spliced.add(aWithBTag);
        byte[] bTenantAndTag = aWithBTenant.clone();
        System.arraycopy(b, tag, bTenantAndTag, tag, TokenFormat.TAG);
        spliced.add(bTenantAndTag);
        for (int cut = 1; cut < a.length; cut += 7) {
            byte[] mix = a.clone();
            System.arraycopy(b, cut, mix, cut, a.length - cut);
            if (!Arrays.equals(mix, b)) {
                spliced.add(mix);
            }
            byte[] mix2 = b.clone();
            System.arraycopy(a, cut, mix2, cut, a.length - cut);
            if (!Arrays.equals(mix2, a)) {
                spliced.add(mix2);
            }
        }
        TokenVerifier v = new TokenVerifier(TestEdge.KEYS);
        for (byte[] s : spliced) {
            String t = encode(s);
            assertTrue(v.verify(t, 0, t.length(), new byte[0], 0) != TokenVerifier.OK);
            assertPixelIgnored(TOKENS, "/o/" + t + ".gif");
        }
        // B's token as it was signed is fine: the splices, not the tenant, are refused.
        assertEquals(TokenVerifier.OK, v.verify(encode(b), 0, encode(b).length(), new byte[0], 0));
    }

    // ---------------------------------------------------------------- open redirects

    @Test
    void replayedClickTokensRedirectOnlyToTheirOwnSignedUrl() throws Exception {
        String good = "https://good.example/offer?id=1";
        String other = "https://good.example/other";
        String evil = "https://evil.example/";
        String k3 = edge.clickPath("replay-q", good, false);
        String k3token = k3.substring(0, k3.indexOf('?'));
        String k3other = edge.clickPath("replay-q2", other, false);
        String k2 = edge.clickPath("replay-i", good, true);
        // Replays are redirected (tokens do not expire; each is recorded) but only to the signed URL.
        for (int i = 0; i < 3; i++) {
            assertRedirectsOnlyTo(REDIRECT, k3, good);
            assertRedirectsOnlyTo(REDIRECT, k2, good);
        }
        // Another (valid) click's u, or any other u, with this token: refused.
        assertNoRedirect(REDIRECT, k3token + k3other.substring(k3other.indexOf('?')));
        assertNoRedirect(REDIRECT, k3token + "?u=" + q(evil));
        assertNoRedirect(REDIRECT, k3token + "?u=" + q(good.toUpperCase()));
        assertNoRedirect(REDIRECT, k3token + "?u=" + q(good + "/"));
        assertNoRedirect(REDIRECT, k3token + "?u=" + q(good.substring(0, good.length() - 1)));
        assertNoRedirect(REDIRECT, k2 + "?u=" + q(evil));
        assertNoRedirect(REDIRECT, k3token);
        // The first u counts: a second one cannot override it, and an evil first one is refused.
        assertRedirectsOnlyTo(REDIRECT, k3 + "&u=" + q(evil), good);
        assertNoRedirect(REDIRECT, k3token + "?u=" + q(evil) + "&u=" + q(good));
        assertRedirectsOnlyTo(REDIRECT, k3token + "?x=1&u=" + q(good) + "&u=" + q(evil), good);
        // The same URL spelled another way on the wire is the same bytes: redirected to the signed text, not the wire text.
        StringBuilder allEscaped = new StringBuilder();
        for (byte c : good.getBytes(StandardCharsets.US_ASCII)) {
            allEscaped.append('%').append(String.format("%02x", c));
        }
        assertRedirectsOnlyTo(REDIRECT, k3token + "?u=" + allEscaped, good);
        assertRedirectsOnlyTo(REDIRECT, k3token + "?u=" + good.replace("?", "%3F").replace("=", "%3d"), good);
        // Another tenant's valid click token, replayed: goes to its own destination only.
        String bClick = new TrackingUrls("http://t.example", new TokenSigner(TestEdge.KEYS))
                .click(fields(OTHER_TENANT, "replay-b"), other, false).substring("http://t.example".length());
        assertRedirectsOnlyTo(REDIRECT, bClick, other);
        assertNoRedirect(REDIRECT, bClick.substring(0, bClick.indexOf('?')) + "?u=" + q(good));
    }

    @Test
    void signedButUnsafeDestinationsAreNeverRedirectedTo() throws Exception {
        EventFields f = fields("redirect-unsafe");
        tampered.add("redirect-unsafe");
        List<String> unsafe = List.of(
                "javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
                "javascript://example.com/%0aalert(1)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:x", "file:///etc/passwd",
                "//evil.example/", "///evil.example/", "/\\evil.example/", "\\\\evil.example", "https:evil.example",
                "https:/evil.example", "https:\\\\evil.example", "https:/\\evil.example", "http:///evil.example",
                "https://evil.example\\@good.example/", "https://good.example\\.evil.example/",
                "https://user@evil.example/", "https://good.example@evil.example/", "https://good.example:443@evil.example/",
                "https://good.example%40evil.example@evil.example/", "https://@evil.example",
                "https://good.example/\r\nLocation: https://evil.example/", "https://good.example/\rx", "https://good.example/\nx",
                "https://good.example/\u0000", "https://evil.example\u0000.good.example/",
                "https:\uff0f\uff0fevil.example/", "https://evil.example\uff0fgood.example", "https:\u2215\u2215evil.example/",
                "https://evil.example\u2215good.example/", "https://ex\u0430mple.com/", "https://\u0440\u0430\u0443\u0440\u0430l.com/",
                "https://evil.example\u3002com/", "https://good.example\u2044@evil.example", "\u2028https://good.example/",
                "https://good.example/\u00a0", "https://good.example/" + "a".repeat(FieldsCodec.MAX_URL - 19), "", "https://");
        for (String url : unsafe) {
            byte[] raw = url.getBytes(StandardCharsets.UTF_8);
            if (raw.length > 0 && raw.length <= FieldsCodec.MAX_URL) {
                assertNoRedirect(REDIRECT, "/c/" + UnsafeTokens.inlineClick(TestEdge.KEYS, f, url));
            }
            // In the query, signed over the exact bytes, sent percent-encoded (else the request line could not carry them).
            if (raw.length > 0) {
                StringBuilder u = new StringBuilder();
                for (byte c : raw) {
                    u.append('%').append(String.format("%02X", c & 0xFF));
                }
                assertNoRedirect(REDIRECT, "/c/" + UnsafeTokens.queryClick(TestEdge.KEYS, f, raw) + "?u=" + u);
            }
        }
        // Over-long: a block whose inline URL says 2049 bytes, signed: malformed, refused.
        byte[] block = FieldsCodec.encode(f.withInlineUrl("https://good.example/" + "a".repeat(FieldsCodec.MAX_URL - 21)));
        ByteBuffer longer = ByteBuffer.allocate(block.length + 1).put(block).put((byte) 'a');
        longer.putShort(block.length - FieldsCodec.MAX_URL - 2, (short) (FieldsCodec.MAX_URL + 1));
        assertNoRedirect(REDIRECT, "/c/" + UnsafeTokens.sign(TestEdge.KEYS.signingKey(), TokenKind.CLICK, longer.array(), new byte[0]));
        // And a u of 100 KiB: the request line is too long (414), no redirect either.
        RawHttp.Response r;
        try (RawHttp c = new RawHttp(edge.port())) {
            r = c.get(edge.clickPath("redirect-long", "https://good.example/", false) + "&u=" + "a".repeat(100_000));
        }
        HostileReport.count(REDIRECT, r.status() + ", no redirect");
        assertEquals(414, r.status());
        assertNull(r.header("location"));
    }

    @Test
    void percentEncodedControlsInASignedUrlStayEncodedInTheLocation() throws Exception {
        // A signer may sign %0D%0A (ASCII): the Location carries the escape itself, never a line break.
        String url = "https://good.example/a%0D%0ASet-Cookie:%20x=1";
        RawHttp.Response r = get(edge.clickPath("redirect-escaped", url, false));
        HostileReport.count(REDIRECT, r.status() == 302 && url.equals(r.header("location")) ? "302 to the signed URL" : r.status() + "");
        assertEquals(302, r.status());
        assertEquals(url, r.header("location"));
        assertNull(r.header("set-cookie"));
        // Punycode is ASCII: a signed xn-- host is the signer's choice, redirected to as signed.
        assertRedirectsOnlyTo(REDIRECT, edge.clickPath("redirect-idn", "https://xn--exmple-cua.com/", true), "https://xn--exmple-cua.com/");
        // A Unicode destination given to the toolkit is percent-encoded before signing, never sent raw.
        assertRedirectsOnlyTo(REDIRECT, edge.clickPath("redirect-uni", "https://good.example/\uff0fx", true),
                "https://good.example/%EF%BC%8Fx");
    }
}
