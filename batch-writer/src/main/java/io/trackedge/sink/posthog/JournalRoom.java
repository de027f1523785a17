package io.trackedge.sink.posthog;

import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.Segments;
import io.trackedge.sink.SinkCursors;

/**
 * Where {@link PostHogSink} may give events up so that a PostHog outage never fills the journal to
 * its cap: the journal's {@link JournalWriter#roomFloor}, but never past the start of the segment the
 * slowest other sink is in. Up to there every other sink has written the events, and what PostHog
 * gives up frees whole segments; past it, PostHog's events would be lost and nothing freed until
 * that sink passes the segment's end.
 */
public final class JournalRoom {

    private final JournalWriter journal;
    private final SinkCursors cursors;

    public JournalRoom(JournalWriter journal, SinkCursors cursors) {
        this.journal = journal;
        this.cursors = cursors;
    }

    /** The floor for {@link PostHogSink}'s {@code roomFloor}; -1 for none, as with no other sink or one not started. */
    public long floor() {
        long room = journal.roomFloor();
        if (room < 0) {
            return -1;
        }
        long others = cursors.minExcept(PostHogSink.NAME);
        if (others < 0) {
            return -1;
        }
        if (others >= room) {
            return room;
        }
        // Another sink behind the floor too: the start of its segment. Rare (PostgreSQL lagging while the
        // journal is nine tenths full), so the folder is listed here rather than kept in memory.
        long start = -1;
        for (long base : Segments.list(journal.directory())) { // a failed listing fails the batch: tried again
            if (base <= others) {
                start = base;
            }
        }
        return start;
    }
}
