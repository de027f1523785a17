package io.trackedge.privacy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * What the erasure audit keeps instead of the email id: SHA-256 of {@code <tenant uuid>\n<email id>}.
 * Unsalted on purpose: whoever holds the id can check that it was erased (and sinks can match late
 * events against it), while the audit alone names nobody.
 */
public final class RecipientHash {

    private RecipientHash() {
    }

    public static byte[] of(UUID tenant, String emailId) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(tenant.toString().getBytes(StandardCharsets.US_ASCII));
            d.update((byte) '\n');
            return d.digest(emailId.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    public static String hex(UUID tenant, String emailId) {
        return HexFormat.of().formatHex(of(tenant, emailId));
    }
}
