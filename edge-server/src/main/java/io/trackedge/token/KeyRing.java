package io.trackedge.token;

import java.util.List;

/**
 * The keys of one deployment: the first signs, all of them verify. Several at once let a new key
 * be rolled out to every edge before senders start using it, and an old one be kept until the
 * emails that carry it are no longer opened.
 */
public record KeyRing(List<SigningKey> keys) {

    public KeyRing {
        keys = List.copyOf(keys);
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("at least one signing key is required");
        }
        boolean[] seen = new boolean[256];
        for (SigningKey k : keys) {
            if (seen[k.id()]) {
                throw new IllegalArgumentException("key id " + k.id() + " appears twice");
            }
            seen[k.id()] = true;
        }
    }

    public SigningKey signingKey() {
        return keys.get(0);
    }

    /** Parses a comma-separated list of {@code <id>:<base64url secret>}. */
    public static KeyRing parse(String spec) {
        List<SigningKey> keys = new java.util.ArrayList<>();
        for (String part : spec.split(",")) {
            if (!part.isBlank()) {
                keys.add(SigningKey.parse(part.trim()));
            }
        }
        return new KeyRing(keys);
    }
}
