package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.trackedge.journal.EventFields;
import io.trackedge.journal.FieldsCodec;
import io.trackedge.testing.FuzzTally;
import io.trackedge.testing.TestEdge;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing of the token decoder ({@link TokenVerifier#verify}) on arbitrary text.
 * The input is the token text (ISO-8859-1), then optionally a NUL byte and the destination bytes a
 * kind-3 token's tag must cover. Invariants: verify never throws; a refusal leaves no kind; an
 * {@code OK} is only ever given for a token whose canonical re-encoding is exactly the input text,
 * whose field block decodes, and whose inline URL (kind 2) lies inside the token. The keys are
 * {@link TestEdge#KEYS}; the seeds ({@code TokenVerifierFuzzTestInputs/verify/}) include valid
 * tokens of each kind, so the fuzzer starts past the signature.
 */
class TokenVerifierFuzzTest {

    private static final String SUITE = "TokenVerifierFuzzTest";
    private static final FuzzTally TALLY = new FuzzTally("token-verify", SUITE, "TokenVerifier.verify on arbitrary text and URL bytes");
    private static final TokenVerifier VERIFIER = new TokenVerifier(TestEdge.KEYS);

    @AfterAll
    static void report() {
        TALLY.write(SUITE);
    }

    @FuzzTest(maxDuration = "60s")
    void verify(byte[] input) {
        int nul = indexOf(input, (byte) 0);
        String text = new String(input, 0, nul < 0 ? input.length : nul, StandardCharsets.ISO_8859_1);
        byte[] url = nul < 0 ? new byte[0] : Arrays.copyOfRange(input, nul + 1, input.length);
        // Inside a longer text, as the edge calls it (the token between "/c/" and "?").
        String path = "/c/" + text + "?u=x";
        int r = VERIFIER.verify(path, 3, 3 + text.length(), url, url.length);
        if (r != TokenVerifier.OK) {
            TALLY.count(TokenVerifier.describe(r));
            assertNull(VERIFIER.kind(), "kind after a refusal");
            return;
        }
        TALLY.count("ok (a signed token: re-encodes to the input exactly)");
        TokenKind kind = VERIFIER.kind();
        assertNotNull(kind);
        int length = TokenFormat.HEADER + VERIFIER.fieldsLength() + TokenFormat.TAG;
        byte[] token = Arrays.copyOf(VERIFIER.bytes(), length);
        assertEquals(text, Base64Url.encode(token), "OK only for the canonical encoding of the verified bytes");
        EventFields f = FieldsCodec.decode(token, VERIFIER.fieldsOffset(), VERIFIER.fieldsLength());
        assertNotNull(f.tenant());
        if (kind == TokenKind.CLICK) {
            assertTrue(VERIFIER.inlineUrlOffset() > TokenFormat.HEADER);
            assertTrue(VERIFIER.inlineUrlOffset() + VERIFIER.inlineUrlLength() <= length - TokenFormat.TAG);
            assertEquals(f.inlineUrl(), new String(token, VERIFIER.inlineUrlOffset(), VERIFIER.inlineUrlLength(), StandardCharsets.UTF_8));
        } else {
            assertEquals(0, VERIFIER.inlineUrlLength());
            assertNull(f.inlineUrl());
        }
        // Verifying the same input again gives the same answer: nothing carries over.
        assertEquals(TokenVerifier.OK, VERIFIER.verify(text, 0, text.length(), url, url.length));
    }

    private static int indexOf(byte[] b, byte v) {
        for (int i = 0; i < b.length; i++) {
            if (b[i] == v) {
                return i;
            }
        }
        return -1;
    }
}
