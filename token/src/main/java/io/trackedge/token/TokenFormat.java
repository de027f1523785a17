package io.trackedge.token;

/** Constants of the version-1 token layout; see {@code docs/tracking-token.md}. */
public final class TokenFormat {

    public static final int VERSION = 1;
    /** version, kind, key id. */
    public static final int HEADER = 3;
    /** The HMAC-SHA256 output is cut to its first 16 bytes (128 bits). */
    public static final int TAG = 16;
    /**
     * The smallest decoded token: header, the smallest field block (two UUIDs, three one-byte
     * strings with their lengths, presence), tag. Anything shorter is malformed before its header is read.
     */
    public static final int MIN_BYTES = HEADER + 32 + 3 * 2 + 1 + TAG;
    /** The largest decoded token: header, the largest field block, tag. */
    public static final int MAX_BYTES = HEADER + io.trackedge.journal.MutableEvent.MAX_FIELDS + TAG;
    /** The longest token text the edge will try to decode. */
    public static final int MAX_CHARS = (MAX_BYTES * 4 + 2) / 3;

    private TokenFormat() {
    }
}
