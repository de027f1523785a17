package io.trackedge.ring;

/**
 * Told by the journal appender that every ring sequence up to and including {@code sequence} has
 * been handled: written, or not written (shed at the journal's cap, or refused by the disk), which
 * {@link JournalAppender#written} tells apart. Called on the appender thread; implementations hand
 * the work to their own thread and return at once.
 */
public interface AckListener {
    void onJournaled(long sequence);
}
