package io.trackedge.cli;

import io.trackedge.cli.Doctor.Status;
import io.trackedge.config.EdgeConfig;
import io.trackedge.config.Profile;
import io.trackedge.config.PublicUrlSetting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * {@code trackedge doctor}'s checks of what tokens and links are signed with: the signing keys ("keys":
 * none in production fails; a {@code keys.conf} beside the config file that others than its owner can
 * read or write fails) and the links' base URL ("links": a reserved name fails, this machine's own name
 * warns in production).
 */
final class SigningChecks implements DoctorCheck {

    private final Path configFile;

    /** @param configFile the config file, or null for defaults and environment alone (no keys file to check) */
    SigningChecks(Path configFile) {
        this.configFile = configFile;
    }

    @Override
    public void check(EdgeConfig cfg, Findings out) {
        keys(cfg, out);
        links(cfg, out);
    }

    private void keys(EdgeConfig cfg, Findings out) {
        Path keysFile = configFile == null ? null : configFile.toAbsolutePath().resolveSibling("keys.conf");
        if (cfg.signingKeys() == null) {
            if (cfg.profile() == Profile.PRODUCTION) {
                out.add("keys", Status.FAIL, "no signing keys: the edge will not start",
                        "put edge.signing-keys = \"<output of trackedge token new-key --id 1>\" in "
                                + (keysFile == null ? "the config or EDGE_SIGNING_KEYS" : keysFile + " (mode 0600, owner trackedge)")
                                + "; every edge behind one domain needs the same keys");
            } else {
                out.add("keys", Status.WARN, "none configured; development uses " + cfg.dataDir().resolve(Keys.DEV_KEY_FILE),
                        "tokens signed with a development key are refused by every other edge; set edge.signing-keys for real mail");
            }
            return;
        }
        int n = cfg.signingKeys().keys().size();
        out.add("keys", Status.OK, n + " signing key" + (n == 1 ? "" : "s") + ", id " + cfg.signingKeys().signingKey().id() + " signs", "");
        if (keysFile != null && Files.exists(keysFile)) {
            try {
                Set<PosixFilePermission> p = Files.getPosixFilePermissions(keysFile, LinkOption.NOFOLLOW_LINKS);
                boolean open = p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)
                        || p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE);
                if (open) {
                    out.add("keys", Status.FAIL, keysFile + " can be read by others than its owner: anyone who reads it can forge events",
                            "chmod 0600 " + keysFile + " && chown trackedge:trackedge " + keysFile);
                }
            } catch (IOException | UnsupportedOperationException e) {
                out.add("keys", Status.WARN, "cannot read the permissions of " + keysFile + ": " + e.getMessage(), "");
            }
        }
    }

    /**
     * The base of the links {@code trackedge token} and {@code rewrite} sign. A name reserved for examples
     * or tests is a configuration error in production ({@code PublicUrlSetting}); this machine's own name
     * (the built-in default) is a warning there, since a test install is reached on it.
     */
    private static void links(EdgeConfig cfg, Findings out) {
        String url = cfg.publicUrl() + " (edge.public-url)";
        String reserved = PublicUrlSetting.problem(cfg.publicUrl(), cfg.profile());
        if (reserved != null) {
            out.add("links", Status.FAIL, reserved, "set edge.public-url (EDGE_PUBLIC_URL); serve runs with it, but trackedge token"
                    + " and rewrite refuse to sign on it");
        } else if (cfg.profile() == Profile.PRODUCTION && PublicUrlSetting.loopback(cfg.publicUrl())) {
            out.add("links", Status.WARN, url + " is this machine: the links trackedge token and rewrite sign on it reach no one else",
                    "set edge.public-url (EDGE_PUBLIC_URL) to the address your tracking links are reached at, "
                            + "https://t.<your domain> (the load balancer's name)");
        } else {
            out.add("links", Status.OK, url + ": trackedge token and rewrite sign links on it", "");
        }
    }
}
