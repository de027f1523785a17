package io.trackedge.toolkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.trackedge.journal.EventFields;
import io.trackedge.token.KeyRing;
import io.trackedge.token.SigningKey;
import io.trackedge.token.Vectors;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The sender's {@link Signer} against docs/tracking-token-vectors.json: the URL of every valid
 * vector byte for byte, every string a signer must refuse, every key list. The token module's
 * TokenVectorsTest checks the layers underneath; this one checks what a sender calls.
 */
class SignerVectorsTest {

    private static Signer signerFor(int keyId) {
        return Signer.of(Vectors.BASE_URL, Vectors.KEYS.get(keyId).spec());
    }

    @Test
    void everyValidVectorIsSignedToItsUrl() {
        assertTrue(Vectors.VALID.size() >= 12, "valid vectors: " + Vectors.VALID.size());
        for (Vectors.Valid v : Vectors.VALID) {
            Signer signer = signerFor(v.keyId());
            String url = switch (v.kind()) {
                case 1 -> signer.pixelUrl(v.fields());
                case 2 -> signer.clickUrlInline(v.fields(), v.destination());
                case 3 -> signer.clickUrl(v.fields(), v.destination());
                default -> throw new AssertionError(v.name() + ": kind " + v.kind());
            };
            assertEquals(Vectors.BASE_URL + v.path(), url, v.name());
        }
    }

    @Test
    void idsWithoutLeadOrStepSignAsTheVectorsFields() {
        Vectors.Valid minimal = Vectors.VALID.stream().filter(v -> v.name().equals("open-minimal")).findFirst().orElseThrow();
        EventFields f = minimal.fields();
        EventFields ids = Signer.ids(f.tenant(), f.user(), f.campaign(), f.mailbox(), f.email());
        assertEquals(Vectors.BASE_URL + minimal.path(), signerFor(minimal.keyId()).pixelUrl(ids));
    }

    @Test
    void everyStringASignerMustRefuseIsRefusedNamingTheField() {
        Signer signer = signerFor(1);
        assertTrue(!Vectors.REFUSED_BY_SIGNER.isEmpty());
        for (Vectors.Refused v : Vectors.REFUSED_BY_SIGNER) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
                if (v.kind() == 1) {
                    signer.pixelUrl(v.fields());
                } else if (v.kind() == 2) {
                    signer.clickUrlInline(v.fields(), v.url());
                } else {
                    signer.clickUrl(v.fields(), v.url());
                }
            }, v.name());
            assertTrue(e.getMessage().startsWith(v.field() + " "), v.name() + ": " + e.getMessage());
        }
    }

    @Test
    void everyKeyListIsReadOrRefusedAtItsEntry() {
        for (Vectors.KeyList v : Vectors.KEY_LISTS) {
            if (v.ids() != null) {
                Signer.of(Vectors.BASE_URL, v.spec());
                List<Integer> ids = KeyRing.parse(v.spec()).keys().stream().map(SigningKey::id).toList();
                assertEquals(v.ids(), ids, v.name());
            } else {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> Signer.of(Vectors.BASE_URL, v.spec()), v.name());
                assertTrue(e.getMessage().startsWith("entry " + v.entry() + " of"), v.name() + ": " + e.getMessage());
                for (Vectors.Key k : Vectors.KEYS.values()) {
                    String secret = k.spec().substring(k.spec().indexOf(':') + 1);
                    assertTrue(!e.getMessage().contains(secret), v.name() + ": the error shows a secret");
                }
            }
        }
    }

    @Test
    void rewriteAddsThisSignersPixelAndWrapsLinksWithItsKey() {
        Signer signer = signerFor(200);
        EventFields ids = Fixtures.fields("msg-signer");
        EmailRewriter.Result r = signer.rewrite("<p><a href=\"https://shop.example/a b\">x</a></p>", ids);
        assertEquals(EmailRewriter.PixelStatus.ADDED, r.pixel());
        assertEquals(signer.pixelUrl(ids), r.pixelUrl());
        assertEquals(1, r.wrapped().size());
        assertEquals(signer.clickUrlInline(ids, "https://shop.example/a b"), r.wrapped().get(0).trackingUrl());
    }

    @Test
    void aDestinationOutsideThePolicyIsRefused() {
        Signer signer = signerFor(1);
        EventFields ids = Signer.ids(Fixtures.TENANT, Fixtures.USER, "c", "m", "e");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> signer.clickUrl(ids, "javascript:alert(1)"));
        assertTrue(e.getMessage().contains("only http and https"), e.getMessage());
    }
}
