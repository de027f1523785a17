package io.trackedge.ingest;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The one UUID text the APIs take: RFC 9562's 8-4-4-4-12 hex digits. {@link UUID#fromString} also
 * takes {@code 1-1-1-1-1} (and reads it as 00000001-0001-0001-0001-000000000001), so two spellings
 * would name one tenant.
 */
public final class CanonicalUuid {

    private static final Pattern TEXT = Pattern.compile("[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}");

    private CanonicalUuid() {
    }

    /** The UUID, or null when {@code s} is null or not in the canonical form. */
    public static UUID parse(String s) {
        return s != null && TEXT.matcher(s).matches() ? UUID.fromString(s) : null;
    }
}
