package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventFields;
import io.trackedge.journal.FieldsCodec;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Checks TokenSigner, TokenVerifier and TrackingUrls against docs/tracking-token-vectors.json. */
class TokenVectorsTest {

    static final List<Vectors.Valid> VALID = Vectors.VALID;
    static final List<Vectors.Invalid> INVALID = Vectors.INVALID;
    static final List<Vectors.Accepted> ACCEPTED = Vectors.ACCEPTED;
    static final List<Vectors.Refused> REFUSED_BY_SIGNER = Vectors.REFUSED_BY_SIGNER;
    static final List<Vectors.KeyList> KEY_LISTS = Vectors.KEY_LISTS;

    private final TokenVerifier verifier = new TokenVerifier(KeyRing.parse(Vectors.VERIFY_RING));

    @Test
    void fileCoversTheRequiredCases() {
        Set<String> names = VALID.stream().map(Vectors.Valid::name).collect(Collectors.toSet());
        assertTrue(names.containsAll(List.of("open-minimal", "open-lead-step", "open-unicode", "open-max-strings",
                "click-inline", "click-query", "open-key-200")), names.toString());
        Set<String> reasons = INVALID.stream().map(Vectors.Invalid::reason).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(List.of("bad_signature", "malformed", "unknown_key", "unknown_version", "wrong_kind",
                "url_mismatch")), reasons);
        assertEquals(Set.of(1, 2, 3), VALID.stream().map(Vectors.Valid::kind).collect(Collectors.toSet()));
        assertEquals(Set.of(1, 200), VALID.stream().map(Vectors.Valid::keyId).collect(Collectors.toSet()));
        Set<String> invalid = INVALID.stream().map(Vectors.Invalid::name).collect(Collectors.toSet());
        // the points an outside implementer found the spec silent on (issue 11, defect 4)
        assertTrue(invalid.containsAll(List.of("short-57-bytes-version-2", "nul-in-campaign-signed",
                "invalid-utf8-in-mailbox-signed", "pixel-suffix-upper-case", "query-click-u-without-equals",
                "query-click-u-empty", "query-click-percent-encoded-name", "query-click-semicolon-separator")), invalid.toString());
        assertTrue(ACCEPTED.stream().map(Vectors.Accepted::name).toList()
                .containsAll(List.of("inline-click-u-without-equals", "inline-click-u-empty")));
        assertTrue(KEY_LISTS.stream().map(Vectors.KeyList::name).toList()
                .containsAll(List.of("space-before-colon", "plus-sign", "leading-zeros", "empty-entry", "trailing-comma")));
        assertEquals(Set.of("campaign", "step", "email", "lead", "url"),
                REFUSED_BY_SIGNER.stream().map(Vectors.Refused::field).collect(Collectors.toSet()));
    }

    @Test
    void keySpecsParseToTheListedSecrets() {
        for (Vectors.Key k : Vectors.KEYS.values()) {
            SigningKey parsed = SigningKey.parse(k.spec());
            assertEquals(k.id(), parsed.id());
            assertArrayEquals(k.secret(), parsed.secret());
            assertEquals(k.spec(), parsed.format());
        }
        KeyRing ring = KeyRing.parse(Vectors.VERIFY_RING);
        assertEquals(List.of(1, 200), ring.keys().stream().map(SigningKey::id).toList());
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("VALID")
    void signerReproducesTheToken(Vectors.Valid v) {
        TokenSigner signer = new TokenSigner(Vectors.ring(v.keyId()));
        String token = switch (v.kind()) {
            case 1 -> signer.open(v.fields());
            case 2 -> signer.click(v.fields(), v.url(), true);
            case 3 -> signer.click(v.fields(), v.url(), false);
            default -> throw new AssertionError(v.kind());
        };
        assertEquals(v.token(), token);

        byte[] bytes = Base64.getUrlDecoder().decode(token);
        byte[] tag = Arrays.copyOfRange(bytes, bytes.length - TokenFormat.TAG, bytes.length);
        assertEquals(hex(v.signed()), hex(Arrays.copyOf(bytes, bytes.length - TokenFormat.TAG)));
        assertEquals(hex(v.tag()), hex(tag));
        if (v.kind() == 3) {
            byte[] macInput = Arrays.copyOf(v.signed(), v.signed().length + v.url().length());
            System.arraycopy(v.queryUrl(), 0, macInput, v.signed().length, v.url().length());
            assertEquals(hex(v.macInput()), hex(macInput));
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("VALID")
    void trackingUrlsReproduceThePath(Vectors.Valid v) {
        TrackingUrls urls = new TrackingUrls(Vectors.BASE_URL + "/", new TokenSigner(Vectors.ring(v.keyId())));
        String full = switch (v.kind()) {
            case 1 -> urls.pixel(v.fields());
            case 2 -> urls.click(v.fields(), v.destination(), true);
            case 3 -> urls.click(v.fields(), v.destination(), false);
            default -> throw new AssertionError(v.kind());
        };
        assertEquals(Vectors.BASE_URL + v.path(), full);
        if (v.destination() != null) {
            assertEquals(v.url(), UrlPolicy.normalize(v.destination()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("VALID")
    void verifierAcceptsAndDecodes(Vectors.Valid v) {
        byte[] url = v.queryUrl();
        assertEquals(TokenVerifier.OK, verifier.verify(v.token(), 0, v.token().length(), url, url.length));
        assertEquals(v.tokenKind(), verifier.kind());
        byte[] b = verifier.bytes();
        EventFields decoded = FieldsCodec.decode(b, verifier.fieldsOffset(), verifier.fieldsLength());
        assertEquals(v.fields().withInlineUrl(v.kind() == 2 ? v.url() : null), decoded);
        assertEquals(hex(v.signed()), hex(Arrays.copyOf(b, TokenFormat.HEADER + verifier.fieldsLength())));
        if (v.kind() == 2) {
            assertEquals(v.url(), new String(b, verifier.inlineUrlOffset(), verifier.inlineUrlLength(), StandardCharsets.UTF_8));
        } else {
            assertEquals(0, verifier.inlineUrlOffset());
            assertEquals(0, verifier.inlineUrlLength());
        }
    }

    /** The edge verifies the token where it stands in the request path. */
    @ParameterizedTest(name = "{0}")
    @FieldSource("VALID")
    void verifierAcceptsTheTokenInsideItsPath(Vectors.Valid v) {
        String path = v.path();
        int start = 3;
        int end = v.kind() == 1 ? path.length() - 4 : (path.indexOf('?') < 0 ? path.length() : path.indexOf('?'));
        byte[] url = v.kind() == 3 ? queryU(path).getBytes(StandardCharsets.UTF_8) : new byte[0];
        assertEquals(TokenVerifier.OK, verifier.verify(path, start, end, url, url.length));
        assertEquals(v.tokenKind(), verifier.kind());
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("INVALID")
    void invalidTokensAreRefusedForTheStatedReason(Vectors.Invalid v) {
        assertEquals(v.reason(), decide(verifier, v.route(), v.token(), v.queryUrl()));
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("INVALID")
    void invalidPathsMatchTheirTokens(Vectors.Invalid v) {
        assertEquals(List.of(v.route(), v.token(), String.valueOf(v.queryUrl())), splitPath(v.path()));
    }

    /** Other spellings of a valid vector's request, which the edge must read as that vector (section 9). */
    @ParameterizedTest(name = "{0}")
    @FieldSource("ACCEPTED")
    void acceptedPathsAreReadAsTheirVector(Vectors.Accepted a) {
        Vectors.Valid v = Vectors.valid(a.vector());
        assertEquals(List.of(a.route(), a.token(), String.valueOf(a.queryUrl())), splitPath(a.path()));
        assertEquals(v.token(), a.token());
        assertEquals("ok", decide(verifier, a.route(), a.token(), a.queryUrl()));
        assertEquals(v.tokenKind(), verifier.kind());
    }

    /** The signer refuses what the edge would not store, naming the field (section 3). */
    @ParameterizedTest(name = "{0}")
    @FieldSource("REFUSED_BY_SIGNER")
    void signerRefusesStringsTheEdgeDoesNotStore(Vectors.Refused r) {
        TokenSigner signer = new TokenSigner(Vectors.ring(1));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> {
                    switch (r.kind()) {
                        case 1 -> signer.open(r.fields());
                        case 2 -> signer.click(r.fields(), r.url(), true);
                        default -> signer.click(r.fields(), r.url(), false);
                    }
                });
        assertTrue(e.getMessage().startsWith(r.field() + " contains "), e.getMessage());
    }

    /** The key-list grammar of section 7: a list parses to its ids, or the error names the bad entry. */
    @ParameterizedTest(name = "{0}")
    @FieldSource("KEY_LISTS")
    void keyListsParseOrNameTheBadEntry(Vectors.KeyList k) {
        if (k.ids() != null) {
            assertEquals(k.ids(), KeyRing.parse(k.spec()).keys().stream().map(SigningKey::id).toList());
            return;
        }
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> KeyRing.parse(k.spec()));
        assertTrue(e.getMessage().startsWith("entry " + k.entry() + " of "), e.getMessage());
        for (Vectors.Key key : Vectors.KEYS.values()) {
            String secret = key.spec().substring(key.spec().indexOf(':') + 1);
            assertTrue(!e.getMessage().contains(secret.substring(0, 12)), "the message shows a secret: " + e.getMessage());
        }
    }

    /**
     * A request path read as section 9 says: route, token and the decoded {@code u} ("null" when there
     * is none). The query starts at the first {@code ?}; only {@code &} separates parameters; the
     * first parameter whose raw name is exactly {@code u} and that has an {@code =} is u, even when
     * empty. On {@code /o/} the token ends before a lower-case {@code .gif}; without it, what follows
     * {@code /o/} is all token (and fails to decode).
     */
    static List<String> splitPath(String path) {
        int q = path.indexOf('?');
        String token = path.substring(3, q < 0 ? path.length() : q);
        if (path.startsWith("/o/")) {
            return List.of("open", token.endsWith(".gif") ? token.substring(0, token.length() - 4) : token, "null");
        }
        assertTrue(path.startsWith("/c/"), path);
        String u = null;
        for (String p : q < 0 ? new String[0] : path.substring(q + 1).split("&", -1)) {
            if (p.startsWith("u=")) {
                u = URLDecoder.decode(p.substring(2), StandardCharsets.UTF_8);
                break;
            }
        }
        return List.of("click", token, String.valueOf(u));
    }

    /** What the edge decides for a request, as TrackingHandler does it; "ok" or a reason of the vectors file. */
    static String decide(TokenVerifier verifier, String route, String token, String queryUrl) {
        byte[] u = queryUrl == null || route.equals("open") ? new byte[0] : queryUrl.getBytes(StandardCharsets.UTF_8);
        int r = verifier.verify(token, 0, token.length(), u, u.length);
        if (r != TokenVerifier.OK) {
            assertNull(verifier.kind(), "kind after a failed verification");
            return name(r);
        }
        TokenKind kind = verifier.kind();
        if (route.equals("open")) {
            return kind == TokenKind.OPEN ? "ok" : "wrong_kind";
        }
        if (kind == TokenKind.CLICK) {
            byte[] inline = Arrays.copyOfRange(verifier.bytes(), verifier.inlineUrlOffset(),
                    verifier.inlineUrlOffset() + verifier.inlineUrlLength());
            return u.length == 0 || Arrays.equals(inline, u) ? "ok" : "url_mismatch";
        }
        return kind == TokenKind.CLICK_URL_IN_QUERY && u.length > 0 ? "ok" : "wrong_kind";
    }

    static String name(int result) {
        return switch (result) {
            case TokenVerifier.OK -> "ok";
            case TokenVerifier.MALFORMED -> "malformed";
            case TokenVerifier.UNKNOWN_VERSION -> "unknown_version";
            case TokenVerifier.UNKNOWN_KEY -> "unknown_key";
            case TokenVerifier.BAD_SIGNATURE -> "bad_signature";
            case TokenVerifier.WRONG_KIND -> "wrong_kind";
            default -> throw new AssertionError("result " + result);
        };
    }

    private static String queryU(String path) {
        String query = path.substring(path.indexOf('?') + 1);
        for (String p : query.split("&")) {
            if (p.startsWith("u=")) {
                return URLDecoder.decode(p.substring(2), StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
