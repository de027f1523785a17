package io.trackedge.journal;

/** Receives whole, checksummed records from a {@link JournalReader}. */
@FunctionalInterface
public interface RecordVisitor {
    /**
     * @param position journal position of the record's first byte
     * @param next position just past the record: the cursor to commit once it is handled
     * @param payload the buffer holding the payload; valid only during the call
     */
    void onRecord(long position, long next, byte[] payload, int offset, int length);
}
