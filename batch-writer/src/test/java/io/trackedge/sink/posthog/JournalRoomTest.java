package io.trackedge.sink.posthog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.trackedge.journal.JournalStats;
import io.trackedge.journal.JournalWriter;
import io.trackedge.journal.Segments;
import io.trackedge.sink.SinkCursors;
import io.trackedge.sink.testing.SyntheticEvents;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where PostHog may give events up for the journal's room: the journal's floor once past nine tenths
 * of its cap, never past the start of the segment the slowest other sink is in, and nowhere while
 * another sink has not reported or there is none.
 */
class JournalRoomTest {

    private static final long SEGMENT = 4L << 20;

    @TempDir
    Path dir;

    @Test
    void theFloorIsTheJournalsButNeverPastTheSegmentOfTheSlowestOtherSink() throws Exception {
        // cap 16 segments: room for 16 * 0.9 - 1 = 13.4 closed segments
        try (JournalWriter w = JournalWriter.open(dir, SEGMENT, 16 * SEGMENT, new JournalStats())) {
            SinkCursors alone = new SinkCursors(p -> { });
            alone.register(PostHogSink.NAME);
            SinkCursors cursors = new SinkCursors(p -> { });
            LongConsumer postgresA = cursors.register("postgres_a");
            LongConsumer postgresB = cursors.register("postgres_b");
            cursors.register(PostHogSink.NAME);
            JournalRoom room = new JournalRoom(w, cursors);

            SyntheticEvents gen = new SyntheticEvents(21, 1000);
            while (Segments.list(dir).size() < 16) { // 15 closed
                for (int i = 0; i < 1000; i++) {
                    gen.append(w);
                }
                w.flush();
            }
            List<Long> bases = Segments.list(dir);
            long journalFloor = w.roomFloor();
            assertEquals(bases.get(2), journalFloor, "15 closed segments: the oldest two past the room");
            assertEquals(-1, new JournalRoom(w, alone).floor(), "no other sink: nothing given up");
            assertEquals(-1, room.floor(), "the Postgres sinks have not reported");

            postgresA.accept(w.flushedPosition());
            postgresB.accept(bases.get(5));
            assertEquals(journalFloor, room.floor(), "both past it: the journal's floor");

            // b inside the second segment: PostHog may give up the first, whose room b's passing frees
            SinkCursors lagging = new SinkCursors(p -> { });
            lagging.register("postgres_a").accept(w.flushedPosition());
            lagging.register("postgres_b").accept(bases.get(1) + 10);
            lagging.register(PostHogSink.NAME);
            assertEquals(bases.get(1), new JournalRoom(w, lagging).floor(), "the start of b's segment, not b's own position");
        }
    }
}
