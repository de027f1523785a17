package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventFields;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every small change to a valid token, in its bytes, its text or (for kind 3) its destination, is
 * refused. The ring holds keys 1 and 2, so a changed key id can land on a key that exists.
 */
class TokenMutationTest {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static final EventFields FIELDS = new EventFields(UUID.fromString("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"),
            UUID.fromString("11111111-2222-3333-4444-555555555555"), "camp", "box@example.com", "email-1", "lead-9", "s1", null);
    private static final String DESTINATION = "https://example.com/landing?x=1#top";

    private static final KeyRing RING = new KeyRing(List.of(key(1, 0x11), key(2, 0x22)));
    private final TokenVerifier verifier = new TokenVerifier(RING);
    private String token;
    private byte[] url;

    private static SigningKey key(int id, int fill) {
        byte[] s = new byte[32];
        Arrays.fill(s, (byte) fill);
        return new SigningKey(id, s);
    }

    private void sign(TokenKind kind) {
        TokenSigner signer = new TokenSigner(RING);
        token = switch (kind) {
            case OPEN -> signer.open(FIELDS);
            case CLICK -> signer.click(FIELDS, DESTINATION, true);
            case CLICK_URL_IN_QUERY -> signer.click(FIELDS, DESTINATION, false);
        };
        url = kind == TokenKind.CLICK_URL_IN_QUERY ? DESTINATION.getBytes(StandardCharsets.US_ASCII) : new byte[0];
        assertEquals(TokenVerifier.OK, verify(token, url));
        assertEquals(kind, verifier.kind());
    }

    private int verify(String text, byte[] u) {
        int r = verifier.verify(text, 0, text.length(), u, u.length);
        if (r != TokenVerifier.OK) {
            assertNull(verifier.kind(), "kind() after a refusal");
        }
        return r;
    }

    @BeforeEach
    void warmUp() {
        // A verifier that has just accepted a token must not carry anything over to the next one.
        sign(TokenKind.OPEN);
    }

    @ParameterizedTest
    @EnumSource(TokenKind.class)
    void everySingleByteChangeIsRefused(TokenKind kind) {
        sign(kind);
        byte[] b = Base64.getUrlDecoder().decode(token);
        int tagAt = b.length - TokenFormat.TAG;
        int tried = 0;
        for (int i = 0; i < b.length; i++) {
            byte original = b[i];
            for (int v = 0; v < 256; v++) {
                if ((byte) v == original) {
                    continue;
                }
                b[i] = (byte) v;
                int r = verify(Base64.getUrlEncoder().withoutPadding().encodeToString(b), url);
                String where = "byte " + i + " = " + v;
                if (i == 0) {
                    assertEquals(TokenVerifier.UNKNOWN_VERSION, r, where);
                } else if (i == 2) {
                    assertEquals(v == 1 || v == 2 ? TokenVerifier.BAD_SIGNATURE : TokenVerifier.UNKNOWN_KEY, r, where);
                } else if (i >= tagAt) {
                    assertEquals(TokenVerifier.BAD_SIGNATURE, r, where);
                } else {
                    assertTrue(r == TokenVerifier.MALFORMED || r == TokenVerifier.BAD_SIGNATURE,
                            where + ": " + TokenVerifier.describe(r));
                }
                tried++;
            }
            b[i] = original;
        }
        assertEquals(b.length * 255, tried);
        assertEquals(TokenVerifier.OK, verify(token, url));
    }

    @ParameterizedTest
    @EnumSource(TokenKind.class)
    void everyCharacterSubstitutionIsRefused(TokenKind kind) {
        sign(kind);
        char[] t = token.toCharArray();
        String others = "=+/.%~ !*\t\n\0é€\uFF21\u0661";
        for (int i = 0; i < t.length; i++) {
            char original = t[i];
            for (char c : (ALPHABET + others).toCharArray()) {
                if (c == original) {
                    continue;
                }
                t[i] = c;
                int r = verify(new String(t), url);
                assertNotEquals(TokenVerifier.OK, r, "char " + i + " = " + c);
                if (others.indexOf(c) >= 0) {
                    assertEquals(TokenVerifier.MALFORMED, r, "char " + i + " = " + c);
                }
            }
            t[i] = original;
        }
        assertEquals(TokenVerifier.OK, verify(new String(t), url));
    }

