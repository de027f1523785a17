package io.trackedge.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The kind-4 vector of section 13: the signer, the URL builder, the verifier and an independent reading of the spec agree. */
class UnsubscribeTokenVectorTest {

    @Test
    void theUnsubscribeVectorIsReproducedAndVerifies() throws Exception {
        assertFalse(Vectors.UNSUBSCRIBE.isEmpty(), "the vector file has an unsubscribe section");
        for (Vectors.Valid v : Vectors.UNSUBSCRIBE) {
            assertEquals(4, v.kind());
            assertEquals(TokenKind.UNSUBSCRIBE, v.tokenKind());
            TokenSigner signer = new TokenSigner(Vectors.ring(v.keyId()));
            assertEquals(v.token(), signer.unsubscribe(v.fields()), v.name());
            assertEquals(v.token(), TokenSpecCrossCheckTest.specToken(v.keyId(), Vectors.KEYS.get(v.keyId()).secret(), 4,
                    v.fields(), null), "the spec read independently gives the same token");
            assertEquals(HexFormat.of().formatHex(v.signed()),
                    HexFormat.of().formatHex(java.util.Base64.getUrlDecoder().decode(v.token()), 0, v.signed().length));
            TrackingUrls urls = new TrackingUrls(Vectors.BASE_URL, signer);
            assertEquals(Vectors.BASE_URL + v.path(), urls.unsubscribe(v.fields()));
            TokenVerifier verifier = new TokenVerifier(KeyRing.parse(Vectors.VERIFY_RING));
            assertEquals(TokenVerifier.OK, verifier.verify(v.token(), 0, v.token().length(), new byte[0], 0));
            assertEquals(TokenKind.UNSUBSCRIBE, verifier.kind());
        }
    }
}
