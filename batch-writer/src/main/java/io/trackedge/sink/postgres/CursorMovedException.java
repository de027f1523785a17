package io.trackedge.sink.postgres;

/**
 * The committed cursor is not where this writer expected: another writer for the same edge node
 * committed in between (or the row was edited). The batch is rolled back and the sink re-reads
 * from the committed position, so nothing is written twice.
 */
final class CursorMovedException extends Exception {
    private static final long serialVersionUID = 1L;
    final long committed;

    CursorMovedException(long expected, long committed) {
        super("sink cursor expected at " + expected + " but committed at " + committed);
        this.committed = committed;
    }
}
