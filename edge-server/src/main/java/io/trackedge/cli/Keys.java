package io.trackedge.cli;

import io.trackedge.config.ConfigException;
import io.trackedge.config.EdgeConfig;
import io.trackedge.config.Profile;
import io.trackedge.token.KeyRing;
import io.trackedge.token.SigningKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where signing keys come from: {@code edge.signing-keys}; or, in the development profile only, a
 * key made once and kept in {@code <data-dir>/dev-signing-key}.
 */
final class Keys {

    private static final Logger log = LoggerFactory.getLogger(Keys.class);
    static final String DEV_KEY_FILE = "dev-signing-key";

    private Keys() {
    }

    static KeyRing load(EdgeConfig config) throws IOException {
        if (config.signingKeys() != null) {
            return config.signingKeys(); // parsed and checked by ConfigLoader
        }
        if (config.profile() == Profile.PRODUCTION) {
            throw new ConfigException(List.of("edge.signing-keys (EDGE_SIGNING_KEYS): required in the production profile; "
                    + "make one with `trackedge token new-key --id 1`, or set EDGE_PROFILE=development"));
        }
        Path file = config.dataDir().resolve(DEV_KEY_FILE);
        if (!Files.exists(file)) {
            Files.createDirectories(config.dataDir());
            Files.writeString(file, newKey(0).format() + "\n", StandardCharsets.US_ASCII);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system; the file keeps its default permissions
            }
            log.warn("""

                    ************************************************************************
                    *  DEVELOPMENT SIGNING KEY created in {}
                    *  Tokens signed with it are for development only. In production set
                    *  EDGE_SIGNING_KEYS and EDGE_PROFILE=production.
                    ************************************************************************""", file);
        } else {
            log.warn("using the DEVELOPMENT signing key in {} (profile development)", file);
        }
        return KeyRing.parse(Files.readString(file, StandardCharsets.US_ASCII).trim());
    }

    static SigningKey newKey(int id) {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return new SigningKey(id, secret);
    }
}
