package io.trackedge.journal;

/** A journal record whose bytes passed the checksum but do not decode; never read as data. */
public final class CorruptRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CorruptRecordException(String message) {
        super(message);
    }
}
