package io.trackedge.token;

import java.util.HexFormat;
import java.util.Map;

/**
 * Signing secrets that appear in this repository (templates, the spec, the test vectors, sample
 * messages), by the SHA-256 of the secret. Anyone can read them, so anyone could sign tokens with
 * them: the production profile refuses them under any id. {@code PublishedKeysTest} finds every
 * key written in the docs and packaging and checks that it is listed here.
 */
public final class PublishedKeys {

    /** SHA-256 of the secret (hex) to where it was published. */
    private static final Map<String, String> BY_SHA256 = Map.of(
            "d7dc1a54b1e126ff59bea15d99ef4d3a879554efa61ca3afc733f63df57f3b61",
            "the sample key of packaging/edge.conf and edge-minimal.conf until 2026-12 (\"sample-key-do-not-use-in-production\")",
            "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd",
            "key 1 of the token spec and its test vectors (bytes 00..1f)",
            "bb32ed8aff1178f9120e3cc3ce18ec2def6e9e8542d80b1e410a930ff90e16b0",
            "key 200 of the token test vectors (bytes 40..8f)",
            "af834b2357bae6ad7eccd35c0a050538af38b19023275f58d1f3b39e4d1a0435",
            "key 9 of the token test vectors (32 bytes of 99)",
            "e0e77a507412b120f6ede61f62295b1a7b2ff19d3dcc8f7253e51663470c888e",
            "the example in an old key-format error message (43 'q's)",
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925",
            "32 zero bytes (43 'A's), the test suites' placeholder");

    private PublishedKeys() {
    }

    /** Where the key's secret was published, or null when it is not one of ours. */
    public static String whereFound(SigningKey key) {
        return BY_SHA256.get(sha256Hex(key.secret()));
    }

    static String sha256Hex(byte[] secret) {
        return HexFormat.of().formatHex(HmacSha256.sha256().digest(secret));
    }
}