    @ParameterizedTest
    @EnumSource(TokenKind.class)
    void everyTruncationIsRefused(TokenKind kind) {
        sign(kind);
        for (int len = 0; len < token.length(); len++) {
            assertNotEquals(TokenVerifier.OK, verify(token.substring(0, len), url), "first " + len + " chars");
            assertNotEquals(TokenVerifier.OK, verify(token.substring(token.length() - len), url), "last " + len + " chars");
        }
        byte[] b = Base64.getUrlDecoder().decode(token);
        for (int len = 0; len < b.length; len++) {
            String cut = Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(b, len));
            assertNotEquals(TokenVerifier.OK, verify(cut, url), "first " + len + " bytes");
        }
    }

    @ParameterizedTest
    @EnumSource(TokenKind.class)
    void anythingAppendedIsRefused(TokenKind kind) {
        sign(kind);
        for (char c : (ALPHABET + "=.%/+ ").toCharArray()) {
            assertNotEquals(TokenVerifier.OK, verify(token + c, url), "appended " + c);
            assertNotEquals(TokenVerifier.OK, verify(token + c + c, url), "appended " + c + c);
            assertNotEquals(TokenVerifier.OK, verify(token + "AAA" + c, url), "appended AAA" + c);
            assertNotEquals(TokenVerifier.OK, verify(c + token, url), "prepended " + c);
        }
        byte[] b = Base64.getUrlDecoder().decode(token);
        for (int v = 0; v < 256; v++) {
            byte[] longer = Arrays.copyOf(b, b.length + 1);
            longer[b.length] = (byte) v;
            assertEquals(TokenVerifier.MALFORMED, verify(Base64.getUrlEncoder().withoutPadding().encodeToString(longer), url),
                    "appended byte " + v);
        }
    }

    @ParameterizedTest
    @EnumSource(TokenKind.class)
    void anUnchangedTokenStillVerifiesWithinALongerText(TokenKind kind) {
        sign(kind);
        String path = "/c/" + token + "?u=x";
        assertEquals(TokenVerifier.OK, verifier.verify(path, 3, 3 + token.length(), url, url.length));
        assertNotEquals(TokenVerifier.OK, verifier.verify(path, 3, 4 + token.length(), url, url.length));
        assertNotEquals(TokenVerifier.OK, verifier.verify(path, 2, 3 + token.length(), url, url.length));
    }

    @org.junit.jupiter.api.Test
    void everyChangeToAQueryDestinationIsRefused() {
        sign(TokenKind.CLICK_URL_IN_QUERY);
        byte[] u = url.clone();
        for (int i = 0; i < u.length; i++) {
            byte original = u[i];
            for (int v = 0; v < 256; v++) {
                if ((byte) v == original) {
                    continue;
                }
                u[i] = (byte) v;
                assertEquals(TokenVerifier.BAD_SIGNATURE, verify(token, u), "url byte " + i + " = " + v);
            }
            u[i] = original;
        }
        for (int len = 0; len < u.length; len++) {
            assertEquals(TokenVerifier.BAD_SIGNATURE, verify(token, Arrays.copyOf(u, len)), "url cut to " + len);
        }
        for (int v = 0; v < 256; v++) {
            byte[] longer = Arrays.copyOf(u, u.length + 1);
            longer[u.length] = (byte) v;
            assertEquals(TokenVerifier.BAD_SIGNATURE, verify(token, longer), "url + byte " + v);
            byte[] front = new byte[u.length + 1];
            front[0] = (byte) v;
            System.arraycopy(u, 0, front, 1, u.length);
            assertEquals(TokenVerifier.BAD_SIGNATURE, verify(token, front), "byte " + v + " + url");
        }
        assertEquals(TokenVerifier.OK, verify(token, u));
    }

    /** The destination is ignored for kinds 1 and 2: their tag does not cover it. */
    @ParameterizedTest
    @EnumSource(value = TokenKind.class, names = {"OPEN", "CLICK"})
    void aQueryDestinationDoesNotAffectOtherKinds(TokenKind kind) {
        sign(kind);
        byte[] other = "https://evil.example/".getBytes(StandardCharsets.US_ASCII);
        assertEquals(TokenVerifier.OK, verify(token, other));
        assertEquals(kind, verifier.kind());
    }
}
