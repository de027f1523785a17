package io.trackedge.classify;

/**
 * A list entry that does not parse, with its position among the entries given, so that the caller
 * who knows the file can name the file and the line.
 */
final class BadListEntry extends IllegalArgumentException {

    private final int index;

    BadListEntry(int index, String message, Throwable cause) {
        super(message, cause);
        this.index = index;
    }

    /** Zero-based position of the entry in the list that was being parsed. */
    int index() {
        return index;
    }
}
