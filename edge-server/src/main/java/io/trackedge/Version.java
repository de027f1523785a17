package io.trackedge;

import picocli.CommandLine;

/**
 * {@code trackedge --version}: the version the jar was built as, from its manifest's
 * {@code Implementation-Version} (edge-server/pom.xml writes the project's version there); run from
 * classes, not the jar (tests, an IDE), there is none: "development build".
 */
public final class Version implements CommandLine.IVersionProvider {

    static final String NONE = "development build";

    @Override
    public String[] getVersion() {
        return new String[] {"trackedge " + of(Main.class.getPackage())};
    }

    /** {@code pkg}'s implementation version, or {@link #NONE}. */
    static String of(Package pkg) {
        String v = pkg == null ? null : pkg.getImplementationVersion();
        return v == null || v.isBlank() ? NONE : v.trim();
    }
}
