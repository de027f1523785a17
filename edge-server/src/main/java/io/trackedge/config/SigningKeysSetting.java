package io.trackedge.config;

import io.trackedge.token.KeyRing;
import io.trackedge.token.PublishedKeys;
import io.trackedge.token.SigningKey;
import java.util.function.Consumer;

/**
 * {@code edge.signing-keys}, parsed while the configuration is validated so that a bad key is
 * reported with every other problem. The list must follow the strict grammar of
 * docs/tracking-token.md section 7 in every profile (and each secret must have at least
 * {@link SigningKey#MIN_SECRET_BYTES} bytes); the production profile also refuses any key whose
 * secret was published in this repository ({@link PublishedKeys}). Messages never contain a secret.
 */
final class SigningKeysSetting {

    static final String HOW_TO_MAKE_ONE = "make a key with `trackedge token new-key --id 1`";

    private SigningKeysSetting() {
    }

    /**
     * @param spec the setting's value; blank means none given (the development profile then makes a
     *     key in the data folder, and commands that sign refuse to run in production)
     * @param problem receives each problem, without the key's name
     * @return the keys, or null when none were given or they are invalid
     */
    static KeyRing parse(String spec, Profile profile, Consumer<String> problem) {
        if (spec == null || spec.isBlank()) {
            return null;
        }
        KeyRing ring;
        try {
            ring = KeyRing.parse(spec);
        } catch (IllegalArgumentException e) {
            problem.accept(e.getMessage() + "; " + HOW_TO_MAKE_ONE);
            return null;
        }
        if (profile != Profile.PRODUCTION) {
            return ring;
        }
        boolean published = false;
        for (SigningKey k : ring.keys()) {
            String where = PublishedKeys.whereFound(k);
            if (where != null) {
                problem.accept("key " + k.id() + " is published (" + where + "), so anyone can sign with it; "
                        + "the production profile refuses it; " + HOW_TO_MAKE_ONE);
                published = true;
            }
        }
        return published ? null : ring;
    }
}
